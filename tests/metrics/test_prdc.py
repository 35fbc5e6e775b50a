import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.prdc import density_coverage, precision_recall

pytestmark = pytest.mark.usefixtures("one_thread")


def uniform_square(n: int, seed: int) -> torch.Tensor:
    return torch.rand(n, 2, generator=torch.Generator().manual_seed(seed))


def test_identical_sets_have_precision_and_recall_one():
    points = torch.randn(500, 8, generator=torch.Generator().manual_seed(0))
    assert precision_recall(points, points.clone()) == (1.0, 1.0)


def test_far_apart_sets_have_precision_and_recall_zero():
    real = torch.randn(300, 8, generator=torch.Generator().manual_seed(0))
    assert precision_recall(real, real + 100) == (0.0, 0.0)


def test_a_generator_covering_half_the_data_has_recall_one_half_and_full_precision():
    real = uniform_square(2000, seed=0)  # the unit square
    fake = uniform_square(2000, seed=1) * torch.tensor([0.5, 1.0])  # its left half only, at twice the density
    precision, recall = precision_recall(real, fake)
    # Recall exceeds 0.5 by the strip of real points within one fake k-NN radius (~0.015) of x = 0.5.
    assert precision > 0.95
    assert recall == pytest.approx(0.5, abs=0.05)


def test_density_and_coverage_for_one_distribution_match_naeem_et_al():
    generator = torch.Generator().manual_seed(0)
    real, fake = torch.randn(3000, 8, generator=generator), torch.randn(3000, 8, generator=generator)
    density, coverage = density_coverage(real, fake, k=5)
    # Naeem et al. (2020): E[density] = 1 and E[coverage] = 1 - (N-1)...(N-5) / ((2N-1)...(2N-5)) ~ 1 - 2^-5.
    expected_coverage = 1 - math.prod((3000 - i) / (6000 - i) for i in range(1, 6))
    assert density == pytest.approx(1.0, abs=0.05)
    assert coverage == pytest.approx(expected_coverage, abs=0.02)


def test_coverage_sees_collapse_and_both_see_samples_off_the_data():
    real = torch.randn(1000, 4, generator=torch.Generator().manual_seed(0))
    collapsed = real[:1].repeat(1000, 1)  # every sample on one real point: only the few balls reaching it are hit
    assert density_coverage(real, collapsed)[1] < 0.02
    density, coverage = density_coverage(real, real + 100)
    assert (density, coverage) == (0.0, 0.0)


def test_blocks_of_rows_give_the_same_answers_as_one_block():
    generator = torch.Generator().manual_seed(2)
    real, fake = torch.randn(700, 6, generator=generator), torch.randn(500, 6, generator=generator) * 1.3
    for metric in (precision_recall, density_coverage):
        assert metric(real, fake, batch_size=64) == metric(real, fake, batch_size=10_000)


def test_each_ball_reaches_the_kth_nearest_other_point():
    # Real points on a line at 0, 1 and 3. With k = 1 the ball around 0 reaches 1 (radius 1); with k = 2 it
    # reaches 3 (radius 3). The point itself, at distance 0, is never one of its k neighbours.
    real = torch.tensor([[0.0], [1.0], [3.0]])
    assert precision_recall(real, torch.tensor([[-0.9], [20.0]]), k=1) == (0.5, 1.0)  # -0.9 lies in B(0, 1)
    assert precision_recall(real, torch.tensor([[-1.1], [20.0]]), k=1)[0] == 0.0  # -1.1 does not
    assert precision_recall(real, torch.tensor([[-2.9], [20.0], [30.0]]), k=2)[0] == 1 / 3  # B(0, 3) holds -2.9
    # Recall: the two fakes are each other's only neighbour (radius 20.9), so their balls hold every real point.
    density, coverage = density_coverage(real, torch.tensor([[-0.9], [20.0]]), k=1)
    assert density == 0.5 and coverage == pytest.approx(1 / 3)  # one fake in one ball, over k M = 2; B(0, 1) covered


def test_k_must_leave_a_neighbour():
    with pytest.raises(GanforgeError, match="k=5"):
        density_coverage(torch.zeros(5, 2), torch.zeros(10, 2))
    with pytest.raises(GanforgeError, match="features"):
        precision_recall(torch.zeros(10, 2), torch.zeros(10, 3))


def test_distances_are_computed_in_blocks_of_rows(monkeypatch):
    # The memory bound that lets 10,000 x 10,000 sets fit in a few hundred MB: no distance matrix above batch x N.
    largest, cdist = [0], torch.cdist

    def recording_cdist(a, b, *args, **kwargs):
        largest[0] = max(largest[0], a.shape[0] * b.shape[0])
        return cdist(a, b, *args, **kwargs)

    monkeypatch.setattr(torch, "cdist", recording_cdist)
    real, fake = uniform_square(600, seed=0), uniform_square(400, seed=1)
    precision_recall(real, fake, batch_size=50)
    density_coverage(real, fake, batch_size=50)
    assert largest[0] == 50 * 600
