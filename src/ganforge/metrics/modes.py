"""Mode coverage on 2-D Gaussian mixtures, as in the mode-collapse literature (VEEGAN, PacGAN).

A sample is *high quality* when it lies within ``threshold`` standard deviations of its nearest mode;
a mode is *covered* when at least ``min_count`` high-quality samples fall to it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ModeCoverage:
    """How many modes a set of samples covers, and how many samples land near any mode."""

    modes_covered: int
    modes_total: int
    high_quality: float  # fraction of samples within threshold * std of a mode
    counts: list[int]  # high-quality samples per mode


def mode_coverage(
    samples: torch.Tensor, centers: torch.Tensor, std: float, threshold: float = 3.0, min_count: int | None = None
) -> ModeCoverage:
    """Assign each sample (N, 2) to its nearest centre (K, 2) and count the modes it covers.

    ``min_count`` defaults to 5% of the share a perfectly balanced generator would give each mode
    (12 of 2,000 samples over 8 modes), but at least 1, so a few stray samples do not count as
    learning a mode.
    """
    samples, centers = samples.float().cpu(), centers.float().cpu()
    distances = torch.cdist(samples, centers)  # (N, K)
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= threshold * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    if min_count is None:
        min_count = max(1, int(0.05 * len(samples) / len(centers)))
    return ModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        modes_total=len(centers),
        high_quality=float(good.float().mean()) if len(samples) else 0.0,
        counts=counts.tolist(),
    )
