"""How the default run's settings were chosen: the `fast` preset on the MNIST subset with one setting changed.

    python -m benchmarks.fast_settings                  # every row, seed 0 (about 45 minutes on one core)
    python -m benchmarks.fast_settings --rows lr-2e-3 lr-8e-4     # rerun two rows; the others keep theirs

Each row is ``python -m benchmarks.default_run --seeds 0 --n 5000 --metrics fid,precision-recall,classes`` with
the row's ``--set`` overrides: the default run's 4,000 steps, then mnist-cnn FID, precision and recall of 5,000
samples against the subset's 1,000 held-out digits, and the classes covered. Every row names its learning rate, so
a row means the same whatever the preset's own rate is. One seed per row: the default run's spread over seeds
(seeds 0-2 in benchmarks/results/default-run.json) is about 10 FID, so rows closer than that are a tie.
Writes benchmarks/results/fast-settings-mnist.json; docs/models.md quotes it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import default_run
from benchmarks.common import RESULTS, machine_description, write_json

OUT = RESULTS / "fast-settings-mnist.json"
BASE = ["--seeds", "0", "--n", "5000", "--metrics", "fid,precision-recall,classes"]


def _lr(value: str) -> list[str]:
    return ["--set", f"optim.lr_g={value}", "--set", f"optim.lr_d={value}"]


# name -> (what changes, default_run's extra arguments)
ROWS: dict[str, tuple[str, list[str]]] = {
    "lr-4e-4": ("Adam 4e-4", _lr("4e-4")),
    "lr-8e-4": ("Adam 8e-4 (the preset before this change)", _lr("8e-4")),
    "lr-1.2e-3": ("Adam 1.2e-3", _lr("1.2e-3")),
    "lr-1.6e-3": ("Adam 1.6e-3", _lr("1.6e-3")),
    "lr-2e-3": ("Adam 2e-3 (the preset now)", _lr("2e-3")),
    "lr-2.4e-3": ("Adam 2.4e-3", _lr("2.4e-3")),
    "lr-3.2e-3": ("Adam 3.2e-3", _lr("3.2e-3")),
    "lr-2e-3-beta2-0.99": ("Adam 2e-3, betas (0.5, 0.99)", [*_lr("2e-3"), "--set", "optim.betas=[0.5,0.99]"]),
    "translation": ("Adam 8e-4, DiffAugment translation", [*_lr("8e-4"), "--set", "train.augment=translation"]),
    "ema-rampup-0.1": ("Adam 8e-4, G_ema half-life 10% of the steps", [*_lr("8e-4"), "--set", "train.ema_rampup=0.1"]),
    "batch-32": ("Adam 8e-4, batch 32 for 8,000 steps",
                 [*_lr("8e-4"), "--set", "train.batch_size=32", "--steps", "8000"]),
}  # fmt: skip


def measure(name: str) -> dict[str, Any]:
    """One row: default_run with the row's settings, its seed-0 figures."""
    label, extra = ROWS[name]
    with tempfile.TemporaryDirectory() as folder:
        result = default_run.main([*BASE, *extra, "--out", str(Path(folder) / "row.json")])
    metrics = {key: round(value["mean"], 4) for key, value in result["metrics"].items()}
    command = " ".join(["python -m benchmarks.default_run", *BASE, *extra])
    return {"row": name, "settings": label, "command": command, "machine": machine_description(),
            "train_seconds": result["seeds"][0]["train_seconds"], **metrics}  # fmt: skip


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", nargs="+", choices=list(ROWS), default=list(ROWS))
    args = parser.parse_args(argv)
    fresh = {name: measure(name) for name in args.rows}
    kept = {row["row"]: row for row in json.loads(OUT.read_text())["rows"]} if OUT.is_file() else {}
    result = {
        "command": " ".join(["python -m benchmarks.fast_settings", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        # rows not rerun keep their figures (each row records its own command); ROWS' order
        "rows": [fresh.get(name) or kept[name] for name in ROWS if name in fresh or name in kept],
    }
    write_json(OUT, result)
    return result


if __name__ == "__main__":
    main()
