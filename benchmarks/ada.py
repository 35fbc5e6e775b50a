"""Augmentation with little data: none, DiffAugment and ADA on 500 Fashion-MNIST images, at one time budget.

    python -m benchmarks.ada [--time 2m] [--limit 500] [--ada-images 50000] [--set KEY=VALUE ...]

Each arm trains the same config (by default the ``dcgan`` preset at ``model.width=32`` on the first
``--limit`` Fashion-MNIST training images) for the same ``train.time`` budget, taken in ``--slices`` turns in
rotation (A B C A B C ..., each turn a ``ganforge resume`` to a larger total), so that a shared machine's
changing speed hits every arm alike; with the health probe every ``--health-every`` steps; and the arms differ
only in ``train.augment``:

    none         no augmentation
    diffaugment  translation,cutout,color (Zhao et al. 2020, the paper's choice)
    ada          ada (Karras et al. 2020: target 0.6; p can go from 0 to 1 in --ada-images real images)

For each arm it reports the ``health/d_overfit`` signal over training (D's mean score of held-out images
against training images, as a share of the gap to fakes; docs/health.md), ADA's p and r_t, and the
fashion-cnn FID of ``--n`` samples against the first ``--n`` test images, measured as ``ganforge eval --real
TEST.npy --fake SAMPLES.npy --extractor fashion-cnn`` does. Writes benchmarks/results/ada.json.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

import ganforge
from benchmarks.common import RESULTS, machine_description, parse_sets, write_json
from ganforge import evaluate
from ganforge.config import Config, DataConfig, apply_overrides, duration_seconds
from ganforge.data import load_dataset
from ganforge.run import RunDir

ARMS = {"none": None, "diffaugment": "translation,cutout,color", "ada": "ada"}
BASE = {
    "preset": "dcgan", "model.width": 32, "data.name": "fashion-mnist", "train.steps": 1_000_000,
    "train.log_every": 50, "train.sample_every": 1_000_000, "train.checkpoint_every": 1_000_000,
}  # fmt: skip
LAST = 3  # d_overfit is summarised over the last few measurements


def train_arms(names: list[str], overrides: dict[str, Any], budget: float, slices: int, folder: Path) -> dict:
    """Train every arm for ``budget`` seconds of training time, in ``slices`` turns taken in rotation (A B C A B C
    ...: each turn resumes the run with a larger total budget), so that changes in the speed of a shared machine
    hit every arm alike. Returns each arm's run folder."""
    runs: dict[str, Path] = {}
    for turn in range(1, slices + 1):
        total = f"{budget * turn / slices:.1f}s"
        for name in names:
            if name not in runs:
                settings = {**overrides, "train.time": total, "out": str(folder / name)}
                if ARMS[name] is not None:
                    settings["train.augment"] = ARMS[name]
                runs[name] = ganforge.train(apply_overrides(Config(), settings))
            elif RunDir(runs[name]).read_metrics()[-1]["time"] < float(total[:-1]):  # else a slow step overshot
                ganforge.resume(runs[name], time=total)
            print(f"turn {turn}: {name} trained to {total}", flush=True)
    return runs


def summarise(run: Path, real_npy: Path, n: int) -> dict[str, Any]:
    """The arm's health and augmentation curves, its speed, and its fashion-cnn FID."""
    records = RunDir(run).read_metrics()
    overfit = [(r["step"], round(r["health/d_overfit"], 4)) for r in records if "health/d_overfit" in r]
    rates = [r["it/s"] for r in records if r.get("it/s")]
    fake_npy = run / "samples.npy"
    np.save(fake_npy, ganforge.sample(run, n, seed=0, device="cpu").numpy().astype(np.float32))
    fid = evaluate.evaluate_arrays(real_npy, fake_npy, "fid", extractor="fashion-cnn")["metrics"]["fid"]
    result = {
        "steps": records[-1]["step"],
        "train_seconds": records[-1]["time"],
        "it_per_s": round(statistics.median(rates), 2) if rates else None,
        "fid": round(fid, 2),
        "d_overfit_last": round(statistics.fmean(v for _, v in overfit[-LAST:]), 4) if overfit else None,
        "d_overfit_max": max(v for _, v in overfit) if overfit else None,
        "d_overfit": overfit,
    }
    if any("augment/p" in r for r in records):
        result["ada_p"] = [(r["step"], round(r["augment/p"], 4)) for r in records if "augment/p" in r]
        result["ada_r_t"] = [(r["step"], round(r["augment/r_t"], 4)) for r in records if "augment/r_t" in r]
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time", default="2m", help="train.time of every arm")
    parser.add_argument("--slices", type=int, default=4, help="turns each arm trains in, in rotation")
    parser.add_argument("--limit", type=int, default=500, help="data.limit: training images")
    parser.add_argument("--ada-images", type=int, default=50_000, help="train.ada_images of the ADA arm")
    parser.add_argument("--health-every", type=int, default=100)
    parser.add_argument("--n", type=int, default=5000, help="samples and test images for FID")
    parser.add_argument("--arms", default=",".join(ARMS), help="comma-separated, of: " + ", ".join(ARMS))
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--out", default=str(RESULTS / "ada.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    overrides = {
        **BASE, "data.limit": args.limit, "train.health_every": args.health_every,
        "train.ada_images": args.ada_images, "train.device": "cpu",
        **parse_sets(args.set),
    }  # fmt: skip
    arms = [name.strip() for name in args.arms.split(",")]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        test = load_dataset(DataConfig(name="fashion-mnist", split="test")).real(args.n)  # the first n test images
        real_npy = Path(tmp) / "test.npy"
        np.save(real_npy, test.numpy().astype(np.float32))
        runs = train_arms(arms, overrides, duration_seconds(args.time), args.slices, Path(tmp))
        for name, run in runs.items():
            results[name] = summarise(run, real_npy, args.n)
            shown = {key: value for key, value in results[name].items() if not isinstance(value, list)}
            print(f"{name}: {shown}", flush=True)
    result = {
        "command": " ".join(["python -m benchmarks.ada", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        "torch": torch.__version__,
        "overrides": overrides,
        "time": args.time,
        "slices": args.slices,
        "arms": {name: ARMS[name] for name in arms},
        "results": results,
    }
    write_json(Path(args.out), result)
    return result


if __name__ == "__main__":
    main()
