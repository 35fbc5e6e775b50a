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

``method="means"`` uses the difference of means instead (latents above the 75th percentile of the centred
attribute minus those below the 25th), the attribute vector of Radford et al. (2016) and White (2016).

An edit moves z by ``amount`` standard deviations of the pool latents' projection on the unit direction:
z' = z + amount * sigma * n, sigma = std(z . n). For a standard normal prior sigma is close to 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError, check_choice
from ganforge.latent.attributes import check_attribute
from ganforge.latent.pool import Pool

METHODS = ("regression", "means")
RIDGE = 1e-2  # a touch of ridge: z_dim can approach the number of samples of a small class


@dataclass
class Direction:
    """A unit direction (z_dim,) for ``attribute`` and the spread ``sigma`` of latents' projections on it."""

    attribute: str
    vector: Tensor
    sigma: float

    def apply(self, z: Tensor, amount: float) -> Tensor:
        """z + amount * sigma * n for latents z (N, z_dim)."""
        return z + amount * self.sigma * self.vector.to(z.dtype).to(z.device)

    def step_length(self, amount: float) -> float:
        """How far an edit of ``amount`` moves a latent."""
        return abs(amount) * self.sigma


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


def find_direction(pool: Pool, attribute: str, method: str = "regression", keep_class: bool = True) -> Direction:
    """The unit latent direction along which ``attribute`` grows, from the pool's measurements (module doc)."""
    check_attribute(attribute, pool.dataset)
    check_choice("direction method", "--method", method, METHODS)
    if len(pool) < 20:
        raise GanforgeError(f"a pool of {len(pool)} samples is too small to find a direction", "use 200 or more")
    target = _centred(pool.attribute(attribute), _class_groups(pool))
    z = pool.z.double()
    if method == "regression":
        design = torch.cat([z, torch.ones(len(z), 1, dtype=z.dtype)], dim=1)  # (N, z_dim + 1)
        gram = design.T @ design + RIDGE * len(z) * torch.eye(design.shape[1], dtype=z.dtype)
        weights = torch.linalg.solve(gram, design.T @ torch.from_numpy(target))[:-1]  # (z_dim,)
    else:
        high, low = np.percentile(target, 75), np.percentile(target, 25)
        weights = z[torch.from_numpy(target >= high)].mean(dim=0) - z[torch.from_numpy(target <= low)].mean(dim=0)
    if keep_class:
        basis = class_directions(pool)
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
