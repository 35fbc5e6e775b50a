"""The benchmark suite: training throughput next to a hand-written loop, the speed switches, evaluation,
sampling and ``ganforge sweep``. Every figure that matters is a ratio measured in one process, with
the contenders alternating (A B A B ...) and the median taken, because the machines are shared: the median
of the per-round ratios (each round's two figures measured back to back), shown in bold beside the ratio
of the two medians (which divides figures from different rounds, so it follows the load, not the code).

    python -m benchmarks [--device cpu] [--repeats 3] [--sections throughput,switches,eval,sample,sweep]

Prints markdown tables and writes benchmarks/results/suite-<device>.json.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from benchmarks.common import (
    RESULTS,
    interleaved,
    machine_description,
    matmul_peak,
    median_ratio,
    peak_memory,
    sync,
    write_json,
)
from ganforge.config import Config, apply_overrides
from ganforge.data import load_dataset
from ganforge.models import build_models
from ganforge.resolve import resolve
from ganforge.run import RunDir
from ganforge.train import build_session, fit, train_step

# name -> (what it is, config overrides, steps per timed run on the CPU)
WORKLOADS: dict[str, tuple[str, dict[str, Any], int]] = {
    "mlp": ("MLP GAN (tutorial), MNIST, batch 128", {}, 2000),
    "dcgan28": ("DCGAN 28 px, MNIST, batch 128", {"model.name": "dcgan"}, 20),
    "dcgan32": ("DCGAN 32 px, MNIST resized, batch 128", {"model.name": "dcgan", "data.image_size": 32}, 12),
    "wgan-gp": ("WGAN-GP preset (DCGAN 28 px, no BN in D, 5 D steps, batch 64)", {"preset": "wgan-gp"}, 4),
    # the default run's network and step with its speed switches off: the switches section turns them on
    "fast": ("the `fast` preset (DCGAN width 32, batch 64) in fp32 NCHW, MNIST",
             {"preset": "fast", "train.channels_last": False, "train.precision": "fp32"}, 40),
}
FAST_SWITCHES = {"train.channels_last": True, "train.precision": "bf16"}  # what `fast` sets (precision: auto)


def workload_config(name: str, device: str, steps: int) -> Config:
    overrides = {**WORKLOADS[name][1], "train.device": device, "train.steps": steps}
    overrides.update({"train.sample_every": steps, "train.checkpoint_every": steps})
    return resolve(apply_overrides(Config(), overrides))


# -- the contenders ----------------------------------------------------------------------------------


def hand_loop(cfg: Config, data: Any, steps: int, device: torch.device) -> float:
    """The loop a practitioner writes by hand for the same model and algorithm; returns iterations/s.

    Torch's defaults throughout (plain Adam, images[indices] batches, BCEWithLogits); D's gradients
    are computed in G's step and thrown away, as in most public scripts.
    """
    torch.manual_seed(0)
    G, D = build_models(cfg.model, data.shape)
    G, D = G.to(device), D.to(device)
    opt_G = torch.optim.Adam(G.parameters(), lr=cfg.optim.lr_g, betas=tuple(cfg.optim.betas))
    opt_D = torch.optim.Adam(D.parameters(), lr=cfg.optim.lr_d, betas=tuple(cfg.optim.betas))
    images, m, z_dim = data.images, cfg.train.batch_size, cfg.model.z_dim
    wgan_gp = cfg.train.loss == "wgan-gp"
    ones, zeros = torch.ones(m, device=device), torch.zeros(m, device=device)

    def noise() -> torch.Tensor:
        if cfg.model.prior == "uniform":
            return torch.rand(m, z_dim, device=device) * 2 - 1
        return torch.randn(m, z_dim, device=device)

    sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        for _ in range(cfg.train.d_steps):
            real = images[torch.randint(len(images), (m,), device=device)].float() / 127.5 - 1
            with torch.no_grad():
                fake = G(noise())
            if wgan_gp:
                eps = torch.rand(m, 1, 1, 1, device=device)
                x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
                (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
                penalty = (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()
                loss_D = D(fake).mean() - D(real).mean() + cfg.train.gp_lambda * penalty
            else:
                loss_D = F.binary_cross_entropy_with_logits(D(real), ones)
                loss_D = loss_D + F.binary_cross_entropy_with_logits(D(fake), zeros)
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()
        scores = D(G(noise()))
        loss_G = -scores.mean() if wgan_gp else F.binary_cross_entropy_with_logits(scores, ones)
        opt_G.zero_grad()
        loss_G.backward()
        opt_G.step()
    sync(device)
    return steps / (time.perf_counter() - started)


def ganforge_loop(cfg: Config, data: Any) -> float:
    """ganforge's own loop (``fit``: logging, statistics, health checks included); iterations/s as it
    records them in metrics.jsonl, before the end-of-run pictures."""
    with tempfile.TemporaryDirectory() as folder:
        cfg.out = str(Path(folder) / "run")
        session = build_session(cfg, data)
        run = RunDir.create(cfg.out, cfg)
        fit(session, run, progress=False)
        seconds = run.read_metrics()[-1]["time"]
    return cfg.train.steps / seconds


def step_rate(cfg: Config, data: Any, steps: int, warmup: int = 3) -> Callable[[], float]:
    """A contender timing ganforge's ``train_step`` alone on one session (built once, warmed up)."""
    session = build_session(cfg, data)
    for _ in range(warmup):
        train_step(session)

    def run() -> float:
        sync(session.device)
        started = time.perf_counter()
        for _ in range(steps):
            train_step(session)
        sync(session.device)
        return steps / (time.perf_counter() - started)

    return run


def flops_per_step(cfg: Config, data: Any) -> int | None:
    """Floating-point operations of one ganforge training step (torch's FLOP counter: matmuls and convs).

    None where the counter cannot follow the step: its module hooks reject the double backward of a
    gradient penalty (torch.autograd.grad on a leaf)."""
    session = build_session(cfg, data)
    train_step(session)
    try:
        with FlopCounterMode(display=False) as counter:
            train_step(session)
    except RuntimeError:
        return None
    return counter.get_total_flops()


# -- sections ----------------------------------------------------------------------------------------


def throughput(args: argparse.Namespace, device: torch.device, peak: float) -> list[dict[str, Any]]:
    """ganforge next to the hand loop for each workload: it/s, images/s, GFLOP/s, peak memory."""
    rows = []
    for name in args.workloads:
        label, _, cpu_steps = WORKLOADS[name]
        steps = max(2, int(cpu_steps * args.scale * (1 if device.type == "cpu" else 10)))
        cfg = workload_config(name, str(device), steps)
        data = load_dataset(cfg.data, device)
        flops = flops_per_step(cfg, data)
        hand_loop(cfg, data, max(2, steps // 10), device)  # warm-up: allocator, kernels, thread pools
        ganforge_loop(workload_config(name, str(device), max(2, steps // 10)), data)
        rates = interleaved(
            {
                "hand": lambda cfg=cfg, data=data, steps=steps: hand_loop(cfg, data, steps, device),
                "ganforge": lambda name=name, data=data, steps=steps: ganforge_loop(
                    workload_config(name, str(device), steps), data
                ),
            },
            args.repeats,
        )
        memory = {}
        for contender in ("hand", "ganforge"):
            with peak_memory(device) as used:
                if contender == "hand":
                    hand_loop(cfg, data, max(2, steps // 10), device)
                else:
                    ganforge_loop(workload_config(name, str(device), max(2, steps // 10)), data)
            memory[contender] = round(used["peak_mib"], 1)
        ours, hand = statistics.median(rates["ganforge"]), statistics.median(rates["hand"])
        images_per_step = cfg.train.batch_size * (cfg.train.d_steps + 1)  # real images seen + G's batch
        rows.append(
            {
                "workload": name,
                "label": label,
                "steps": steps,
                "ganforge_it_s": round(ours, 2),
                "hand_it_s": round(hand, 2),
                "ratio": round(median_ratio(rates["ganforge"], rates["hand"]), 3),  # median of per-round ratios
                "ratio_of_medians": round(ours / hand, 3),  # the two it/s columns divided
                "ratios": [round(a / b, 3) for a, b in zip(rates["ganforge"], rates["hand"], strict=True)],
                "images_s": round(ours * images_per_step, 1),
                "gflop_per_step": flops and round(flops / 1e9, 3),
                "ganforge_gflop_s": flops and round(ours * flops / 1e9, 1),
                "hand_gflop_s": flops and round(hand * flops / 1e9, 1),
                "percent_of_peak": flops and round(100 * ours * flops / 1e9 / peak, 1),
                "peak_mib": memory,
            }
        )
        print(_row_text(rows[-1]), flush=True)
    return rows


def switches(args: argparse.Namespace, device: torch.device) -> list[dict[str, Any]]:
    """Each speed switch against ganforge's default step, on the workload it is for (train_step only)."""
    plans = [
        ("mlp", "optim.fused=false (the for-loop Adam)", {"optim.fused": False}, 1000),
        ("mlp", "train.precision=bf16", {"train.precision": "bf16"}, 1000),
        ("dcgan28", "train.channels_last=true", {"train.channels_last": True}, 10),
        ("dcgan28", "optim.fused=false (the for-loop Adam)", {"optim.fused": False}, 10),
        ("fast", "train.channels_last=true", {"train.channels_last": True}, 40),
        ("fast", "train.precision=bf16", {"train.precision": "bf16"}, 40),
        ("fast", "both (the preset as shipped, on a CPU with native bf16)", FAST_SWITCHES, 40),
    ]
    if args.compile:
        plans.insert(1, ("mlp", "train.compile=true", {"train.compile": True}, 1000))
    if device.type == "cuda":
        plans += [
            ("mlp", "train.cuda_graphs=true", {"train.cuda_graphs": True}, 1000),
            ("dcgan28", "train.precision=bf16", {"train.precision": "bf16"}, 10),
            ("dcgan28", "train.compile=true", {"train.compile": True}, 10),
        ]
    rows = []
    for name, label, overrides, cpu_steps in plans:
        steps = max(2, int(cpu_steps * args.scale * (1 if device.type == "cpu" else 10)))
        base = workload_config(name, str(device), steps)
        data = load_dataset(base.data, device)
        started = time.perf_counter()
        switched = step_rate(resolve(apply_overrides(base, overrides)), data, steps)  # warm-up compiles here
        warmup_seconds = time.perf_counter() - started
        rates = interleaved({"default": step_rate(base, data, steps), "switch": switched}, args.repeats)
        rows.append(
            {
                "workload": name,
                "switch": label,
                "default_it_s": round(statistics.median(rates["default"]), 2),
                "switch_it_s": round(statistics.median(rates["switch"]), 2),
                "ratio": round(median_ratio(rates["switch"], rates["default"]), 3),  # median of per-round ratios
                "ratio_of_medians": round(statistics.median(rates["switch"]) / statistics.median(rates["default"]), 3),
                "setup_seconds": round(warmup_seconds, 1),
            }
        )
        print(rows[-1], flush=True)
    return rows


def evaluation(args: argparse.Namespace, device: torch.device) -> list[dict[str, Any]]:
    """Features per second of the shipped extractors (what FID, KID and precision/recall cost)."""
    from ganforge.metrics import fid
    from ganforge.metrics.extractors import get_extractor

    images = load_dataset(resolve(Config()).data, device).real()
    images = images.repeat(-(-10_000 // len(images)), 1, 1, 1)[:10_000]  # 10,000 real digits
    rows = []
    for name in ("mnist-cnn", "fashion-cnn"):
        extractor = get_extractor(name, device, 500)
        extractor.features_and_probabilities(images[:500])  # warm-up
        seconds = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            features, _ = extractor.features_and_probabilities(images)
            seconds.append(time.perf_counter() - started)
        started = time.perf_counter()
        fid.fid(features, features.flip(0) + 0.01)
        rows.append(
            {
                "extractor": name,
                "features_s": round(10_000 / statistics.median(seconds), 1),
                "fid_from_features_s": round(time.perf_counter() - started, 3),
            }
        )
        print(rows[-1], flush=True)
    return rows


def sampling(args: argparse.Namespace, device: torch.device) -> list[dict[str, Any]]:
    """``ganforge sample RUN --n 10000 --out FILE.npy`` from the command line (startup included)."""
    import ganforge

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, steps in (("mlp", 20), ("dcgan28", 2)):
            cfg = workload_config(name, str(device), steps)
            cfg.out = str(Path(folder) / name)
            run = ganforge.train(cfg)
            seconds = []
            for index in range(args.repeats):
                out = Path(folder) / f"{name}-{index}.npy"
                command = [sys.executable, "-m", "ganforge", "sample", str(run), "--n", "10000", "--out", str(out)]
                started = time.perf_counter()
                subprocess.run([*command, "--device", str(device)], check=True, capture_output=True)
                seconds.append(time.perf_counter() - started)
            started = time.perf_counter()
            ganforge.load(run, device=str(device)).sample(10_000)
            rows.append(
                {
                    "model": name,
                    "command_seconds": round(statistics.median(seconds), 2),
                    "in_process_seconds": round(time.perf_counter() - started, 2),
                }
            )
            print(rows[-1], flush=True)
    return rows


def sweep(args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """16 MLP GANs: ``ganforge sweep`` (one vmapped population) against the same 16 one after another.

    ``--sweep-data mnist``: the tutorial MLP on MNIST; ``ring``: configs/ring.yaml's MLP on the 8-Gaussian ring."""
    from ganforge.sweep import Population, SweepSpec, member_configs, run_sweep

    members, steps = args.sweep_members, args.sweep_steps
    ring = Path(__file__).parent.parent / "configs" / "ring.yaml"
    base = Config.load(ring) if args.sweep_data == "ring" else Config()
    base = apply_overrides(base, {"train.device": str(device), "train.steps": steps})
    base = apply_overrides(base, {"train.sample_every": steps, "train.checkpoint_every": steps})
    seeds = list(range(members))
    seconds: dict[str, list[float]] = {"sweep": [], "sequential": []}
    with tempfile.TemporaryDirectory() as folder:
        for index in range(args.sweep_repeats):
            for mode in ("sweep", "sequential"):
                spec = SweepSpec(base, Path(folder) / f"{mode}-{index}", seeds, metric="none")
                spec.sequential = mode == "sequential"
                seconds[mode].append(run_sweep(spec, progress=False)["train_seconds"])
                print(mode, seconds[mode][-1], flush=True)
        # the steps alone: one population step against one step of each member's own session
        configs = member_configs(SweepSpec(base, Path(folder) / "steps", seeds))
        data = load_dataset(configs[0].data, device)
        population = Population(configs, data)
        sessions = [build_session(cfg, data) for cfg in configs]

        def batched() -> float:
            started = time.perf_counter()
            for _ in range(100):
                population.train_step()
            return 100 / (time.perf_counter() - started)

        def one_by_one() -> float:
            started = time.perf_counter()
            for _ in range(100):
                for session in sessions:
                    train_step(session)
            return 100 / (time.perf_counter() - started)

        batched(), one_by_one()
        rates = interleaved({"batched": batched, "one_by_one": one_by_one}, args.repeats)
    result = {
        "data": args.sweep_data,
        "members": members,
        "steps": steps,
        "sweep_seconds": [round(s, 1) for s in seconds["sweep"]],
        "sequential_seconds": [round(s, 1) for s in seconds["sequential"]],
        "speedup_end_to_end": round(median_ratio(seconds["sequential"], seconds["sweep"]), 2),
        "population_steps_s": round(statistics.median(rates["batched"]), 1),
        "sequential_population_steps_s": round(statistics.median(rates["one_by_one"]), 1),
        "speedup_steps": round(median_ratio(rates["batched"], rates["one_by_one"]), 2),  # median of per-round ratios
        "speedup_steps_ratio_of_medians": round(
            statistics.median(rates["batched"]) / statistics.median(rates["one_by_one"]), 2
        ),
    }
    print(result, flush=True)
    return result


def _row_text(row: dict[str, Any]) -> str:
    return (
        f"| {row['workload']} | {row['ganforge_it_s']} | {row['hand_it_s']} | {row['ratio_of_medians']} | "
        f"**{row['ratio']}** "
        f"({', '.join(map(str, row['ratios']))}) | {row['images_s']} | {row['ganforge_gflop_s']} | "
        f"{row['percent_of_peak'] or 'n/a '}% | {row['peak_mib']['ganforge']} / {row['peak_mib']['hand']} |"
    )


def print_tables(result: dict[str, Any]) -> None:
    print(f"\n{result['machine']}, torch {result['torch']}; matmul peak {result['matmul_peak_gflop_s']} GFLOP/s")
    if "throughput" in result:
        print("\n| workload | ganforge it/s (median) | hand it/s (median) | ratio of the medians | "
              "median of per-round ratios (each round) | images/s | GFLOP/s | of peak | "
              "peak MiB (ganforge / hand) |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        for row in result["throughput"]:
            print(_row_text(row))
    if "switches" in result:
        print("\n| workload | switch | default it/s (median) | with switch it/s (median) | ratio of the medians | "
              "switch / default: median of per-round ratios | setup s |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for row in result["switches"]:
            print(f"| {row['workload']} | {row['switch']} | {row['default_it_s']} | {row['switch_it_s']} | "
                  f"{row['ratio_of_medians']} | **{row['ratio']}** | {row['setup_seconds']} |")  # fmt: skip
    for row in result.get("eval", []):
        print(f"eval: {row['extractor']} {row['features_s']} features/s; FID from features "
              f"{row['fid_from_features_s']} s")  # fmt: skip
    for row in result.get("sample", []):
        print(f"sample 10,000 ({row['model']}): {row['command_seconds']} s command, {row['in_process_seconds']} s "
              "in process")  # fmt: skip
    if "sweep" in result:
        print(f"sweep: {result['sweep']}")


SECTION_NAMES = ("throughput", "switches", "eval", "sample", "sweep")


def main(argv: list[str] | None = None, only: tuple[str, ...] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=3, help="Rounds of each interleaved comparison.")
    parser.add_argument("--threads", type=int, default=2, help="torch threads on the CPU.")
    parser.add_argument("--sections", default=",".join(SECTION_NAMES))
    parser.add_argument("--workloads", default="mlp,dcgan28,dcgan32,wgan-gp", help=f"of {', '.join(WORKLOADS)}")
    parser.add_argument("--scale", type=float, default=1.0, help="Multiply timed runs' steps (0.1: a glance).")
    parser.add_argument("--compile", action="store_true", help="Also time train.compile (slow to compile).")
    parser.add_argument("--sweep-members", type=int, default=16)
    parser.add_argument("--sweep-steps", type=int, default=500)
    parser.add_argument("--sweep-repeats", type=int, default=1)
    parser.add_argument("--sweep-data", choices=("mnist", "ring"), default="mnist")
    args = parser.parse_args(argv)
    args.workloads = args.workloads.split(",")
    sections = only or tuple(args.sections.split(","))
    logging.getLogger("ganforge").setLevel(logging.ERROR)  # data-source notices once per run are noise here
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    peaks = [matmul_peak(device) for _ in range(3)]
    words = list(sys.argv[1:] if argv is None else argv)
    result: dict[str, Any] = {
        "command": " ".join(["python -m benchmarks", *([only[0]] if only else []), *words]),
        "machine": machine_description(device),
        "torch": torch.__version__,
        "device": str(device),
        "matmul_peak_gflop_s": round(max(peaks), 1),
        "matmul_gflop_s_measured": [round(p, 1) for p in peaks],
    }
    if "throughput" in sections:
        result["throughput"] = throughput(args, device, max(peaks))
    if "switches" in sections:
        result["switches"] = switches(args, device)
    if "eval" in sections:
        result["eval"] = evaluation(args, device)
    if "sample" in sections:
        result["sample"] = sampling(args, device)
    if "sweep" in sections:
        result["sweep"] = sweep(args, device)
    peaks.append(matmul_peak(device))
    result["matmul_peak_gflop_s"] = round(max(peaks), 1)
    result["matmul_gflop_s_measured"] = [round(p, 1) for p in peaks]
    for row in result.get("throughput", []):  # against the best sgemm rate seen in the whole run
        if row["ganforge_gflop_s"]:
            row["percent_of_peak"] = round(100 * row["ganforge_gflop_s"] / max(peaks), 1)
    print_tables(result)
    name = "-".join(sections) if only or args.sections != ",".join(SECTION_NAMES) else "suite"
    if "sweep" in sections and args.sweep_data != "mnist":
        name += f"-{args.sweep_data}"
    write_json(RESULTS / f"{name}-{str(device).replace(':', '')}.json", result)
    return result


def _section(name: str) -> Callable[[list[str]], dict[str, Any]]:
    return lambda argv: main(argv, only=(name,))


SECTIONS = {name: _section(name) for name in SECTION_NAMES}
