"""Mode coverage on 2-D Gaussian mixtures, following the protocol of VEEGAN (Srivastava et al., 2017) and PacGAN
(Lin et al., 2018).

Draw ``PROTOCOL_SAMPLES`` (2,500) samples from the generator. A sample is *high quality* when it lies within
``threshold`` = 3 standard deviations of its nearest mode; a mode is *captured* when at least one high-quality sample
has it as nearest mode. Report the modes captured and the share of high-quality samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganforge.errors import GanforgeError

PROTOCOL_SAMPLES = 2500  # samples drawn from G per evaluation in VEEGAN and PacGAN


@dataclass(frozen=True)
class ModeCoverage:
    """How many modes a set of samples covers, and how many samples land near any mode."""

    modes_covered: int
    modes_total: int
    high_quality: float  # fraction of samples within threshold * std of their nearest mode
    counts: list[int]  # high-quality samples per mode


def mode_coverage(
    samples: torch.Tensor, centers: torch.Tensor, std: float, threshold: float = 3.0, min_count: int = 1
) -> ModeCoverage:
    """Assign each sample ``(N, d)`` to its nearest centre ``(K, d)`` and count the modes it covers.

    With the defaults this is the VEEGAN/PacGAN protocol: high quality means within ``3 * std`` of the nearest centre
    (the boundary itself counts), and one high-quality sample captures a mode. Raise ``min_count`` for a stricter
    count that ignores a few stray samples. Distances are computed in float64, so the 3-std boundary is exact.
    """
    samples, centers = torch.as_tensor(samples).detach(), torch.as_tensor(centers).detach()
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1] or len(centers) == 0:
        raise GanforgeError(
            f"samples {tuple(samples.shape)} and centers {tuple(centers.shape)} do not match",
            "pass samples (N, d) and mode centres (K, d) of the same dimension d",
        )
    if std <= 0 or threshold <= 0 or min_count < 1:
        raise GanforgeError(f"std={std}, threshold={threshold}, min_count={min_count}", "use positive values")
    samples, centers = samples.double().cpu(), centers.double().cpu()
    # Direct differences, not the |a|^2 + |b|^2 - 2ab expansion, which loses digits for points near a centre.
    distances = torch.cdist(samples, centers, compute_mode="donot_use_mm_for_euclid_dist")  # (N, K)
    nearest_distance, nearest = distances.min(dim=1)
    good = nearest_distance <= threshold * std
    counts = torch.bincount(nearest[good], minlength=len(centers))
    return ModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        modes_total=len(centers),
        high_quality=float(good.double().mean()) if len(samples) else 0.0,
        counts=counts.tolist(),
    )
