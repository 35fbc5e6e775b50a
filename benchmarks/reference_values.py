"""The floor of each metric: real training images measured against real test images.

    python -m benchmarks.reference_values [--n 10000] [--out benchmarks/results/reference-values.json]

A generator that reproduced the training set perfectly would score about this, so differences below these
floors say nothing. Writes the figures per dataset (``metrics["mnist/fid"]`` and so on, in the mean/min/max
form the other results files use: one measurement, so the three agree) and prints the markdown table that
docs/metrics.md quotes (rendered by ``docs_check.reference_row``, which checks the quote).
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import RESULTS, machine_description, write_json
from benchmarks.docs_check import REFERENCE_DATASETS as DATASETS
from benchmarks.docs_check import reference_row
from ganforge import evaluate
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.extractors import default_extractor, get_extractor

METRICS = ["fid", "kid", "precision-recall", "density-coverage"]
FIGURES = ("fid", "kid", "precision", "recall", "density", "coverage")
OUT = RESULTS / "reference-values.json"


def measure(name: str, n: int) -> dict[str, Any]:
    """One dataset's row: its extractor, the counts and each figure, or why it is not available here."""
    try:
        extractor = get_extractor(default_extractor(name))
        test = evaluate.reference(DataConfig(name=name, split="test"), extractor, n, torch.device("cpu"))
        train = load_dataset(DataConfig(name=name)).real(len(test.features))
    except GanforgeError as error:
        return {"available": False, "reason": error.message}
    figures = evaluate.compute(METRICS, test, evaluate.embed(train, extractor))
    return {
        "available": True,
        "extractor": extractor.name,
        "n_train": len(train),
        "n_test": len(test.features),
        **{figure: figures[figure] for figure in FIGURES},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="images a side, at most (default 10,000)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    started = time.perf_counter()
    datasets = {name: measure(name, args.n) for name in DATASETS}
    metrics = {
        f"{name}/{figure}": {"mean": row[figure], "min": row[figure], "max": row[figure]}
        for name, row in datasets.items() if row["available"] for figure in FIGURES
    }  # fmt: skip
    command = "python -m benchmarks.reference_values" + (f" --n {args.n}" if args.n != 10_000 else "")
    results = {
        "command": command,
        "machine": machine_description(),
        "seconds": round(time.perf_counter() - started, 1),
        "datasets": datasets,
        "metrics": metrics,
    }
    write_json(args.out, results)
    print("| dataset | extractor | n train / n test | FID | KID | precision | recall | density | coverage |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in DATASETS:
        print(reference_row(results, name))


if __name__ == "__main__":
    main()
