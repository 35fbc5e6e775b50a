import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.kid import kid

SUBSETS = 100


pytestmark = pytest.mark.usefixtures("one_thread")


def gaussian(n: int, seed: int, shift: float = 0.0) -> torch.Tensor:
    return torch.randn(n, 16, generator=torch.Generator().manual_seed(seed)) + shift


def test_is_unbiased_for_two_samples_of_one_distribution():
    real, fake = gaussian(2000, seed=0), gaussian(2000, seed=1)
    mean, std = kid(real, fake, subsets=SUBSETS, subset_size=200)
    # Four standard errors of the mean over subsets: a biased (V-statistic) estimate is ~0.08 here, far outside.
    tolerance = 4 * std / math.sqrt(SUBSETS)
    assert abs(mean) < tolerance
    x, y = real[:200].double(), fake[:200].double()
    kernel = lambda a, b: (a @ b.T / 16 + 1) ** 3  # noqa: E731
    biased = float(kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean())
    assert biased > 5 * tolerance  # so the tolerance is tight enough to tell the two estimators apart


def test_is_clearly_positive_for_shifted_distributions():
    mean, std = kid(gaussian(1000, seed=0), gaussian(1000, seed=1, shift=0.5), subsets=50, subset_size=200)
    assert mean > 10 * std > 0


def test_grows_with_the_shift():
    real = gaussian(1000, seed=0)
    small = kid(real, gaussian(1000, seed=1, shift=0.2), subsets=20, subset_size=200)[0]
    large = kid(real, gaussian(1000, seed=1, shift=1.0), subsets=20, subset_size=200)[0]
    assert large > small > 0


def test_matches_the_formula_on_one_full_subset():
    x, y = gaussian(40, seed=2).double(), gaussian(40, seed=3, shift=0.3).double()
    # subset_size is clipped to 40, so the one subset is a permutation of each set, which leaves every term unchanged.
    mean, std = kid(x, y, subsets=1, subset_size=1000, degree=2, gamma=0.5, coef0=2.0)
    m = 40
    k = lambda a, b: (0.5 * a @ b.T + 2.0) ** 2  # noqa: E731
    off_diagonal_mean = lambda kk: (kk.sum() - kk.trace()) / (m * (m - 1))  # noqa: E731
    expected = off_diagonal_mean(k(x, x)) + off_diagonal_mean(k(y, y)) - 2 * k(x, y).sum() / m**2
    assert mean == pytest.approx(float(expected), rel=1e-10)
    assert std == 0.0


def test_the_same_seed_gives_the_same_value():
    real, fake = gaussian(500, seed=0), gaussian(500, seed=1, shift=0.1)
    assert kid(real, fake, subsets=5, subset_size=100, seed=3) == kid(real, fake, subsets=5, subset_size=100, seed=3)


def test_bad_inputs_are_reported():
    with pytest.raises(GanforgeError, match="features"):
        kid(torch.zeros(10, 3), torch.zeros(10, 4))
    with pytest.raises(GanforgeError, match="subsets"):
        kid(torch.zeros(10, 3), torch.zeros(10, 3), subsets=0)
