"""Kernel Inception Distance (Binkowski et al., 2018, "Demystifying MMD GANs").

KID is the squared maximum mean discrepancy between real and generated features under the polynomial kernel

    k(x, y) = (gamma * x.y + coef0) ^ degree,   gamma = 1 / D by default (so k = (x.y / D + 1)^3),

estimated without bias (Gretton et al., 2012, "A Kernel Two-Sample Test") on random subsets of both sets:

    MMD^2_u = sum_{i != j} k(x_i, x_j) / (m (m - 1))
            + sum_{i != j} k(y_i, y_j) / (m (m - 1))
            - 2 sum_{i, j} k(x_i, y_j) / m^2

Unlike FID, its expectation does not depend on the sample size, and it can be slightly negative.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError


def _features(array: torch.Tensor | np.ndarray, name: str) -> torch.Tensor:
    tensor = torch.as_tensor(array).detach().to(torch.float64)
    if tensor.ndim != 2 or tensor.shape[0] < 2:
        raise GanforgeError(f"{name} has shape {tuple(tensor.shape)}; expected (N, D) with N >= 2", "one row a sample")
    return tensor


def _unbiased_mmd2(x: torch.Tensor, y: torch.Tensor, degree: int, gamma: float, coef0: float) -> torch.Tensor:
    m = x.shape[0]
    k_xx = (gamma * x @ x.T + coef0) ** degree  # (m, m)
    k_yy = (gamma * y @ y.T + coef0) ** degree  # (m, m)
    k_xy = (gamma * x @ y.T + coef0) ** degree  # (m, m)
    # Dropping the diagonals k(x_i, x_i) is what makes the estimate unbiased.
    within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
    within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    return within_x + within_y - 2 * k_xy.mean()


def kid(
    real: torch.Tensor | np.ndarray,
    fake: torch.Tensor | np.ndarray,
    subsets: int = 100,
    subset_size: int = 1000,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
    seed: int = 0,
) -> tuple[float, float]:
    """KID between features ``(N, D)`` and ``(M, D)``: the mean and standard deviation of the unbiased MMD^2 over
    ``subsets`` random subsets of ``subset_size`` rows from each set (drawn without replacement).

    ``subset_size`` is clipped to ``min(N, M)``. ``gamma`` defaults to ``1 / D``. The standard deviation is the
    population one (ddof = 0) over subsets, as in the authors' code; subsets of one pool overlap, so it measures the
    spread of a single subset's estimate, not the uncertainty of the mean. Computed in float64 on the features' device.
    """
    real, fake = _features(real, "real"), _features(fake, "fake")
    if real.shape[1] != fake.shape[1]:
        raise GanforgeError(
            f"real has {real.shape[1]} features per row but fake has {fake.shape[1]}", "use the same extractor"
        )
    if subsets < 1 or subset_size < 2 or degree < 1:
        raise GanforgeError(
            f"subsets={subsets}, subset_size={subset_size}, degree={degree}",
            "use subsets >= 1, subset_size >= 2 and degree >= 1",
        )
    gamma = 1.0 / real.shape[1] if gamma is None else gamma
    fake = fake.to(real.device)
    m = min(subset_size, real.shape[0], fake.shape[0])
    generator = torch.Generator().manual_seed(seed)  # CPU generator: the same subsets on every device
    estimates = []
    for _ in range(subsets):
        real_index = torch.randperm(real.shape[0], generator=generator)[:m].to(real.device)
        fake_index = torch.randperm(fake.shape[0], generator=generator)[:m].to(real.device)
        estimates.append(_unbiased_mmd2(real[real_index], fake[fake_index], degree, gamma, coef0))
    estimates = torch.stack(estimates).cpu()  # one sync at the end
    return float(estimates.mean()), float(estimates.std(correction=0))
