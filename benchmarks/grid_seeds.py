"""The WGAN-GP grid test's settings on several seeds, beside the controls the test compares against.

python -m benchmarks.grid_seeds                  # seeds 0-4, ~1 minute each on one thread
python -m benchmarks.grid_seeds --seeds 0 1 --set train.steps=4000

Prints, per seed, the modes covered and the high-quality share (within 3 std of a centre) of G_ema's samples,
then the controls (a blob on every mode six times too wide, a uniform smear, a single mode, an untrained G) and
the margin by which the worst seed beats each. The test (tests/test_family_learning.py) runs one seed; this shows
that seed is not a lucky one. Writes benchmarks/results/grid-seeds.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import RESULTS, machine_description, test_module, write_json


def _parse_value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--out", default=str(RESULTS / "grid-seeds.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)  # as the suite runs on a shared machine; the figures do not depend on it
    test = test_module("test_family_learning")
    overrides = {key: _parse_value(value) for key, value in (item.split("=", 1) for item in args.set)}
    controls = test.grid_controls()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            started = time.perf_counter()
            coverage = test.train_grid(Path(tmp) / f"seed{seed}", seed, overrides)
            seconds = time.perf_counter() - started
            rows.append({"seed": seed, "modes": coverage.modes_covered, "high_quality": coverage.high_quality,
                         "seconds": round(seconds, 1)})  # fmt: skip
            print(f"seed {seed}: {coverage.modes_covered} of 25 modes, high quality {coverage.high_quality:.3f} "
                  f"({seconds:.0f} s)", flush=True)  # fmt: skip
    print("controls:")
    for name, coverage in controls.items():
        print(f"  {name:<14} {coverage.modes_covered:>2} modes, high quality {coverage.high_quality:.3f}")
    worst_modes = min(row["modes"] for row in rows)
    worst_quality = min(row["high_quality"] for row in rows)
    print(f"worst seed: {worst_modes} modes (test needs >= {test.GRID_MIN_MODES}), high quality {worst_quality:.3f} "
          f"(test needs > {test.grid_quality_bar(controls):.3f})")  # fmt: skip
    write_json(Path(args.out), {
        "command": " ".join(["python -m benchmarks.grid_seeds", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        "settings": {**test.GRID_RUN, **overrides},
        "seeds": rows,
        "controls": {name: {"modes": c.modes_covered, "high_quality": c.high_quality} for name, c in controls.items()},
        "min_modes": test.GRID_MIN_MODES,
        "quality_bar": test.grid_quality_bar(controls),
    })  # fmt: skip


if __name__ == "__main__":
    main()
