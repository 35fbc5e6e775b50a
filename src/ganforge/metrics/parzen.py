"""Gaussian Parzen-window log-likelihood (Breuleux, Bengio and Vincent, 2011; Goodfellow et al., 2014, Table 1).

Generated samples mu_1..mu_N become the centres of an isotropic Gaussian kernel density of width sigma, and
held-out real images x (D pixels, in [0, 1] as in the paper) are scored by its log density:

    log p(x) = logsumexp_i( -||x - mu_i||^2 / (2 sigma^2) ) - log N - (D / 2) log(2 pi sigma^2)

sigma is the grid value with the highest mean log-likelihood on a validation set; the figure reported is
the mean over a disjoint test set with its standard error (std / sqrt(n)), in nats.

Its weakness (Theis, van den Oord and Bethge, 2016, "A note on the evaluation of generative models"): in
784 dimensions a kernel estimate from 10,000 centres is far from the model's true likelihood, it rewards
centres that sit near every test image (blur, an average digit) more than sharp samples, and k-means
centres of the training set score higher than the training digits themselves. Use it to compare with the
2014 paper, never as a measure of sample quality.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

from ganforge.errors import GanforgeError

log = logging.getLogger("ganforge")

# The grid sigma is chosen from: 40 widths, log-spaced over [0.02, 1] in pixels of [0, 1]. The paper's code
# searched 10 widths over [0.1, 1]; this one reaches the sharper widths that samples close to the test digits
# (or the training digits themselves) choose, and is 4 times finer.
SIGMAS = tuple(float(s) for s in np.geomspace(0.02, 1.0, 40))


@dataclass(frozen=True)
class Parzen:
    """The Parzen-window estimate: mean test log-likelihood (nats), its standard error, the chosen sigma."""

    log_likelihood: float
    standard_error: float
    sigma: float
    validation_log_likelihood: float


def _rows(array: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    """(N, ...) samples -> (N, D) float64 rows, refusing what cannot be scored."""
    tensor = torch.as_tensor(array).detach()
    if tensor.ndim < 2 or tensor.shape[0] < 1:
        raise GanforgeError(f"{name} has shape {tuple(tensor.shape)}", "give (N, D) rows or (N, C, H, W) images")
    if not tensor.is_floating_point():
        raise GanforgeError(f"{name} holds {tensor.dtype} values", "give floats in [0, 1] (uint8 pixels p: p / 255)")
    if not torch.isfinite(tensor).all():
        raise GanforgeError(f"{name} hold NaN or Inf values", "score samples of a generator that did not diverge")
    return tensor.reshape(tensor.shape[0], -1).to(torch.float64)


def log_likelihoods(
    centres: torch.Tensor | np.ndarray, points: torch.Tensor | np.ndarray, sigmas: tuple[float, ...] | list[float],
    batch_size: int = 256,
) -> torch.Tensor:  # fmt: skip
    """log p(x) of each point under the Parzen window on ``centres``, for each sigma: (len(sigmas), n) float64.

    Centres and points are worked through ``batch_size`` rows at a time, so memory holds batch_size^2
    distances per sigma (21 MB for 40 widths), never n x N; the logsumexp over centre blocks is combined with logaddexp.
    """
    centres, points = _rows(centres, "the centres"), _rows(points, "the points")
    if centres.shape[1] != points.shape[1]:
        raise GanforgeError(
            f"the centres have {centres.shape[1]} values each and the points {points.shape[1]}",
            "score images of the same shape as the samples",
        )
    if not sigmas or min(sigmas) <= 0:
        raise GanforgeError(f"Parzen widths {list(sigmas)} must be positive", "e.g. 0.1 to 1 for pixels in [0, 1]")
    sigma = torch.tensor(sigmas, dtype=torch.float64)[:, None, None]  # (S, 1, 1)
    dims = centres.shape[1]
    out = torch.empty(len(sigmas), points.shape[0], dtype=torch.float64)
    centre_norms = (centres**2).sum(1)  # (N,)
    for start in range(0, points.shape[0], batch_size):
        x = points[start : start + batch_size]  # (b, D)
        x_norms = (x**2).sum(1)[:, None]  # (b, 1)
        total = torch.full((len(sigmas), x.shape[0]), -math.inf, dtype=torch.float64)
        for first in range(0, centres.shape[0], batch_size):
            mu = centres[first : first + batch_size]  # (c, D)
            # ||x - mu||^2 = |x|^2 + |mu|^2 - 2 x.mu, in float64 so the cancellation costs nothing that matters
            squared = (x_norms + centre_norms[first : first + batch_size] - 2 * x @ mu.T).clamp_min(0)  # (b, c)
            total = torch.logaddexp(total, torch.logsumexp(-squared / (2 * sigma**2), dim=2))  # (S, b)
        out[:, start : start + x.shape[0]] = total
    normaliser = math.log(centres.shape[0]) + dims / 2 * torch.log(2 * math.pi * sigma[:, :, 0] ** 2)  # (S, 1)
    return out - normaliser


def choose_sigma(
    centres: torch.Tensor | np.ndarray, validation: torch.Tensor | np.ndarray, sigmas: tuple[float, ...] = SIGMAS
) -> tuple[float, float]:
    """The width of ``sigmas`` with the highest mean log-likelihood of ``validation``, and that mean."""
    means = log_likelihoods(centres, validation, sigmas).mean(1)  # (S,)
    best = int(means.argmax())
    if best in (0, len(sigmas) - 1) and len(sigmas) > 1:
        log.warning("Parzen: sigma %.4g is at the edge of the grid [%.4g, %.4g]; the best width may lie beyond it",
                    sigmas[best], min(sigmas), max(sigmas))  # fmt: skip
    return float(sigmas[best]), float(means[best])


def parzen(
    centres: torch.Tensor | np.ndarray, validation: torch.Tensor | np.ndarray, test: torch.Tensor | np.ndarray,
    sigmas: tuple[float, ...] = SIGMAS,
) -> Parzen:  # fmt: skip
    """Goodfellow et al.'s protocol: sigma chosen on ``validation``, the mean log-likelihood of ``test`` reported.

    All three are samples in the same scale (the paper's: pixels in [0, 1]); validation and test must be
    disjoint real data the generator never saw.
    """
    sigma, validation_ll = choose_sigma(centres, validation, sigmas)
    per_point = log_likelihoods(centres, test, (sigma,))[0]  # (n,)
    if per_point.shape[0] < 2:
        raise GanforgeError(f"the test set has {per_point.shape[0]} points", "score at least 2 (the paper used 10,000)")
    standard_error = float(per_point.std(unbiased=True) / math.sqrt(per_point.shape[0]))
    return Parzen(float(per_point.mean()), standard_error, sigma, validation_ll)
