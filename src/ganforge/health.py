"""Training health: signals measured while training, and alarms that say what they mean.

Signals (written to metrics.jsonl as ``health/...`` every ``train.health_every`` steps, one host sync):
  health/diversity        mean pairwise distance of samples from fixed latents over that of real images
                          (in the domain classifier's feature space when one ships, else pixels or points)
  health/classes          classes holding at least 1% of the samples (images, when a classifier ships)
  health/modes            share of the 2-D mixture's modes captured (ring, grid)
  health/d_overfit        the drop of D's mean score from training to held-out real images, as a share of
                          the gap from training images to fakes (0: D generalises; 1: held-out look fake)
  health/grad_norm/G, /D  L2 norm of all of G's (D's) gradients at that step

Alarms are pure functions of the list of metrics records, so the same code judges a run live and
afterwards (``ganforge doctor RUN``). Each fires once, at the first step its condition holds for
``PATIENCE`` consecutive measurements, after a warm-up.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch

from ganforge.errors import GanforgeError
from ganforge.trained import render

log = logging.getLogger("ganforge")

PROBE_IMAGES = 256  # samples and real images per measurement
PROBE_POINTS = 1000
PATIENCE = 3  # consecutive measurements a condition must hold
WARMUP_SHARE = 0.2  # no alarm in the first 20% of training: every GAN starts out "collapsed" and "saturated"
STUCK_SHARE = 0.6  # a collapse alarm for a signal that never recovered waits until 60% of training
MIN_CLASS_SHARE = 0.01

# thresholds (docs/health.md explains each)
COLLAPSE_DIVERSITY = 0.35
COLLAPSE_CLASSES = 0.3  # of the classes
COLLAPSE_MODES = 0.5  # of the modes
SATURATED_D_REAL, SATURATED_D_FAKE = 0.95, 0.05
OVERFIT_GAP = 0.3
EXPLODING_GRAD = 1e3
VANISHING_GRAD_SHARE = 1e-3  # of G's median gradient norm so far


class HealthProbe:
    """Measures the health signals of a training session at low cost."""

    def __init__(self, session: Any) -> None:
        s = self.session = session
        generator = torch.Generator(s.device).manual_seed(s.cfg.train.seed + 5)  # the probe's own streams
        self.augment_seed = s.cfg.train.seed + 6
        self.points = s.data.kind == "points"
        self.latents = s.gan.sample_latent(PROBE_POINTS if self.points else PROBE_IMAGES, generator)
        self.classifier = None if self.points else _domain_classifier(s.cfg.data.name, s.device)
        self.real = s.data.real(len(self.latents)).to(s.device)
        self.real_spread = _spread(self._embed(self.real))
        self.held_out = None
        if not self.points and not s.cfg.data.name.startswith("folder:"):
            test_cfg = dataclasses.replace(s.cfg.data, split="test")
            self.held_out = _load_quietly(test_cfg, s.device, PROBE_IMAGES)

    def _embed(self, samples: torch.Tensor) -> torch.Tensor:
        if self.classifier is not None:
            return self.classifier.features(samples)
        return samples.flatten(1).float().cpu()

    @torch.no_grad()
    def measure(self) -> dict[str, float]:
        """The signals now (call at a logging step, after the step's updates)."""
        s = self.session
        samples = render(s.gan, self.latents)
        values = {"health/diversity": _spread(self._embed(samples)) / max(self.real_spread, 1e-12)}
        if self.points:
            from ganforge.metrics.modes import mode_coverage

            coverage = mode_coverage(samples, s.data.centers, s.data.std)
            values["health/modes"] = coverage.modes_covered / coverage.modes_total
        elif self.classifier is not None:
            shares = torch.bincount(self.classifier.probabilities(samples).argmax(1), minlength=10) / len(samples)
            values["health/classes"] = float((shares >= MIN_CLASS_SHARE).sum())
        if self.held_out is not None:
            values["health/d_overfit"] = self._overfit(samples.to(s.device))
        values.update(_gradient_norms(s.gan))
        return values

    def _overfit(self, fakes: torch.Tensor) -> float:
        # How far D's mean score of held-out real images has fallen from that of training images, as a share
        # of the distance from training images to fakes: 0 when D generalises, 1 when it scores held-out
        # images like fakes. Free of the critic's offset and scale, so it reads the same for every loss.
        gan = self.session.gan
        D = gan.D
        was_training = D.training
        D.eval()
        try:  # through discriminate, which packs samples when train.pack > 1 (D's input is then m samples wide)
            with _own_augment_stream(gan, self.augment_seed):
                train, held_out, fake = (gan.discriminate(x).mean() for x in (self.real, self.held_out, fakes))
        finally:
            D.train(was_training)
        return float((train - held_out) / (train - fake).abs().clamp_min(1e-6))


@contextmanager
def _own_augment_stream(gan: Any, seed: int) -> Iterator[None]:
    """DiffAugment draws from a stream seeded afresh for the probe, so the training stream stays where it was
    (a run's weights do not depend on train.health_every) and every measurement sees the same transforms."""
    augment = gan.augment
    if augment is None:
        yield
        return
    training_stream = augment.generator
    augment.generator = torch.Generator(training_stream.device).manual_seed(seed)
    try:
        yield
    finally:
        augment.generator = training_stream


def _spread(features: torch.Tensor) -> float:
    """Mean pairwise Euclidean distance."""
    return float(torch.pdist(features.double()).mean()) if len(features) > 1 else 0.0


def _gradient_norms(gan: Any) -> dict[str, float]:
    norms = {}
    for name, net in (("G", gan.G), ("D", gan.D)):
        grads = [p.grad for p in net.parameters() if p.grad is not None]
        if grads:
            norms[f"health/grad_norm/{name}"] = float(torch.linalg.vector_norm(torch.stack(
                [torch.linalg.vector_norm(g.float()) for g in grads])))  # fmt: skip
    return norms


def _domain_classifier(dataset: str, device: torch.device) -> Any:
    from ganforge.metrics.extractors import default_extractor, get_extractor

    name = default_extractor(dataset)
    if name == "inception" or dataset == "stacked-mnist":
        return None  # too slow to run this often, and often absent; pixels will do
    return get_extractor(name, device, batch_size=PROBE_IMAGES)


def _load_quietly(cfg: Any, device: torch.device, n: int) -> torch.Tensor | None:
    from ganforge.data import load_dataset

    try:
        return load_dataset(cfg, device).real(n).to(device)
    except GanforgeError:
        return None  # no held-out split here: the overfitting signal is skipped


# -- alarms --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """An alarm that fired: which, from which step, what it means and what to try."""

    alarm: str
    step: int
    message: str

    def __str__(self) -> str:
        return f"[{self.alarm}] {self.message}"


@dataclass(frozen=True)
class Alarm:
    name: str
    key: str  # the signal it reads
    bad: Callable[[float, list[dict[str, Any]]], bool]  # (value, history so far) -> condition holds
    message: Callable[[float, int], str]  # (value, since step) -> plain words, cause and what to try
    losses: tuple[str, ...] | None = None  # only for these losses (None: any)
    # Collapse alarms: a generator that has not learned yet looks collapsed too. So these fire only once the
    # signal was healthy before (a real collapse), or once 60% of training has passed without it recovering.
    healthy: Callable[[float], bool] | None = None


def _median_so_far(history: list[dict[str, Any]], key: str) -> float:
    values = sorted(r[key] for r in history if key in r)
    return values[len(values) // 2] if values else 0.0


ALARMS = [
    Alarm(
        "mode-collapse",
        "health/classes",
        lambda v, h: v <= COLLAPSE_CLASSES * 10,
        lambda v, since: (
            f"generator samples have collapsed to {v:.0f} of 10 classes since step {since}: try "
            "--preset wgan-gp, packing, or a lower generator learning rate (--lr-g)"
        ),
        healthy=lambda v: v >= 8,
    ),
    Alarm(
        "mode-collapse",
        "health/modes",
        lambda v, h: v < COLLAPSE_MODES,
        lambda v, since: (
            f"generator samples cover only {v:.0%} of the modes since step {since}: try "
            "--preset wgan-gp, packing, or a lower generator learning rate (--lr-g)"
        ),
        healthy=lambda v: v >= 0.9,
    ),
    Alarm(
        "low-diversity",
        "health/diversity",
        lambda v, h: v < COLLAPSE_DIVERSITY,
        lambda v, since: (
            f"samples from different latents are nearly alike (diversity {v:.2f} of the data's) since "
            f"step {since}: a mode collapse; try --preset wgan-gp, packing, or a lower --lr-g"
        ),
        healthy=lambda v: v >= 2 * COLLAPSE_DIVERSITY,
    ),
    Alarm(
        "d-saturated",
        "D(G(z))",
        lambda v, h: v < SATURATED_D_FAKE and h[-1].get("D(x)", 0) > SATURATED_D_REAL,
        lambda v, since: (
            f"D has won since step {since} (D(x) > {SATURATED_D_REAL}, D(G(z)) = {v:.3g}): G's "
            "gradient vanishes; use --loss non-saturating, lower --lr-d, or fewer --d-steps"
        ),
        losses=("minimax", "non-saturating"),
    ),
    Alarm(
        "d-overfitting",
        "health/d_overfit",
        lambda v, h: v > OVERFIT_GAP,
        lambda v, since: (
            f"D tells training images from held-out ones (gap {v:.2f}) since step {since}: it is "
            "memorising the data set; get more data, add augmentation, or stop earlier"
        ),
    ),
    Alarm(
        "exploding-gradients",
        "health/grad_norm/D",
        lambda v, h: v > EXPLODING_GRAD,
        lambda v, since: (
            f"D's gradient norm is {v:.3g} since step {since}: training is about to diverge; "
            "lower the learning rates or use a gradient penalty (--preset wgan-gp)"
        ),
    ),
    Alarm(
        "vanishing-gradients",
        "health/grad_norm/G",
        lambda v, h: v < VANISHING_GRAD_SHARE * _median_so_far(h, "health/grad_norm/G"),
        lambda v, since: (
            f"G's gradient has vanished ({v:.3g}) since step {since}: G no longer learns; "
            "use --loss non-saturating, or a Wasserstein loss (--preset wgan-gp)"
        ),
    ),
]


def diagnose(records: list[dict[str, Any]], loss: str, total_steps: int) -> list[Finding]:
    """Every alarm that fired over ``records`` (in step order), each once, at the first step it held."""
    warmup, stuck = WARMUP_SHARE * (total_steps or 0), STUCK_SHARE * (total_steps or 0)
    findings: dict[str, Finding] = {}
    for alarm in ALARMS:
        if alarm.name in findings or (alarm.losses and loss not in alarm.losses):
            continue
        streak: list[dict[str, Any]] = []
        was_healthy = False
        for i, record in enumerate(records):
            value = record.get(alarm.key)
            if value is None:
                continue
            in_force = alarm.healthy is None or was_healthy or record["step"] >= stuck
            if alarm.healthy is not None and alarm.healthy(value):
                was_healthy = True
            if record["step"] > warmup and in_force and alarm.bad(value, records[: i + 1]):
                streak.append(record)
                if len(streak) >= PATIENCE:
                    since = streak[0]["step"]
                    findings[alarm.name] = Finding(alarm.name, since, alarm.message(value, since))
                    break
            else:
                streak = []
    return sorted(findings.values(), key=lambda finding: finding.step)


def report_card(records: list[dict[str, Any]], loss: str, total_steps: int) -> str:
    """``ganforge doctor``: the latest signals, then every alarm with its cause and remedy, or a clean bill."""
    health = [r for r in records if any(key.startswith("health/") for key in r)]
    if not records:
        return "no metrics yet: the run has not reached its first logging step"
    lines = [f"step {records[-1]['step']} of {total_steps}"]
    if health:
        latest = health[-1]
        lines += [f"  {key[len('health/'):]:<14} {value:.4g}" for key, value in latest.items()
                  if key.startswith("health/")]  # fmt: skip
    else:
        lines.append("  no health signals recorded (train.health_every was off)")
    for key in ("D(x)", "D(G(z))", "loss/D", "loss/G"):
        if key in records[-1]:
            lines.append(f"  {key:<14} {records[-1][key]:.4g}")
    findings = diagnose(records, loss, total_steps)
    lines += [f"alarm: {finding}" for finding in findings] or ["no alarms: nothing looks wrong"]
    return "\n".join(lines)
