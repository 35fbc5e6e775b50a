"""End-to-end: the GAN family learns the 2-D mixtures, not only runs.

Each run keeps G_ema (decay 0.995): the raw G of a small 2-D GAN circles around the modes from step to step
(the ring's modes have std 0.01, so "high quality" means within 0.03 of a centre), and averaging its weights
over the last ~200 steps settles it onto them. Without G_ema (seed 0) hinge found 7 modes with 11% high-quality
samples and lsgan 5 with 10%; with it both find all 8 with about 80% (seeds 0 and 1).
"""

import math
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.config import Config, apply_overrides
from ganforge.data import load_dataset
from ganforge.metrics.modes import PROTOCOL_SAMPLES, ModeCoverage, mode_coverage
from ganforge.resolve import resolve
from ganforge.train import build_session
from ganforge.trained import render

CONFIGS = Path(__file__).parent.parent / "configs"
RING_RUN = {"train.steps": 2000, "train.ema": 0.995, "train.sample_every": 2000, "train.checkpoint_every": 2000,
            "train.health_every": 0}  # fmt: skip


@dataclass(frozen=True)
class RingTarget:
    """What a loss must reach on the ring: every mode holds ``min_share`` of the samples within ``radius`` data
    std of its centre, and the samples within that radius are at least ``quality`` of all."""

    radius: float  # in the data's std (0.01): 3 is the VEEGAN/PacGAN protocol
    quality: float
    min_share: float = 0.01

    def coverage(self, samples: torch.Tensor, data) -> ModeCoverage:
        return mode_coverage(samples, data.centers, data.std, threshold=self.radius,
                             min_count=round(self.min_share * len(samples)))  # fmt: skip

    def met_by(self, coverage: ModeCoverage) -> bool:
        return coverage.modes_covered == coverage.modes_total and coverage.high_quality > self.quality


# loss -> (its settings, its target). The best control that covers all 8 modes scores 0.39 (blobs as wide as the
# radius); seeds 0-4 score hinge and lsgan ~0.8 at 3 std and wgan 0.51-0.76 at 10 std:
# python -m benchmarks.learning_seeds ring (benchmarks/results/ring-seeds*.json).
LOSS_SETTINGS = {
    "hinge": ({}, RingTarget(radius=3, quality=0.5)),
    "lsgan": ({}, RingTarget(radius=3, quality=0.5)),
    "rpgan": ({}, RingTarget(radius=3, quality=0.5)),  # the relativistic pairing loss: 0.82 at seed 0
    # Weight clipping leaves the critic too smooth to pull samples within 3 std of a mode: it learns each mode as
    # a blob a few times wider than the data's, as Gulrajani et al. (2017, figure 1) show on this mixture. So its
    # target is the modes at 10 std (0.1, an eighth of the spacing between modes), well above a smear along the
    # ring. Adam at 2e-4 (not the ring's 1e-3) and the minibatch std feature (Karras et al. 2018) keep it stable:
    # at 1e-3 one seed in five smeared along the ring (Arjovsky et al. warn that momentum destabilises clipping).
    "wgan": ({"train.d_steps": 5, "train.weight_clip": 0.1, "model.minibatch_std": True,
              "optim.lr_g": 2e-4, "optim.lr_d": 2e-4}, RingTarget(radius=10, quality=0.45)),  # fmt: skip
}


def ring_controls(cfg: Config, target: RingTarget, n: int = PROTOCOL_SAMPLES) -> dict[str, torch.Tensor]:
    """Samples that must fail a target: a smear along the ring (every mode, no concentration), blobs on every
    mode as wide as the target's radius (39% of them inside it), one sharp mode, and G before its first update."""
    data, g = load_dataset(cfg.data), torch.Generator().manual_seed(0)
    angle = torch.rand(n, generator=g) * 2 * math.pi
    smear = torch.stack([angle.cos(), angle.sin()], 1) + data.std * torch.randn(n, 2, generator=g)
    which = torch.arange(n) % len(data.centers)
    wide = data.centers[which] + target.radius * data.std * torch.randn(n, 2, generator=g)
    single = data.centers[0] + data.std * torch.randn(n, 2, generator=g)
    session = build_session(resolve(cfg))
    untrained = render(session.gan, session.gan.sample_latent(n, g))
    return {"smear along the ring": smear, "blobs as wide as the radius": wide, "one mode": single,
            "untrained G": untrained}  # fmt: skip


def samples_of(run: Path) -> torch.Tensor:
    return ganforge.load(run).sample(PROTOCOL_SAMPLES, seed=1)


def coverage_of(run: Path, cfg: Config):
    data = load_dataset(cfg.data)
    return mode_coverage(samples_of(run), data.centers, data.std)


@pytest.mark.parametrize("loss", list(LOSS_SETTINGS))
def test_the_ring_targets_fail_every_control(tmp_path, loss):
    settings, target = LOSS_SETTINGS[loss]
    cfg = apply_overrides(Config.load(CONFIGS / "ring.yaml"), {**RING_RUN, "train.loss": loss, **settings,
                                                               "out": str(tmp_path / loss)})  # fmt: skip
    data = load_dataset(cfg.data)
    for name, samples in ring_controls(cfg, target).items():
        assert not target.met_by(target.coverage(samples, data)), name


@pytest.mark.slow
@pytest.mark.parametrize("loss", list(LOSS_SETTINGS))
def test_the_loss_finds_all_8_ring_modes(tmp_path, loss):
    settings, target = LOSS_SETTINGS[loss]
    overrides = {**RING_RUN, "train.loss": loss, **settings, "out": str(tmp_path / loss)}
    cfg = apply_overrides(Config.load(CONFIGS / "ring.yaml"), overrides)
    data = load_dataset(cfg.data)
    coverage = target.coverage(samples_of(ganforge.train(cfg)), data)
    assert coverage.modes_total == 8
    assert target.met_by(coverage), coverage


# WGAN-GP on the 5 x 5 grid (std 0.05, spacing 2). Found by a search on one thread: the paper's toy setting
# (lambda 10, 5 critic steps, lr 1e-4, 512-unit networks) needs ~100k steps; a softer penalty (lambda 1), two
# critic steps at three times G's learning rate and G_ema reach the 25 modes within 3,000 steps, but gather only
# 13-14% of the samples at them, barely more than blobs six times too wide (11%). 6,000 steps find 23-25 modes
# with 26-40% high quality on seeds 0-4 (python -m benchmarks.grid_seeds; benchmarks/results/grid-seeds.json);
# 4,500 steps gave 16-19%, and lambda 0.1, G_ema decay 0.99 or 0.999, or a third of the learning rates did not
# help at 3,000. About a minute on one thread.
GRID_RUN = {
    "data.name": "grid", "model.z_dim": 2, "model.g_hidden": [128, 128], "model.d_hidden": [128, 128],
    "train.loss": "wgan-gp", "train.gp_lambda": 1.0, "train.d_steps": 2, "train.batch_size": 256,
    "optim.lr_g": 1e-3, "optim.lr_d": 3e-3, "optim.betas": [0.5, 0.9], "train.ema": 0.995, "train.steps": 6000,
    "train.sample_every": 6000, "train.checkpoint_every": 6000, "train.health_every": 0, "train.log_every": 500,
}  # fmt: skip
GRID_MIN_MODES = 20
GRID_QUALITY_MARGIN = 1.5  # the run's high-quality share must be this many times the best control's

# R3GAN's loss (Huang et al. 2024: the relativistic pairing loss with R1 on real and R2 on generated points) on the
# same grid and MLP. Found on one thread (python -m benchmarks.grid_seeds --run r3gan): gamma 0.3 for both
# penalties, one D step, Adam 1e-3 with betas (0.5, 0.9) falling linearly to 0 over the last three quarters,
# 8,000 steps: seeds 0-4 all find the 25 modes with 56-78% of the samples at them (the grid preset's recipe
# at test length). Gamma 0.01 found 21 modes, 0.1 gathered 18-22%, and 6,000 steps 19-60% (seeds 0-4 at 0.3).
# About a minute on one thread.
R3GAN_GRID_RUN = {
    **{key: value for key, value in GRID_RUN.items() if key != "train.gp_lambda"},
    "train.loss": "rpgan", "train.r1_gamma": 0.3, "train.r2_gamma": 0.3, "train.d_steps": 1,
    "optim.lr_g": 1e-3, "optim.lr_d": 1e-3, "optim.lr_decay": 0.75, "train.steps": 8000,
    "train.sample_every": 8000, "train.checkpoint_every": 8000,
}  # fmt: skip
GRID_RUNS = {"wgan-gp": GRID_RUN, "r3gan": R3GAN_GRID_RUN}
R3GAN_MIN_MODES = 24
R3GAN_QUALITY_MARGIN = 3.0  # R3GAN's loss must gather three times the best spread control's share at the modes


def train_grid(out: Path, seed: int = 0, overrides: dict | None = None, settings: dict = GRID_RUN):
    """Train ``settings`` (GRID_RUN, or R3GAN_GRID_RUN) at ``seed`` into ``out`` and measure G_ema's mode coverage
    (benchmarks/grid_seeds.py too)."""
    cfg = apply_overrides(Config(), {**settings, "train.seed": seed, **(overrides or {}), "out": str(out)})
    return coverage_of(ganforge.train(cfg), cfg)


def grid_controls() -> dict:
    """What generators that have not learned the grid score, under the same protocol (2,500 samples):
    a blob on every mode six times too wide (std 0.3), a uniform smear over the grid's square, all samples on a
    single mode (at the data's std) and the untrained G of GRID_RUN."""
    data = load_dataset(apply_overrides(Config(), GRID_RUN).data)
    centers, std, n = data.centers.double(), data.std, PROTOCOL_SAMPLES
    generator = torch.Generator().manual_seed(0)
    wide = centers.repeat(n // len(centers), 1) + 6 * std * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    smear = (torch.rand(n, 2, generator=generator, dtype=torch.float64) * 2 - 1) * (centers.abs().max() + 0.2)
    single = centers[12] + std * torch.randn(n, 2, generator=generator, dtype=torch.float64)
    session = build_session(resolve(apply_overrides(Config(), GRID_RUN)))
    untrained = render(session.gan, session.gan.sample_latent(n, torch.Generator().manual_seed(1)))
    samples = {"wide blobs": wide, "uniform smear": smear, "single mode": single, "untrained G": untrained}
    return {name: mode_coverage(points, data.centers, std) for name, points in samples.items()}


def grid_quality_bar(controls: dict, margin: float = GRID_QUALITY_MARGIN) -> float:
    """The high-quality share a run must beat: ``margin`` times that of the best control that covers
    GRID_MIN_MODES modes (the controls that cover fewer fail the mode count already)."""
    spread = [c.high_quality for c in controls.values() if c.modes_covered >= GRID_MIN_MODES]
    return margin * max(spread)


@pytest.mark.slow
def test_wgan_gp_finds_at_least_20_of_the_25_grid_modes(tmp_path):
    coverage = train_grid(tmp_path / "grid")
    controls = grid_controls()
    bar = grid_quality_bar(controls)

    def learned(c) -> bool:  # the modes found, and the samples gathered at them rather than merely near them
        return c.modes_covered >= GRID_MIN_MODES and c.high_quality > bar

    # Every control fails: a single mode and the untrained G on the mode count (1 each), a smear (24 modes, 0.030)
    # and blobs six times too wide (25, 0.114) on the share, which must beat 1.5 x 0.114 = 0.17.
    assert not any(learned(control) for control in controls.values()), controls
    # Seed 0 scores 25 modes and 0.334; the worst of seeds 0-4, 23 and 0.256 (benchmarks/results/grid-seeds.json).
    assert coverage.modes_total == 25
    assert learned(coverage), (coverage, bar)


@pytest.mark.slow
def test_r3gan_loss_finds_every_grid_mode_and_gathers_its_samples_at_them(tmp_path):
    coverage = train_grid(tmp_path / "grid", settings=R3GAN_GRID_RUN)
    controls = grid_controls()
    bar = grid_quality_bar(controls, R3GAN_QUALITY_MARGIN)
    # The controls' best spread share is the six-times-too-wide blobs' 0.114 (25 modes), so the bar is 0.34; a
    # single mode and the untrained G cover 1 mode. Seeds 0-4 score 25 modes and 0.56 to 0.78.

    def learned(c) -> bool:
        return c.modes_covered >= R3GAN_MIN_MODES and c.high_quality > bar

    assert not any(learned(control) for control in controls.values()), controls
    assert coverage.modes_total == 25
    assert learned(coverage), (coverage, bar)
