"""The Parzen-window log-likelihood against direct computations, and the protocol's choice of sigma."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from ganforge.errors import GanforgeError
from ganforge.metrics.parzen import SIGMAS, choose_sigma, log_likelihoods, parzen

pytestmark = pytest.mark.usefixtures("one_thread")


def _reference(centres: np.ndarray, points: np.ndarray, sigma: float) -> np.ndarray:
    """log (1/N) sum_i N(x; mu_i, sigma^2 I), with scipy's Gaussian density and logsumexp."""
    per_centre = np.stack([multivariate_normal(mu, sigma**2).logpdf(points) for mu in centres])  # (N, n)
    return logsumexp(per_centre, axis=0) - math.log(len(centres))


def test_it_equals_the_mixture_density_computed_directly():
    rng = np.random.default_rng(0)
    centres, points = rng.random((37, 6)), rng.random((11, 6))
    got = log_likelihoods(centres, points, (0.05, 0.3, 2.0), batch_size=8)  # blocks that split both sets
    for row, sigma in enumerate((0.05, 0.3, 2.0)):
        np.testing.assert_allclose(got[row].numpy(), _reference(centres, points, sigma), rtol=1e-10)


def test_it_stays_finite_where_every_kernel_underflows():
    # Distances of 784 pixels with sigma 0.02: exp(-||x - mu||^2 / 2 sigma^2) is 0 in float64 for every centre.
    rng = np.random.default_rng(1)
    centres, points = rng.random((20, 784)), rng.random((3, 784))
    got = log_likelihoods(centres, points, (0.02,))[0].numpy()
    assert np.isfinite(got).all()
    # log N(x; mu, s^2 I) = -||x - mu||^2 / (2 s^2) - (D / 2) log(2 pi s^2), from the differences themselves
    exponents = -((points[None] - centres[:, None]) ** 2).sum(2) / (2 * 0.02**2) - 392 * math.log(2 * math.pi * 0.02**2)
    np.testing.assert_allclose(got, logsumexp(exponents, axis=0) - math.log(20), rtol=1e-10)


def test_one_centre_gives_the_gaussian_log_density_in_closed_form():
    x, mu, sigma = torch.tensor([[1.0, 2.0]]), torch.tensor([[0.0, 0.0]]), 0.5
    expected = -5.0 / (2 * sigma**2) - math.log(2 * math.pi * sigma**2)  # D = 2
    assert float(log_likelihoods(mu, x, (sigma,))[0, 0]) == pytest.approx(expected, rel=1e-12)


def test_the_search_finds_the_width_of_a_known_mixture():
    # Centres at the 4 means of a mixture of Gaussians of std 0.1: at sigma = 0.1 the Parzen window *is* the
    # mixture, so the width that best explains data drawn from it is 0.1 (within the grid's 10% steps).
    rng = np.random.default_rng(2)
    means = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)

    def draw(n: int, std: float) -> np.ndarray:
        return means[rng.integers(4, size=n)] + std * rng.standard_normal((n, 2))

    assert choose_sigma(means, draw(2000, 0.1))[0] == pytest.approx(0.1, rel=0.08)
    assert choose_sigma(means, draw(2000, 0.3))[0] == pytest.approx(0.3, rel=0.08)


def test_centres_from_the_test_distribution_score_higher_than_a_shifted_set():
    rng = np.random.default_rng(3)
    data = rng.random((1500, 16))  # uniform on the unit cube: validation, test and matching centres
    validation, test, centres = data[:500], data[500:1000], data[1000:]
    matching = parzen(centres, validation, test)
    shifted = parzen(centres + 0.3, validation, test)
    assert matching.log_likelihood > shifted.log_likelihood + 10 * (matching.standard_error + shifted.standard_error)


def test_the_standard_error_is_the_spread_of_the_test_points_over_root_n():
    rng = np.random.default_rng(4)
    centres, validation, test = rng.random((50, 3)), rng.random((40, 3)), rng.random((60, 3))
    result = parzen(centres, validation, test, sigmas=(0.1, 0.2, 0.4))
    per_point = _reference(centres, test, result.sigma)
    assert result.log_likelihood == pytest.approx(per_point.mean(), rel=1e-10)
    assert result.standard_error == pytest.approx(per_point.std(ddof=1) / math.sqrt(60), rel=1e-10)
    assert result.sigma in (0.1, 0.2, 0.4)


def test_the_default_grid_reaches_the_paper_range():
    assert min(SIGMAS) <= 0.1 and max(SIGMAS) >= 1.0  # Goodfellow et al.'s code searched [0.1, 1]


def test_bad_input_gets_one_line_naming_it():
    with pytest.raises(GanforgeError, match="784 values each and the points 2"):
        log_likelihoods(np.zeros((3, 784)), np.zeros((2, 2)), (0.1,))
    with pytest.raises(GanforgeError, match="uint8"):
        log_likelihoods(np.zeros((3, 4), dtype=np.uint8), np.zeros((2, 4)), (0.1,))
    with pytest.raises(GanforgeError, match="NaN or Inf"):
        log_likelihoods(np.full((3, 4), np.nan), np.zeros((2, 4)), (0.1,))
    with pytest.raises(GanforgeError, match="must be positive"):
        log_likelihoods(np.zeros((3, 4)), np.zeros((2, 4)), (0.0,))


def test_sigma_is_chosen_on_the_validation_set_never_the_test_set():
    # Validation drawn around the centres with std 0.1, test with std 0.3: the protocol picks the width on
    # validation (about 0.1) and reports test's likelihood at that width, lower than test's own best width gives.
    rng = np.random.default_rng(5)
    means = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    validation = means[rng.integers(4, size=2000)] + 0.1 * rng.standard_normal((2000, 2))
    test = means[rng.integers(4, size=2000)] + 0.3 * rng.standard_normal((2000, 2))
    result = parzen(means, validation, test)
    assert result.sigma == pytest.approx(0.1, rel=0.08)
    at_test_best = log_likelihoods(means, test, (choose_sigma(means, test)[0],))[0].mean()
    assert result.log_likelihood < float(at_test_best) - 0.1


def test_ganforge_eval_scores_pixels_in_0_1_as_the_paper_did():
    # The metric behind `ganforge eval --metrics parzen` takes images in [-1, 1] (as G draws them) and scores
    # them as pixels in [0, 1]: the first half of the real images chooses sigma, the second half is scored.
    from ganforge.evaluate import METRICS, SampleSet

    rng = np.random.default_rng(6)
    real = torch.as_tensor(rng.uniform(-1, 1, (40, 1, 4, 4)))
    fake = torch.as_tensor(rng.uniform(-1, 1, (30, 1, 4, 4)))
    none = torch.zeros(1, 1)
    got = METRICS["parzen"].compute(SampleSet(none, None, real), SampleSet(none, None, fake), None)
    unit_real, unit_fake = (real + 1) / 2, (fake + 1) / 2
    expected = parzen(unit_fake, unit_real[:20], unit_real[20:40])
    assert got["parzen_ll"] == pytest.approx(expected.log_likelihood, rel=1e-10)
    assert got["parzen_sigma"] == expected.sigma
