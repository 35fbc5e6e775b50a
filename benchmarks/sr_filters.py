"""Super-resolution on inputs made by a filter it did not train on: SR against bicubic upsampling, x2 and x4.

    python -m benchmarks.sr_filters [--steps 500] [--scales 2 4] [--n 1000] [--set KEY=VALUE ...]

For each scale it trains ``--task srgan`` on Fashion-MNIST twice for ``--steps`` steps: on the mix of
downscaling filters (the default: every filter of ``data.pairs.DOWNSCALE_FILTERS`` that makes other images
than the held-out one) and, as the control, on the single antialiased bilinear filter that SR trained on
before the mix (``task.filters=bilinear-aa``). Each run is measured by ``ganforge eval RUN --n N`` on the
first N test images: PSNR and SSIM beside bicubic upsampling, on inputs made by the training filters and on
inputs made by ``task.held_out_filter`` (area: plain 2 x 2 or 4 x 4 block averaging), which neither run
trained on. Writes benchmarks/results/sr-filters.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

import ganforge
from benchmarks.common import RESULTS, machine_description, parse_sets, write_json
from ganforge import evaluate
from ganforge.config import Config, apply_overrides

ARMS = {"mix": None, "single": "bilinear-aa"}  # task.filters: None is the default mix
SHOWN = ("psnr", "psnr_bicubic", "ssim", "ssim_bicubic")


def measure(scale: int, arm: str, overrides: dict[str, Any], n: int, folder: Path) -> dict[str, Any]:
    """Train one arm at one scale and evaluate it; the figures on both kinds of input."""
    settings = {**overrides, "task.scale": scale, "out": str(folder / f"x{scale}-{arm}")}
    if ARMS[arm] is not None:
        settings["task.filters"] = ARMS[arm]
    started = time.perf_counter()
    run = ganforge.train(apply_overrides(Config(), settings))
    seconds = round(time.perf_counter() - started, 1)
    result = evaluate.evaluate_run(run, n=n, device="cpu")
    metrics = result["metrics"]
    trained = ganforge.load(run, device="cpu").config
    return {
        "filters": trained.task.filters or "the mix (every filter but the held-out one)",
        "held_out_filter": result["held_out_filter"],
        "train_seconds": seconds,
        "training_filters": {name: round(metrics[name], 3) for name in SHOWN},
        "held_out": {name: round(metrics[f"held_out/{name}"], 3) for name in SHOWN},
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--scales", type=int, nargs="+", default=[2, 4])
    parser.add_argument("--arms", default=",".join(ARMS), help="comma-separated, of: " + ", ".join(ARMS))
    parser.add_argument("--n", type=int, default=1000, help="test images measured")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--out", default=str(RESULTS / "sr-filters.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    overrides = {
        "task.name": "srgan", "data.name": "fashion-mnist", "train.steps": args.steps, "train.device": "cpu",
        **parse_sets(args.set),
    }  # fmt: skip
    result = {
        "command": " ".join(["python -m benchmarks.sr_filters", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        "torch": torch.__version__,
        "overrides": overrides,
        "n": args.n,
        "complete": False,  # the file is rewritten after every run, so a long benchmark cut short keeps its rows
        "results": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            for arm in (name.strip() for name in args.arms.split(",")):
                row = measure(scale, arm, overrides, args.n, Path(tmp))
                result["results"].setdefault(f"x{scale}", {})[arm] = row
                print(f"x{scale} {arm}: {json.dumps({k: row[k] for k in ('training_filters', 'held_out')})}",
                      flush=True)  # fmt: skip
                write_json(Path(args.out), result)
    result["complete"] = True
    write_json(Path(args.out), result)
    return result


if __name__ == "__main__":
    main()
