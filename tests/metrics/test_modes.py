import math

import torch

from ganforge.data.toy import ring_centers
from ganforge.metrics.modes import PROTOCOL_SAMPLES, mode_coverage

STD = 0.01


def at_distance(center: torch.Tensor, distance: float, angle: float = 0.3) -> torch.Tensor:
    return center + distance * torch.tensor([math.cos(angle), math.sin(angle)])


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


def test_counts_are_exact_at_the_three_std_boundary():
    centers = ring_centers(8)
    samples = torch.stack(
        [
            centers[0],
            centers[0],
            centers[0],
            at_distance(centers[1], 3 * STD * (1 - 1e-4)),  # just inside: high quality, captures mode 1
            at_distance(centers[2], 3 * STD * (1 + 1e-4)),  # just outside: neither
            at_distance(centers[4], 2.9 * STD, angle=2.0),
        ]
    )
    coverage = mode_coverage(samples, centers, std=STD)
    assert coverage.counts == [3, 1, 0, 0, 1, 0, 0, 0]
    assert coverage.modes_covered == 3
    assert coverage.high_quality == 5 / 6


def test_one_high_quality_sample_captures_a_mode_as_in_veegan_and_pacgan():
    centers = ring_centers(8)
    samples = torch.cat([centers[0].repeat(990, 1), centers[1].repeat(1, 1)])
    assert mode_coverage(samples, centers, std=STD).modes_covered == 2


def test_a_stricter_min_count_ignores_a_few_stray_samples():
    centers = ring_centers(8)
    samples = torch.cat([centers[0].repeat(990, 1), centers[1].repeat(1, 1)])
    assert mode_coverage(samples, centers, std=STD, min_count=10).modes_covered == 1


def test_a_wider_threshold_accepts_farther_samples():
    centers = ring_centers(8)
    samples = at_distance(centers[5], 4 * STD)[None]
    assert mode_coverage(samples, centers, std=STD).modes_covered == 0
    assert mode_coverage(samples, centers, std=STD, threshold=5.0).modes_covered == 1


def test_the_protocol_draws_2500_samples():
    assert PROTOCOL_SAMPLES == 2500
