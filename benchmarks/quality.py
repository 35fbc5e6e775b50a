"""Time to quality: the DCGAN preset on Fashion-MNIST on the CPU, domain FID against training time.

The run is ganforge's own session and step (``build_session`` / ``train_step``, the same code
``ganforge train --preset dcgan --dataset fashion-mnist`` runs); every ``--eval-every`` steps the
clock stops and G is measured on fixed latents: FID in the feature space of the shipped fashion-cnn
classifier, ``--eval-n`` samples against the same number of test images. Only training time counts
on the x axis: wall-clock seconds, and the CPU seconds the process used (which other jobs on a shared
machine do not inflate). Stops at ``--steps`` or after ``--minutes`` of wall clock, evaluation included.

    python -m benchmarks quality [--steps 2000] [--minutes 12] [--eval-every 100] [--eval-n 2000]

Writes benchmarks/results/quality-cpu.json and docs/images/time-to-quality.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS, machine_description, write_json
from ganforge.config import Config, apply_overrides
from ganforge.evaluate import TrainingEvaluator
from ganforge.resolve import resolve
from ganforge.train import build_session, render, train_step

PLOT = Path(__file__).parent.parent / "docs" / "images" / "time-to-quality.png"


def time_to_quality(steps: int, minutes: float, eval_every: int, eval_n: int, threads: int) -> dict:
    """Train and measure; returns the curve [(step, training seconds, FID), ...] and the run's settings."""
    torch.set_num_threads(threads)
    overrides = {
        "preset": "dcgan",
        "data.name": "fashion-mnist",
        "train.steps": steps,
        "train.device": "cpu",
        "train.eval_metrics": "fid",
        "train.eval_samples": eval_n,
        "train.eval_every": eval_every,
    }
    cfg = resolve(apply_overrides(Config(), overrides))
    s = build_session(cfg)
    latents = s.gan.sample_latent(eval_n, torch.Generator().manual_seed(cfg.train.seed + 4))
    measure = TrainingEvaluator(cfg, s.data.kind, s.device, latents)
    curve = [_point(s, 0, 0.0, 0.0, measure)]
    trained = cpu = 0.0
    deadline = time.perf_counter() + minutes * 60  # wall clock, evaluation included
    while s.step < steps and time.perf_counter() < deadline:
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(eval_every):
            train_step(s)
        trained += time.perf_counter() - started
        cpu += time.process_time() - started_cpu
        curve.append(_point(s, s.step, trained, cpu, measure))
        print(f"step {s.step:5d}  {trained:7.1f} s  {cpu:7.1f} CPU s  FID {curve[-1]['fid']:.2f}", flush=True)
    return {
        "benchmark": "time-to-quality",
        "config": "--preset dcgan --dataset fashion-mnist (DCGAN 28 px, batch 128, Adam 2e-4 / 0.5)",
        "machine": machine_description(),
        "torch": torch.__version__,
        "eval": f"FID, fashion-cnn features, {eval_n} samples vs {eval_n} test images",
        "curve": curve,
    }


def _point(s, step: int, seconds: float, cpu_seconds: float, measure: TrainingEvaluator) -> dict:
    values = measure(lambda z: render(s.gan, z))
    point = {"step": step, "seconds": round(seconds, 1), "cpu_seconds": round(cpu_seconds, 1)}
    return {**point, "fid": round(values["eval/fid"], 3)}


def first_time_below(curve: list[dict], fid: float) -> float | None:
    """Training CPU seconds at the first measurement with FID at or below ``fid`` (one thread: CPU seconds are the
    wall-clock seconds of a quiet machine, and other jobs on a shared one do not inflate them)."""
    return next((point["cpu_seconds"] for point in curve if point["fid"] <= fid), None)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = result["curve"]
    figure, axes = plt.subplots(figsize=(6, 3.5))
    axes.plot([p["cpu_seconds"] / 60 for p in curve], [p["fid"] for p in curve], marker="o", markersize=3)
    axes.set_xlabel("training CPU time (minutes)")
    axes.set_ylabel("FID (fashion-cnn features)")
    axes.set_yscale("log")
    axes.set_title("DCGAN preset on Fashion-MNIST")
    axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks quality", description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=14.0, help="Stop after this much wall-clock time.")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--eval-n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    result = time_to_quality(args.steps, args.minutes, args.eval_every, args.eval_n, args.threads)
    result["command"] = " ".join(["python -m benchmarks quality", *(sys.argv[1:] if argv is None else argv)])
    result["time_to_fid"] = {str(f): first_time_below(result["curve"], f) for f in (300, 200, 150, 100, 50, 20)}
    write_json(RESULTS / "quality-cpu.json", result)
    plot(result, PLOT)
    print(json.dumps(result["time_to_fid"]))
    return result


if __name__ == "__main__":
    main()
