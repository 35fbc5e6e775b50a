"""The floor of each metric: real training images measured against real test images.

    python scripts/reference_values.py [--n 10000]

Prints a markdown table for docs/metrics.md: a generator that reproduced the training set perfectly
would score about this, so differences below these floors say nothing.
"""

from __future__ import annotations

import argparse
import logging

import torch

from ganforge import evaluate
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics.extractors import default_extractor, get_extractor

DATASETS = ("mnist", "fashion-mnist", "stacked-mnist", "cifar10")
METRICS = ["fid", "kid", "precision-recall", "density-coverage"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args()
    logging.getLogger("ganforge").setLevel(logging.ERROR)
    print("| dataset | extractor | n train / n test | FID | KID | precision | recall | density | coverage |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in DATASETS:
        try:
            extractor = get_extractor(default_extractor(name))
            test = evaluate.reference(DataConfig(name=name, split="test"), extractor, args.n, torch.device("cpu"))
            train = load_dataset(DataConfig(name=name)).real(len(test.features))
        except GanforgeError as error:
            print(f"| {name} | - | - | not available here: {error.message} | | | | | |")
            continue
        m = evaluate.compute(METRICS, test, evaluate.embed(train, extractor))
        print(
            f"| {name} | {extractor.name} | {len(train):,} / {len(test.features):,} | {m['fid']:.2f} | "
            f"{m['kid']:.3f} | {m['precision']:.3f} | {m['recall']:.3f} | {m['density']:.3f} | {m['coverage']:.3f} |"
        )


if __name__ == "__main__":
    main()
