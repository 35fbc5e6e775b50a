import torch

from ganforge.data.toy import ring_centers
from ganforge.metrics.modes import mode_coverage


def test_samples_at_every_centre_cover_every_mode():
    centers = ring_centers(8)
    samples = centers.repeat(50, 1) + 0.01 * torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
    coverage = mode_coverage(samples, centers, std=0.01)
    assert (coverage.modes_covered, coverage.modes_total) == (8, 8)
    assert coverage.high_quality > 0.95
    assert min(coverage.counts) >= 45


def test_a_collapsed_generator_covers_one_mode():
    centers = ring_centers(8)
    samples = centers[3] + 0.005 * torch.randn(1000, 2, generator=torch.Generator().manual_seed(0))
    coverage = mode_coverage(samples, centers, std=0.01)
    assert coverage.modes_covered == 1 and coverage.counts[3] == 1000


def test_samples_far_from_every_mode_are_not_high_quality():
    centers = ring_centers(8)
    samples = torch.zeros(100, 2)  # the centre of the ring: 1 away from every mode
    coverage = mode_coverage(samples, centers, std=0.01)
    assert (coverage.modes_covered, coverage.high_quality) == (0, 0.0)


def test_a_few_stray_samples_do_not_count_as_a_mode():
    centers = ring_centers(8)
    samples = torch.cat([centers[0].repeat(990, 1), centers[1].repeat(1, 1)])
    assert mode_coverage(samples, centers, std=0.01).modes_covered == 1
