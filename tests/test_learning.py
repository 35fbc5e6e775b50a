"""End-to-end: the GANs learn what they should, not only run."""

from pathlib import Path

import pytest

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.data import load_dataset
from ganforge.metrics.modes import mode_coverage

CONFIGS = Path(__file__).parent.parent / "configs"
MODES_NEEDED, QUALITY_NEEDED = 6, 0.2  # of 8 modes; share of samples within 3 std of a mode (benchmarks.learning_seeds)


@pytest.mark.slow
def test_mlp_gan_on_the_ring_finds_at_least_6_of_8_modes(tmp_path):
    cfg = apply_overrides(Config.load(CONFIGS / "ring.yaml"), {"out": str(tmp_path / "ring")})
    run = ganforge.train(cfg)
    samples = ganforge.load(run).sample(2000, seed=1)
    ring = load_dataset(cfg.data)
    coverage = mode_coverage(samples, ring.centers, ring.std)
    assert coverage.modes_total == 8
    assert coverage.modes_covered >= MODES_NEEDED, coverage
    assert coverage.high_quality > QUALITY_NEEDED, coverage  # samples within 3 std of a mode, not merely near


@pytest.mark.slow
def test_the_untrained_generator_covers_no_mode(tmp_path):
    # The same measurement before training: the test above is not passed by chance.
    cfg = apply_overrides(Config.load(CONFIGS / "ring.yaml"), {"out": str(tmp_path / "ring"), "train.steps": 1})
    samples = ganforge.load(ganforge.train(cfg)).sample(2000, seed=1)
    ring = load_dataset(cfg.data)
    assert mode_coverage(samples, ring.centers, ring.std).modes_covered <= 1
