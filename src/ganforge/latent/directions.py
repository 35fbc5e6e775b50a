"""Named attribute directions in latent space, found from a pool of measured samples, and edits along them.

A direction is the normal of a linear model of the attribute in z, as InterFaceGAN finds it (Shen et al.
2020, section 2.2): regress the attribute on z and take the unit vector of the coefficients. Two corrections
keep an edit from changing what it should not:

- The attribute is centred within each class before the fit (White 2016, "Sampling generative networks",
  on bias in attribute vectors: a direction fitted on raw labels also learns what correlates with them;
  "thin" would drift towards the digit 1, which is thin on average).
- For a run without class conditioning the direction is then made orthogonal to the class directions (the
  difference between each class's mean latent and the pool's), InterFaceGAN's conditional manipulation
  (eq. 6) with every class as a condition. A conditional run keeps its class through its labels.

``method="halves"`` (the default) fits that regression twice, on each half of the pool split at the attribute's
median: an edit towards higher values follows the fit on the upper half, one towards lower values the fit on the
lower half. The attribute is not linear in z, and how an already narrow digit gets narrower
differs from how a wide one does: the samples an edit fails to move are mostly those near the end it moves
towards (docs/latent.md measures both fits). ``method="regression"`` is the one fit on the whole pool, and
``method="means"`` the difference of means (latents above the 75th percentile of the centred attribute minus
those below the 25th), the attribute vector of Radford et al. (2016) and White (2016).

An edit moves z by ``amount`` standard deviations of the pool latents' projection on the unit direction:
z' = z + amount * sigma * n, sigma = std(z . n). For a standard normal prior sigma is close to 1.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError, check_choice
from ganforge.latent.attributes import CLASSIFIERS, check_attribute
from ganforge.latent.pool import Pool
from ganforge.metrics.extractors import Extractor, get_extractor
from ganforge.trained import TrainedGAN

METHODS = ("halves", "regression", "means")
RIDGE = 1e-2  # a touch of ridge: z_dim can approach the number of samples of a small class


@dataclass
class Direction:
    """A unit direction (z_dim,) for ``attribute`` and the spread ``sigma`` of latents' projections on it."""

    attribute: str
    vector: Tensor
    sigma: float
    lower: Direction | None = None  # method "halves": the direction an edit towards lower values follows

    def towards(self, amount: float) -> Direction:
        """The direction an edit by ``amount`` follows: ``lower`` for a negative amount where there is one."""
        return self.lower if amount < 0 and self.lower is not None else self

    def offset(self, amount: float) -> Tensor:
        """amount * sigma * n, (z_dim,): what an edit of ``amount`` adds to a latent in a straight line."""
        way = self.towards(amount)
        return amount * way.sigma * way.vector

    def apply(self, z: Tensor, amount: float) -> Tensor:
        """z + amount * sigma * n for latents z (N, z_dim)."""
        return z + self.offset(amount).to(z.dtype).to(z.device)

    def step_length(self, amount: float) -> float:
        """How far an edit of ``amount`` moves a latent."""
        return abs(amount) * self.towards(amount).sigma


def _class_groups(pool: Pool) -> np.ndarray | None:
    """Each sample's class: a conditional run's label, else the classifier's, else None."""
    if pool.labels is not None:
        return pool.labels.numpy()
    return pool.measurements.classes


def _centred(values: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """``values`` less the mean of their group (class), then scaled to unit variance."""
    values = values.astype(np.float64).copy()
    if groups is not None:
        for group in np.unique(groups):
            values[groups == group] -= values[groups == group].mean()
    else:
        values -= values.mean()
    spread = values.std()
    return values / spread if spread > 0 else values


def class_directions(pool: Pool) -> Tensor | None:
    """Orthonormal rows spanning each class's mean latent less the pool's mean, (K', z_dim); None if no classes."""
    groups = pool.measurements.classes
    if groups is None or pool.labels is not None:
        return None
    z = pool.z.double()
    centre = z.mean(dim=0)
    rows = [z[torch.from_numpy(groups == group)].mean(dim=0) - centre for group in np.unique(groups)
            if (groups == group).sum() >= 5]  # fmt: skip
    if not rows:
        return None
    basis, _ = torch.linalg.qr(torch.stack(rows).T)  # (z_dim, K'): orthonormal columns
    return basis.T


def find_direction(pool: Pool, attribute: str, method: str = "halves", keep_class: bool = True) -> Direction:
    """The unit latent direction along which ``attribute`` grows, from the pool's measurements (module doc); with
    method "halves" it carries the lower half's fit as ``lower``."""
    check_attribute(attribute, pool.dataset)
    check_choice("direction method", "--method", method, METHODS)
    if len(pool) < 20:
        raise GanforgeError(f"a pool of {len(pool)} samples is too small to find a direction", "use 200 or more")
    if method != "halves":
        return _fit(pool, pool, attribute, method, keep_class)
    values = pool.attribute(attribute)
    upper = values >= np.median(values)
    whole = None
    sides = []
    for rows in (upper, ~upper):
        if rows.sum() >= 20 and np.ptp(values[rows]) > 0:
            sides.append(_fit(pool.subset(np.flatnonzero(rows)), pool, attribute, "regression", keep_class))
        else:  # a half too small or without spread (many samples at one value): the whole pool's fit serves
            whole = whole or _fit(pool, pool, attribute, "regression", keep_class)
            sides.append(whole)
    return replace(sides[0], lower=sides[1])


def _fit(samples: Pool, pool: Pool, attribute: str, method: str, keep_class: bool) -> Direction:
    """One direction fitted on ``samples`` (the pool or a part of it), its sigma measured over the whole ``pool``."""
    target = _centred(samples.attribute(attribute), _class_groups(samples))
    z = samples.z.double()
    if method == "means":
        high, low = np.percentile(target, 75), np.percentile(target, 25)
        weights = z[torch.from_numpy(target >= high)].mean(dim=0) - z[torch.from_numpy(target <= low)].mean(dim=0)
    else:
        design = torch.cat([z, torch.ones(len(z), 1, dtype=z.dtype)], dim=1)  # (N, z_dim + 1)
        gram = design.T @ design + RIDGE * len(z) * torch.eye(design.shape[1], dtype=z.dtype)
        weights = torch.linalg.solve(gram, design.T @ torch.from_numpy(target))[:-1]  # (z_dim,)
    if keep_class:
        basis = class_directions(samples)
        if basis is not None:  # InterFaceGAN's conditional manipulation: n - sum_k (n . c_k) c_k
            weights = weights - basis.T @ (basis @ weights)
    norm = float(weights.norm())
    if norm == 0:
        raise GanforgeError(f"'{attribute}' does not vary with z over this pool", "use a larger pool or another run")
    vector = (weights / norm).float()
    sigma = float((pool.z.float() @ vector).std())
    return Direction(attribute, vector, sigma)


def random_direction(like: Direction, seed: int = 0) -> Direction:
    """A random unit direction with the same sigma as ``like``: the control for an edit of equal length."""
    generator = torch.Generator().manual_seed(seed)
    vector = torch.randn(like.vector.shape, generator=generator)
    return Direction(f"random({like.attribute})", vector / vector.norm(), like.sigma)


EDIT_STEPS = 32  # steps of the class-keeping walk: fewer let the class slip at large amounts (docs/latent.md)
MIN_PROGRESS = 0.3  # a step keeps at least this share of its length along n, however the class gradient lies


def walk_keeping_class(trained: TrainedGAN, z: Tensor, offset: Tensor, classifier: Extractor,
                       keep: Tensor | None = None, steps: int = EDIT_STEPS) -> Tensor:  # fmt: skip
    """z moved by ``offset`` ((z_dim,) or one row per latent) in ``steps`` equal steps, each bent to keep a class:
    ``keep`` (N,), or else the class the classifier reads at the start. Where a step along the offset's unit
    direction u would lower that class's log-probability to first order (u . g < 0, g its gradient in z), the
    component along g is removed, d = u - (u . g / |g|^2) g, and d is rescaled so the step still advances
    |offset| / steps along u. The linear edit of InterFaceGAN's conditional manipulation, made local: the class
    boundary is not a hyperplane in z. Attribute edits walk amount * sigma * n; arithmetic walks its offset."""
    gan = trained.gan
    offset = offset.to(z.device).to(z.dtype).expand_as(z)
    length = offset.norm(dim=1, keepdim=True)
    way = offset / length.clamp_min(1e-12)  # u: the unit direction walked, row by row
    length = length / steps
    if keep is None:
        with torch.no_grad():
            keep = classifier.forward(classifier.adapt(trained.generate(z).to(classifier.device)))[1].argmax(dim=1)
    z = z.clone()
    for _ in range(steps):
        point = z.detach().requires_grad_(True)
        with gan.sampling_generator() as G:
            G.eval()
            images = gan.generate(point.to(trained.device))
        logits = classifier.forward(classifier.adapt(images.clamp(-1, 1).to(classifier.device)))[1]
        log_probability = logits.log_softmax(dim=1).gather(1, keep[:, None].to(logits.device)).sum()
        (gradient,) = torch.autograd.grad(log_probability, point)  # (N, z_dim): g
        toward = (gradient * way).sum(dim=1)  # u . g: how the step would change the class's log-probability
        bend = (toward / gradient.pow(2).sum(dim=1).clamp_min(1e-12)).clamp(max=0)  # only where it would lower it
        step = way - bend[:, None] * gradient  # d = u - (u . g / |g|^2) g
        progress = (step * way).sum(dim=1).clamp_min(MIN_PROGRESS)  # d . u
        z = z + length * step / progress[:, None]
    return z.detach()


def class_keeping(trained: TrainedGAN, dataset: str) -> Extractor | None:
    """The classifier a class-keeping walk consults: the dataset's shipped one for an unconditional run; None for
    a conditional run (its labels keep the class) or a dataset without one (the walk is then straight)."""
    if trained.num_classes or dataset not in CLASSIFIERS:
        return None
    return get_extractor(CLASSIFIERS[dataset], trained.device)


def edit_latents(trained: TrainedGAN, pool: Pool, z: Tensor, direction: Direction, amount: float,
                 keep_class: bool = True) -> Tensor:  # fmt: skip
    """``z`` edited by ``amount`` along ``direction``: straight (z + amount * sigma * n), or with ``keep_class`` for
    an unconditional run whose dataset has a shipped classifier, by ``walk_keeping_class``."""
    classifier = class_keeping(trained, pool.dataset) if keep_class else None
    if classifier is None:
        return direction.apply(z, amount)
    return walk_keeping_class(trained, z, direction.offset(amount), classifier)
