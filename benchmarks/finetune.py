"""Fine-tuning against training from scratch on a small data set, in the same short training time.

    python -m benchmarks.finetune                                  # source 3m on MNIST, then 60s each on 500 images
    python -m benchmarks.finetune --source-time 2m --time 60s --n 2000
    python -m benchmarks.finetune --source runs/my-mnist-run       # start from a run you already have

A source run trains on MNIST (``--source-time``; or ``--source RUN``). Then two runs train on the first
``--images`` Fashion-MNIST training images for the same ``--time`` of training time and the same seed: one from
scratch, one with ``--init-from`` the source (and ``train.freeze_d`` of ``--freeze-d``). Both are measured by
``ganforge eval``'s FID in the fashion-cnn feature space, ``--n`` samples against the held-out test split.
Writes benchmarks/results/finetune.json; docs/workflows.md quotes it.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

import ganforge
from benchmarks.common import RESULTS, machine_description, write_json
from ganforge.config import Config, apply_overrides
from ganforge.evaluate import evaluate_run
from ganforge.run import RunDir

DEFAULT_OUT = RESULTS / "finetune.json"
MODEL = {"model.name": "mlp", "train.steps": 1_000_000, "train.sample_every": 1_000_000, "train.seed": 0}


def train(out: Path, time: str, **overrides: Any) -> dict[str, Any]:
    """Train one run for ``time`` of training time; its steps and seconds."""
    path = ganforge.train(apply_overrides(Config(), {**MODEL, **overrides, "train.time": time, "out": str(out)}))
    _, _, meta = RunDir.open(path).load_latest()
    return {"run": str(path), "steps": int(meta["step"]), "seconds": float(meta["seconds"])}


def fid(run: str, n: int) -> float:
    result = evaluate_run(run, metrics="fid", n=n, extractor="fashion-cnn", device="cpu")
    return round(float(result["metrics"]["fid"]), 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.finetune", description=__doc__.splitlines()[0])
    parser.add_argument("--source", help="A trained MNIST run to start from (default: train one).")
    parser.add_argument("--source-time", default="3m", help="Training time of the MNIST source run.")
    parser.add_argument("--time", default="60s", help="Training time of each run on the small data set.")
    parser.add_argument("--images", type=int, default=500, help="Fashion-MNIST training images the runs see.")
    parser.add_argument("--freeze-d", type=int, default=0, help="train.freeze_d of the fine-tuned run.")
    parser.add_argument("--n", type=int, default=2000, help="Samples (and test images) FID compares.")
    parser.add_argument("--runs", help="Keep the runs in this folder (default: a temporary one).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    logging.getLogger("ganforge").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as scratch_dir:
        runs = Path(args.runs or scratch_dir)
        if args.source is None:
            source = train(runs / "source-mnist", args.source_time, **{"data.name": "mnist"})
        else:
            _, _, meta = RunDir.open(args.source).load_latest()
            source = {"run": args.source, "steps": int(meta["step"]), "seconds": float(meta["seconds"])}
        small = {"data.name": "fashion-mnist", "data.limit": args.images}
        scratch = train(runs / "scratch", args.time, **small)
        tuned = train(runs / "finetuned", args.time, **small, **{"train.init_from": source["run"],
                                                                 "train.freeze_d": args.freeze_d})  # fmt: skip
        scratch["fid"], tuned["fid"] = fid(scratch["run"], args.n), fid(tuned["run"], args.n)
    for result in (source, scratch, tuned):
        result.pop("run")  # a folder of this machine, perhaps gone
    write_json(args.out, {
        "command": "python -m benchmarks.finetune " + " ".join(shlex.quote(arg) for arg in (argv or sys.argv[1:])),
        "machine": machine_description(),
        "what": f"mlp GAN: MNIST source, then {args.images} Fashion-MNIST images for {args.time} each; "
                f"FID (fashion-cnn features, {args.n} samples vs the test split; lower is better)",
        "source_mnist": source,
        "scratch": scratch,
        "finetuned": {**tuned, "freeze_d": args.freeze_d},
    })  # fmt: skip
    print(f"FID after {args.time} on {args.images} images: scratch {scratch['fid']}, fine-tuned {tuned['fid']}")


if __name__ == "__main__":
    main()
