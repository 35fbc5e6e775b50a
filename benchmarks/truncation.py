"""The truncation trick, measured: FID, precision, recall and classes of one run's samples at several thresholds.

    python -m benchmarks.truncation                       # the default MNIST run (trained first if missing)
    python -m benchmarks.truncation --run runs/NAME --thresholds 2 1 0.7

Every latent value beyond +-t is drawn again (``ganforge sample --truncation t``; BigGAN, Brock et al. 2019).
Without a run of its own it trains the default run (``ganforge train --dataset mnist --seed 0``, the `fast`
preset) into runs/readme-explorer, the run ``make screenshots`` shows. Writes benchmarks/results/truncation.json;
docs/models.md quotes it.
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS, machine_description, write_json

DEFAULT_RUN = Path("runs/readme-explorer")
TRAIN = ["-m", "ganforge", "train", "--dataset", "mnist", "--seed", "0", "--quiet"]
FIGURES = ("fid", "precision", "recall", "coverage", "classes_covered")


def main(argv: list[str] | None = None) -> None:
    from ganforge.evaluate import evaluate_run

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", type=Path, default=DEFAULT_RUN)
    parser.add_argument("--thresholds", type=float, nargs="+", default=[3.0, 2.0, 1.5, 1.0, 0.7])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=RESULTS / "truncation.json")
    args = parser.parse_args(argv)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    if not args.run.exists():
        subprocess.run([sys.executable, *TRAIN, "--out", str(args.run)], check=True)
    rows = []
    for threshold in [None, *args.thresholds]:
        started = time.perf_counter()
        result = evaluate_run(args.run, "fid,precision-recall,density-coverage,classes", n=args.n, truncation=threshold)
        figures = {name: result["metrics"][name] for name in FIGURES}
        rows.append({"truncation": threshold, **figures, "seconds": round(time.perf_counter() - started, 1)})
        print(f"truncation {threshold}: " + ", ".join(f"{k} {v:.4g}" for k, v in figures.items()), flush=True)
    command = " ".join(["python -m benchmarks.truncation", *(sys.argv[1:] if argv is None else argv)]).strip()
    write_json(args.out, {
        "command": command, "run": str(args.run), "trained_by": "ganforge " + " ".join(TRAIN[3:]),
        "machine": machine_description(), "torch_threads": torch.get_num_threads(), "n": args.n, "rows": rows,
    })  # fmt: skip


if __name__ == "__main__":
    main()
