import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.fid import feature_stats, fid, frechet_distance


def random_covariance(rng: np.random.Generator, dim: int) -> np.ndarray:
    factor = rng.standard_normal((dim, 2 * dim))
    return factor @ factor.T / (2 * dim)


def reference_frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    # An independent route: the eigenvalues of the (non-symmetric) product S1 S2 are real and >= 0, so
    # Tr((S1 S2)^(1/2)) is the sum of their square roots.
    eigenvalues = np.linalg.eigvals(sigma1 @ sigma2)
    trace_sqrt = np.sqrt(np.clip(eigenvalues.real, 0, None)).sum()
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt)


@pytest.mark.parametrize("dim", [1, 5, 64])
def test_agrees_with_an_independent_eigenvalue_computation(dim):
    rng = np.random.default_rng(dim)
    mu1, mu2 = rng.standard_normal(dim), rng.standard_normal(dim)
    sigma1, sigma2 = random_covariance(rng, dim), random_covariance(rng, dim)
    expected = reference_frechet_distance(mu1, sigma1, mu2, sigma2)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-6)


def test_agrees_with_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(7)
    mu1, mu2 = rng.standard_normal(32), rng.standard_normal(32)
    sigma1, sigma2 = random_covariance(rng, 32), random_covariance(rng, 32)
    root = linalg.sqrtm(sigma1 @ sigma2).real  # the formula as written in Heusel et al. (2017)
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * root)
    assert frechet_distance(mu1, sigma1, mu2, sigma2) == pytest.approx(expected, rel=1e-6)


def test_diagonal_gaussians_match_the_closed_form():
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    var1, var2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    # ||mu1 - mu2||^2 + sum (sqrt(var1) - sqrt(var2))^2 = (1 + 0 + 6.25) + (4 + 1 + 0)
    assert frechet_distance(mu1, np.diag(var1), mu2, np.diag(var2)) == pytest.approx(12.25, rel=1e-12)


def test_a_feature_set_is_at_distance_zero_from_itself():
    features = torch.randn(500, 64, generator=torch.Generator().manual_seed(0)) * 3 + 1
    scale = float(np.trace(feature_stats(features)[1]))
    assert 0.0 <= fid(features, features) < 1e-6 * scale


def test_is_symmetric():
    generator = torch.Generator().manual_seed(1)
    real = torch.randn(300, 16, generator=generator)
    fake = torch.randn(200, 16, generator=generator) * 1.5 + 0.3
    assert fid(real, fake) == pytest.approx(fid(fake, real), rel=1e-9)


def test_grows_with_the_shift_between_sets():
    features = torch.randn(1000, 8, generator=torch.Generator().manual_seed(2))
    # Shifting every feature by 1 adds exactly ||(1, ..., 1)||^2 = 8 (the covariances are unchanged).
    assert fid(features, features + 1) == pytest.approx(8.0, rel=1e-6)


def test_rank_deficient_covariances_from_few_samples_stay_finite():
    # Fewer samples than features (a common small-sample mistake): singular covariances, no NaN and no complex parts.
    generator = torch.Generator().manual_seed(3)
    value = fid(torch.randn(20, 64, generator=generator), torch.randn(20, 64, generator=generator))
    assert np.isfinite(value) and value > 0


def test_feature_stats_are_float64_mean_and_unbiased_covariance():
    features = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]], dtype=torch.float32)
    mu, sigma = feature_stats(features)
    assert mu.dtype == sigma.dtype == np.float64
    np.testing.assert_allclose(mu, [1.0, 1.0])
    np.testing.assert_allclose(sigma, np.diag([4 / 3, 4 / 3]))


def test_fid_fits_each_set_with_the_sample_covariance():
    # One feature: FID = (m1 - m2)^2 + (s1 - s2)^2 with the standard deviations taken with N - 1 (ddof=1), as
    # pytorch-fid and TTUR do (np.cov): (2 sqrt(2) - 1)^2 = 3.343 here, where the population covariance (ddof=0)
    # would give (2 - sqrt(2/3))^2 = 1.401.
    real, fake = np.array([[0.0], [4.0]]), np.array([[1.0], [2.0], [3.0]])
    expected = (real.mean() - fake.mean()) ** 2 + (real.std(ddof=1) - fake.std(ddof=1)) ** 2
    assert fid(real, fake) == pytest.approx(expected, rel=1e-12)
    assert fid(real, fake) == pytest.approx((2 * 2**0.5 - 1) ** 2, rel=1e-12)


def test_a_small_distance_between_large_covariances_keeps_its_digits():
    # Tr(S1) + Tr(S2) - 2 Tr((S1 S2)^(1/2)) subtracts numbers near 12,700 to leave 0.08: square roots taken in
    # float32 (7 digits) would be off by 0.4%, so every step runs in float64.
    rng = np.random.default_rng(0)
    factor = rng.standard_normal((64, 256))
    nearby = factor + 0.01 * rng.standard_normal(factor.shape)
    sigma1, sigma2 = factor @ factor.T / 2.56, nearby @ nearby.T / 2.56
    mu = np.zeros(64)
    expected = reference_frechet_distance(mu, sigma1, mu, sigma2)
    assert 0.05 < expected < 0.1
    assert frechet_distance(mu, sigma1, mu, sigma2) == pytest.approx(expected, rel=1e-6)


def test_bad_inputs_are_reported():
    with pytest.raises(GanforgeError, match="expected"):
        feature_stats(torch.zeros(1, 4))
    with pytest.raises(GanforgeError, match="do not agree"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(3), np.eye(3))
    with pytest.raises(GanforgeError, match="NaN"):
        fid(torch.full((4, 2), float("nan")), torch.zeros(4, 2))


def test_a_failed_decomposition_is_retried_with_a_small_diagonal_offset(monkeypatch):
    rng = np.random.default_rng(4)
    mu1, mu2 = rng.standard_normal(6), rng.standard_normal(6)
    sigma1, sigma2 = random_covariance(rng, 6), random_covariance(rng, 6)
    real_eigvalsh, calls = np.linalg.eigvalsh, []

    def fails_once(matrix):
        calls.append(matrix)
        if len(calls) == 1:
            raise np.linalg.LinAlgError("did not converge")
        return real_eigvalsh(matrix)

    monkeypatch.setattr(np.linalg, "eigvalsh", fails_once)
    value = frechet_distance(mu1, sigma1, mu2, sigma2)
    assert len(calls) == 2  # tried, failed, retried once
    assert value == pytest.approx(reference_frechet_distance(mu1, sigma1, mu2, sigma2), rel=1e-4)
