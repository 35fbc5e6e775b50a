"""A grid test's settings (WGAN-GP's, or R3GAN's loss) on several seeds, beside the controls the test compares against.

python -m benchmarks.grid_seeds                  # WGAN-GP, seeds 0-4, ~1 minute each on one thread
python -m benchmarks.grid_seeds --run r3gan      # R3GAN's loss; writes grid-seeds-r3gan.json
python -m benchmarks.grid_seeds --seeds 0 1 --set train.steps=4000

Prints, per seed, the modes covered and the high-quality share (within 3 std of a centre) of G_ema's samples,
then the controls (a blob on every mode six times too wide, a uniform smear, a single mode, an untrained G) and
the margin by which the worst seed beats each. The test (tests/test_family_learning.py) runs one seed; this shows
that seed is not a lucky one. Writes benchmarks/results/grid-seeds.json (grid-seeds-r3gan.json for --run r3gan).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from benchmarks.common import RESULTS, machine_description, parse_sets, test_module, write_json


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--run", choices=("wgan-gp", "r3gan"), default="wgan-gp", help="which grid test's settings")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    parser.add_argument("--out", help="default: benchmarks/results/grid-seeds.json (grid-seeds-r3gan.json)")
    args = parser.parse_args(argv)
    default = "grid-seeds.json" if args.run == "wgan-gp" else "grid-seeds-r3gan.json"
    out = Path(args.out) if args.out else RESULTS / default
    torch.set_num_threads(1)  # as the suite runs on a shared machine; the figures do not depend on it
    test = test_module("test_family_learning")
    settings = test.GRID_RUNS[args.run]
    margin, min_modes = ((test.GRID_QUALITY_MARGIN, test.GRID_MIN_MODES) if args.run == "wgan-gp"
                         else (test.R3GAN_QUALITY_MARGIN, test.R3GAN_MIN_MODES))  # fmt: skip
    overrides = parse_sets(args.set)
    controls = test.grid_controls()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            started = time.perf_counter()
            coverage = test.train_grid(Path(tmp) / f"seed{seed}", seed, overrides, settings)
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
    print(f"worst seed: {worst_modes} modes (test needs >= {min_modes}), high quality {worst_quality:.3f} "
          f"(test needs > {test.grid_quality_bar(controls, margin):.3f})")  # fmt: skip
    write_json(out, {
        "command": " ".join(["python -m benchmarks.grid_seeds", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine_description(),
        "settings": {**settings, **overrides},
        "seeds": rows,
        "controls": {name: {"modes": c.modes_covered, "high_quality": c.high_quality} for name, c in controls.items()},
        "min_modes": min_modes,
        "quality_bar": test.grid_quality_bar(controls, margin),
    })  # fmt: skip


if __name__ == "__main__":
    main()
