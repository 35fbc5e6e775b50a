"""Fréchet Inception Distance (Heusel et al., 2017, "GANs Trained by a Two Time-Scale Update Rule ...").

FID fits a Gaussian to each set of features and reports the Fréchet (2-Wasserstein) distance between them:

    d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

Everything is computed in float64 on the CPU: the trace term is a small difference of large numbers.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError

FAILURE_EPS = 1e-6  # added to both diagonals when the plain computation fails, as pytorch-fid and TTUR do


def _to_float64(array: torch.Tensor | np.ndarray, name: str) -> np.ndarray:
    if isinstance(array, torch.Tensor):
        array = array.detach().cpu().double().numpy()
    array = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise GanforgeError(f"{name} contains NaN or infinite values", "check the features the extractor returned")
    return array


def feature_stats(features: torch.Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(D,)`` and covariance ``(D, D)`` (unbiased, N - 1) of features ``(N, D)``, both float64."""
    features = _to_float64(features, "features")
    if features.ndim != 2 or features.shape[0] < 2:
        raise GanforgeError(
            f"features have shape {features.shape}; expected (N, D) with N >= 2", "pass one row per sample"
        )
    mu = features.mean(axis=0)
    sigma = np.atleast_2d(np.cov(features, rowvar=False))
    return mu, sigma


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix; rounding-error negatives become 0."""
    eigenvalues, eigenvectors = np.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def _trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """Tr((S1 S2)^(1/2)) without a general (non-symmetric) matrix square root.

    S1 S2 is similar to S1^(1/2) S2 S1^(1/2), which is symmetric PSD, so the trace of the root is the sum of the
    square roots of that matrix's eigenvalues. This is exact in theory and never produces imaginary parts; slightly
    negative eigenvalues from rounding are clipped to 0.
    """
    root1 = _sqrt_psd(sigma1)
    middle = root1 @ sigma2 @ root1
    middle = (middle + middle.T) / 2  # symmetric up to rounding; make it exactly so for eigvalsh
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0.0, None)).sum())


def frechet_distance(
    mu1: torch.Tensor | np.ndarray,
    sigma1: torch.Tensor | np.ndarray,
    mu2: torch.Tensor | np.ndarray,
    sigma2: torch.Tensor | np.ndarray,
) -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2), in float64 (Heusel et al., 2017).

    If the eigendecomposition fails or gives a non-finite value, ``1e-6 * I`` is added to both covariances and the
    computation repeated. The result is clamped at 0 (rounding can give -1e-12 for identical inputs).
    """
    mu1, mu2 = _to_float64(mu1, "mu1").reshape(-1), _to_float64(mu2, "mu2").reshape(-1)
    sigma1, sigma2 = np.atleast_2d(_to_float64(sigma1, "sigma1")), np.atleast_2d(_to_float64(sigma2, "sigma2"))
    dim = mu1.shape[0]
    if mu2.shape != (dim,) or sigma1.shape != (dim, dim) or sigma2.shape != (dim, dim):
        raise GanforgeError(
            f"shapes mu1 {mu1.shape}, sigma1 {sigma1.shape}, mu2 {mu2.shape}, sigma2 {sigma2.shape} do not agree",
            "pass means (D,) and covariances (D, D) of the same feature dimension D",
        )
    for name, sigma in (("sigma1", sigma1), ("sigma2", sigma2)):
        if not np.allclose(sigma, sigma.T, rtol=1e-6, atol=1e-10):
            raise GanforgeError(f"{name} is not symmetric", "pass a covariance matrix, e.g. from feature_stats")
    try:
        trace_sqrt = _trace_sqrt_product(sigma1, sigma2)
        if not np.isfinite(trace_sqrt):
            raise np.linalg.LinAlgError("non-finite trace")
    except np.linalg.LinAlgError:
        offset = FAILURE_EPS * np.eye(dim)
        trace_sqrt = _trace_sqrt_product(sigma1 + offset, sigma2 + offset)
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * trace_sqrt
    return max(0.0, float(distance))


def fid(real_features: torch.Tensor | np.ndarray, fake_features: torch.Tensor | np.ndarray) -> float:
    """FID between two feature sets ``(N, D)`` and ``(M, D)``: the Fréchet distance of their fitted Gaussians.

    FID is biased upwards for small samples (Binkowski et al., 2018; Chong & Forsyth, 2020): compare values only at
    the same sample count, 10,000 or 50,000 in the literature.
    """
    mu1, sigma1 = feature_stats(real_features)
    mu2, sigma2 = feature_stats(fake_features)
    return frechet_distance(mu1, sigma1, mu2, sigma2)
