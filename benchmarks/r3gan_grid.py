"""R3GAN's loss on the 25-Gaussian grid: the relativistic pairing loss with R1 and R2, on the ring.yaml MLP.

    python -m benchmarks.r3gan_grid                         # seed 0, 8,000 steps, measured at 2k/4k/6k/8k
    python -m benchmarks.r3gan_grid --checkpoints 2000 4000 6000    # the committed result (docs/models.md)
    python -m benchmarks.r3gan_grid --seeds 0 1 2 --set train.r1_gamma=0.1 --set train.r2_gamma=0.1

A learning check that did not fit the fast suite: within the few thousand steps a fast test can afford, the
settings tried stayed well short of the bar the grid test of tests/test_family_learning.py sets (1.5 times the best
spread-out control's high-quality share); docs/models.md gives the figures. This trains longer and reports, per
seed and checkpoint, the modes covered and the high-quality share of G_ema's samples (PacGAN's protocol, 2,500
samples, within 3 std of a centre), beside the controls (a blob on every mode six times too wide, a uniform smear, one
mode, the untrained G) and that bar. Writes benchmarks/results/r3gan-grid.json.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import torch

from benchmarks.common import RESULTS, machine_description, write_json
from ganforge import stats
from ganforge.config import Config, apply_overrides
from ganforge.metrics.modes import PROTOCOL_SAMPLES, ModeCoverage, mode_coverage
from ganforge.resolve import resolve
from ganforge.train import build_session, train_step
from ganforge.trained import render

GRID_R3_RUN = {
    "data.name": "grid", "model.z_dim": 2, "model.g_hidden": [128, 128], "model.d_hidden": [128, 128],
    "train.loss": "rpgan", "train.r1_gamma": 0.01, "train.r2_gamma": 0.01, "train.batch_size": 256,
    "optim.lr_g": 1e-3, "optim.lr_d": 1e-3, "optim.betas": [0.5, 0.9], "train.ema": 0.995,
    "train.health_every": 0, "out": "unused",
}  # fmt: skip
MIN_MODES = 20
QUALITY_MARGIN = 1.5  # a run's high-quality share must be this many times the best spread-out control's


def controls(cfg: Config) -> dict[str, ModeCoverage]:
    """What generators that have not learned the grid score under the protocol."""
    session = build_session(resolve(cfg))
    centers, std, n = session.data.centers.double(), session.data.std, PROTOCOL_SAMPLES
    generator = torch.Generator().manual_seed(0)
    wide = centers.repeat(n // len(centers), 1) + 6 * std * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    smear = (torch.rand(n, 2, generator=generator, dtype=torch.float64) * 2 - 1) * (centers.abs().max() + 0.2)
    single = centers[12] + std * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    untrained = render(session.gan, session.gan.sample_latent(n, torch.Generator().manual_seed(1)))
    samples = {"wide blobs": wide, "uniform smear": smear, "single mode": single, "untrained G": untrained}
    return {name: mode_coverage(points, centers, std) for name, points in samples.items()}


def train(cfg: Config, checkpoints: list[int]) -> list[dict[str, Any]]:
    """Train in memory, measuring G_ema at each of ``checkpoints`` (steps)."""
    session, rows, started = build_session(resolve(cfg)), [], time.perf_counter()
    while session.step < max(checkpoints):
        train_step(session)
        if session.step in checkpoints:
            stats.reset()
            z = session.gan.sample_latent(PROTOCOL_SAMPLES, torch.Generator().manual_seed(1))
            coverage = mode_coverage(render(session.gan, z), session.data.centers, session.data.std)
            rows.append({"step": session.step, "modes": coverage.modes_covered,
                         "high_quality": round(coverage.high_quality, 4),
                         "seconds": round(time.perf_counter() - started, 1)})  # fmt: skip
            print(f"  step {session.step}: {coverage.modes_covered} of 25 modes, high quality "
                  f"{coverage.high_quality:.3f}", flush=True)  # fmt: skip
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.r3gan_grid", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[2000, 4000, 6000, 8000])
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a setting")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    overrides = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    settings = {**GRID_R3_RUN, **overrides}
    measured_controls = controls(apply_overrides(Config(), settings))
    bar = QUALITY_MARGIN * max(c.high_quality for c in measured_controls.values() if c.modes_covered >= MIN_MODES)
    runs = {}
    for seed in args.seeds:
        print(f"seed {seed}", flush=True)
        runs[seed] = train(apply_overrides(Config(), {**settings, "train.seed": seed}), sorted(args.checkpoints))
    result = {
        "machine": machine_description(),
        "settings": {key: value for key, value in settings.items() if key != "out"},
        "runs": runs,
        "controls": {name: {"modes": c.modes_covered, "high_quality": round(c.high_quality, 4)}
                     for name, c in measured_controls.items()},  # fmt: skip
        "bar": {"modes": MIN_MODES, "high_quality": round(bar, 4)},
    }
    write_json(RESULTS / "r3gan-grid.json", result)
    print(json.dumps(result["controls"]), f"bar: >= {MIN_MODES} modes, high quality > {bar:.3f}")
    return result


if __name__ == "__main__":
    main()
