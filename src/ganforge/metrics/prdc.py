"""Fidelity and diversity as separate numbers, from k-nearest-neighbour balls around feature vectors.

- Precision and recall (Kynkaanniemi et al., 2019, "Improved Precision and Recall Metric for Assessing Generative
  Models"): each set's manifold is the union of balls around its points, each reaching that point's k-th
  nearest neighbour in the same set. Precision is the share of fake points inside the real manifold; recall is the
  share of real points inside the fake manifold.
- Density and coverage (Naeem et al., 2020, "Reliable Fidelity and Diversity Metrics for Generative Models"):
  both use only the real balls, which outliers in the fake set cannot inflate.

      density  = 1 / (k M) * sum_j sum_i 1[Y_j in B(X_i, NND_k(X_i))]
      coverage = 1 / N     * sum_i 1[exists j: Y_j in B(X_i, NND_k(X_i))]

All distances are computed ``batch_size`` rows at a time, so memory is O(batch_size * N), never O(N * M).
A point lies in a ball when its distance is <= the radius (closed balls, as in the indicator
f(phi, Phi) of Kynkaanniemi et al.).
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError

BATCH_SIZE = 1024  # rows of a distance block: 1024 x 10,000 float32 is 40 MB


def _features(array: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    tensor = torch.as_tensor(array).detach()
    tensor = tensor.to(torch.float64 if tensor.dtype == torch.float64 else torch.float32)
    if tensor.ndim != 2:
        raise GanforgeError(f"{name} has shape {tuple(tensor.shape)}; expected (N, D)", "one row a sample")
    return tensor


def _check(real: torch.Tensor, fake: torch.Tensor, k: int, radii_from: tuple[str, ...]) -> None:
    if real.shape[1] != fake.shape[1]:
        raise GanforgeError(f"real has {real.shape[1]} features, fake {fake.shape[1]}", "use the same extractor")
    sizes = {"real": real.shape[0], "fake": fake.shape[0]}
    for name in radii_from:
        if not 1 <= k < sizes[name]:
            raise GanforgeError(f"k={k} with {sizes[name]} {name} samples", f"use 1 <= k < the {name} sample count")


def _knn_radii(points: torch.Tensor, k: int, batch_size: int) -> torch.Tensor:
    """Distance from each point to its k-th nearest other point in the same set, ``(N,)``."""
    radii = []
    for block in torch.split(points, batch_size):
        distances = torch.cdist(block, points)  # (b, N); each row includes the point itself at distance 0
        radii.append(distances.topk(k + 1, dim=1, largest=False).values[:, -1])
    return torch.cat(radii)


def _share_inside(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, batch_size: int) -> float:
    """Share of ``points`` inside at least one ball ``B(centres[i], radii[i])``."""
    inside = 0
    for block in torch.split(points, batch_size):
        inside += int((torch.cdist(block, centres) <= radii).any(dim=1).sum())  # (b, M) -> (b,)
    return inside / points.shape[0]


def precision_recall(
    real: torch.Tensor | np.ndarray, fake: torch.Tensor | np.ndarray, k: int = 3, *, batch_size: int = BATCH_SIZE
) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al., 2019) of fake features ``(M, D)`` against real ``(N, D)``.

    Both are in [0, 1]: precision near 1 means the samples look real; recall near 1 means they cover the real data.
    The paper uses k = 3 and 50,000 samples per set; both sets should be of the same size.
    """
    real, fake = _features(real, "real"), _features(fake, "fake")
    _check(real, fake, k, ("real", "fake"))
    fake = fake.to(real.device)
    real_radii = _knn_radii(real, k, batch_size)
    fake_radii = _knn_radii(fake, k, batch_size)
    precision = _share_inside(fake, real, real_radii, batch_size)
    recall = _share_inside(real, fake, fake_radii, batch_size)
    return precision, recall


def density_coverage(
    real: torch.Tensor | np.ndarray, fake: torch.Tensor | np.ndarray, k: int = 5, *, batch_size: int = BATCH_SIZE
) -> tuple[float, float]:
    """Density and coverage (Naeem et al., 2020) of fake features ``(M, D)`` against real ``(N, D)``.

    Coverage is in [0, 1]; density is unbounded but is 1 in expectation when both sets come from one distribution,
    where coverage is 1 - (N-1)...(N-k) / ((M+N-1)...(M+N-k)), about 1 - 2^-k for M = N (the paper's lemma).
    """
    real, fake = _features(real, "real"), _features(fake, "fake")
    _check(real, fake, k, ("real",))
    fake = fake.to(real.device)
    real_radii = _knn_radii(real, k, batch_size)
    balls_hit = 0  # sum over fake j and real i of 1[Y_j in B(X_i)]
    covered = torch.zeros(real.shape[0], dtype=torch.bool, device=real.device)
    for block in torch.split(fake, batch_size):
        inside = torch.cdist(block, real) <= real_radii  # (b, N)
        balls_hit += int(inside.sum())
        covered |= inside.any(dim=0)
    density = balls_hit / (k * fake.shape[0])
    coverage = float(covered.float().mean())
    return density, coverage
