"""Quality per second: ganforge's image presets and the hand-written DCGAN, trained for the same time on this machine.

    python -m benchmarks.quality_per_second                                 # Fashion-MNIST, 30 s and 2 min
    python -m benchmarks.quality_per_second --dataset mnist --budgets 30 120 --seeds 0 1 2
    python -m benchmarks.quality_per_second --dataset mnist --contenders hand-dcgan fast --budgets 30 120 600

Each contender trains once per seed up to the largest budget; at each budget the clock stops and its generator
(G_ema where the preset keeps one, in eval mode) is measured on 5,000 fixed latents: FID, recall and classes
covered in the dataset's classifier's feature space (fashion-cnn, mnist-cnn) against the first 5,000 test images
(Fashion-MNIST) or the subset's 1,000 held-out digits (MNIST). Only training time counts: the same clock as
``ganforge train --time``. Contenders alternate within a seed (hand-written first on even seeds, last on odd
ones), so a machine that slows down during the run slows both. The hand-written baseline's steps per second is
recorded beside the table: absolute figures only compare between runs on machines of that speed.

Writes benchmarks/results/quality-per-second-<dataset>.json and docs/images/quality-per-second-<dataset>.png
(with ``--out X.json``: X.json and docs/images/X.png).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from benchmarks import hand_dcgan
from benchmarks.common import RESULTS, machine_description, write_json
from ganforge import evaluate
from ganforge.config import Config, apply_overrides
from ganforge.data import load_dataset
from ganforge.metrics.extractors import default_extractor, get_extractor
from ganforge.resolve import resolve
from ganforge.train import build_session, render, train_step

IMAGES = Path(__file__).parent.parent / "docs" / "images"
N_SAMPLES = 5000
METRICS = ["fid", "precision-recall", "classes"]

# name -> the ganforge overrides it trains with (on top of the dataset); "hand-dcgan" is benchmarks/hand_dcgan.py
CONTENDERS: dict[str, dict[str, Any]] = {
    "hand-dcgan": {},
    "fast": {"preset": "fast"},
    # the fast preset's networks with R3GAN's objective: pairing loss, R1 and R2 (lazy, as the preset's R1)
    "fast-r3gan-loss": {"preset": "fast", "train.loss": "rpgan", "train.r1_gamma": 0.05, "train.r2_gamma": 0.05},
    # the fast preset with its learning rates falling linearly to 0 over the second half of the time budget
    "fast-lr-decay": {"preset": "fast", "optim.lr_decay": 0.5},
    "dcgan": {"preset": "dcgan"},
    "r3gan": {"preset": "r3gan"},
}


def _reference(dataset: str, extractor: Any) -> evaluate.SampleSet:
    n = N_SAMPLES if dataset == "fashion-mnist" else 1000  # the MNIST subset holds 1,000 held-out digits
    data_cfg = Config().data
    data_cfg.name, data_cfg.split = dataset, "test"
    return evaluate.reference(data_cfg, extractor, n, torch.device("cpu"))


def _measurer(dataset: str, seed: int, curve: list[dict[str, float]]) -> Callable:
    extractor = get_extractor(default_extractor(dataset), torch.device("cpu"), 500)
    real = _reference(dataset, extractor)
    latents = torch.randn(N_SAMPLES, hand_dcgan.Z_DIM, generator=torch.Generator().manual_seed(10_000 + seed))

    def measure(generate: Callable[[torch.Tensor], torch.Tensor], seconds: float, steps: int) -> None:
        samples = torch.cat([generate(z).float().cpu() for z in latents.split(500)])
        values = evaluate.compute(METRICS, real, evaluate.embed(samples, extractor))
        curve.append({"seconds": round(seconds, 1), "steps": steps, **{k: values[k] for k in _KEPT}})
        print(f"  {seconds:6.1f} s  {steps:6d} steps  FID {values['fid']:7.2f}  recall {values['recall']:.3f}  "
              f"classes {values['classes_covered']:.0f}", flush=True)  # fmt: skip

    return measure


_KEPT = ("fid", "precision", "recall", "classes_covered")


def train_ganforge(overrides: dict[str, Any], dataset: str, seed: int, budgets: list[float], measure: Callable) -> str:
    """ganforge's own session and step, as ``ganforge train --time`` runs them; returns the resolved preset's
    one-line description (model, loss, batch).

    One session trains through every budget, measured on the way, unless ``optim.lr_decay`` schedules the rates
    by the share of the budget spent: then each budget trains a session of its own from the start, as
    ``ganforge train --time BUDGET`` would (its rates reach 0 at that budget's end)."""
    cfg = resolve(apply_overrides(Config(), {"data.name": dataset, "train.seed": seed, "train.device": "cpu",
                                             "train.steps": 10**9, **overrides}))  # fmt: skip
    latent_dim = cfg.model.z_dim
    ordered = sorted(budgets)
    runs = [[budget] for budget in ordered] if cfg.optim.lr_decay else [ordered]
    for run_budgets in runs:
        s = build_session(cfg)
        trained = 0.0
        for budget in run_budgets:
            while trained < budget:
                s.time_progress = trained / run_budgets[-1]
                started = time.perf_counter()
                train_step(s)
                trained += time.perf_counter() - started
            # the latents are the hand baseline's N(0, I) draws; a uniform prior maps them through the normal CDF
            measure(lambda z, s=s: render(s.gan, _to_prior(z[:, :latent_dim], cfg.model.prior)), trained, s.step)
    decay = f", rates falling to 0 over the last {cfg.optim.lr_decay:g} of the budget" if cfg.optim.lr_decay else ""
    return f"{cfg.model.name} width {cfg.model.width}, {cfg.train.loss}, batch {cfg.train.batch_size}{decay}"


def _to_prior(z: torch.Tensor, prior: str) -> torch.Tensor:
    return z if prior == "normal" else 2 * torch.special.ndtr(z) - 1  # N(0, 1) -> U[-1, 1], the same quantiles


def run(dataset: str, contenders: list[str], budgets: list[float], seeds: list[int]) -> dict[str, Any]:
    """Train every contender on every seed (alternating order) and return their curves."""
    images = load_dataset(_data_cfg(dataset)).real(10**9).cpu() if "hand-dcgan" in contenders else None
    results: dict[str, Any] = {name: {"seeds": {}} for name in contenders}
    for seed in seeds:
        order = contenders if seed % 2 == 0 else list(reversed(contenders))
        for name in order:
            print(f"{name}, seed {seed}", flush=True)
            curve: list[dict[str, float]] = []
            measure = _measurer(dataset, seed, curve)
            if name == "hand-dcgan":
                hand_dcgan.train(images, budgets, measure, seed)
                results[name]["settings"] = "benchmarks/hand_dcgan.py (issue 15's script)"
            else:
                results[name]["settings"] = train_ganforge(CONTENDERS[name], dataset, seed, budgets, measure)
            results[name]["seeds"][str(seed)] = curve
    for entry in results.values():
        entry["summary"] = _summary(entry["seeds"], budgets)
    return results


def _data_cfg(dataset: str) -> Any:
    data_cfg = Config().data
    data_cfg.name = dataset
    return data_cfg


def _summary(per_seed: dict[str, list[dict[str, float]]], budgets: list[float]) -> list[dict[str, Any]]:
    """Per budget: mean, min and max over seeds of each figure, and the steps per second."""
    rows = []
    for index, budget in enumerate(sorted(budgets)):
        points = [curve[index] for curve in per_seed.values()]
        row: dict[str, Any] = {"budget_s": budget}
        for key in (*_KEPT, "steps"):
            values = [point[key] for point in points]
            row[key] = {"mean": statistics.fmean(values), "min": min(values), "max": max(values)}
        row["steps_per_s"] = statistics.fmean(point["steps"] / point["seconds"] for point in points)
        rows.append(row)
    return rows


def plot(result: dict[str, Any], path: Path) -> None:
    """FID against training seconds, one line per contender (mean over seeds, range shaded)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, entry in result["contenders"].items():
        rows = entry["summary"]
        seconds = [row["budget_s"] for row in rows]
        ax.plot(seconds, [row["fid"]["mean"] for row in rows], marker="o", label=name)
        ax.fill_between(seconds, [row["fid"]["min"] for row in rows], [row["fid"]["max"] for row in rows], alpha=0.2)
    ax.set_xscale("log")
    ax.set_yscale("log")
    budgets = sorted({row["budget_s"] for entry in result["contenders"].values() for row in entry["summary"]})
    ax.set_xticks(budgets, [f"{budget:g}" for budget in budgets])  # plain seconds, not powers of ten
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    fids = [row["fid"][key] for entry in result["contenders"].values() for row in entry["summary"]
            for key in ("min", "max")]  # fmt: skip
    ticks = [t for t in (10, 20, 30, 50, 100, 200, 300, 500, 1000, 2000) if min(fids) / 1.2 <= t <= max(fids) * 1.2]
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("training seconds (2 CPU cores)")
    ax.set_ylabel(f"FID ({result['extractor']})")
    ax.set_title(f"quality per second, {result['dataset']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    parser.add_argument("--contenders", nargs="+", default=list(CONTENDERS), choices=list(CONTENDERS))
    parser.add_argument("--budgets", nargs="+", type=float, default=[30, 120])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    result = {
        "command": " ".join(["python -m benchmarks.quality_per_second", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        "dataset": args.dataset,
        "extractor": default_extractor(args.dataset),
        "samples": N_SAMPLES,
        "contenders": run(args.dataset, args.contenders, args.budgets, args.seeds),
    }
    out = args.out or RESULTS / f"quality-per-second-{args.dataset}.json"
    write_json(out, result)
    plot(result, IMAGES / f"{out.stem}.png")  # named as the results file, so --out keeps the default's picture
    print(f"wrote {out}")
    return result


if __name__ == "__main__":
    main()
