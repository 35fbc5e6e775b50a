"""The 2-D mixtures: their centres, the points they draw, and the settings they refuse."""

from __future__ import annotations

import math

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import PointData, load_dataset
from ganforge.data.toy import grid_centers, ring_centers
from ganforge.errors import GanforgeError


def draw(data: PointData, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    return data.batch(n, torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("modes", [2, 3, 8, 10])
def test_ring_centres_are_distinct_and_equally_spaced_on_the_circle(modes: int) -> None:
    centers = ring_centers(modes, radius=1.0).double()
    assert centers.shape == (modes, 2)
    torch.testing.assert_close(centers.norm(dim=1), torch.ones(modes, dtype=torch.float64))
    # Neighbours are 2 pi / K apart, including the last and the first (linspace with the endpoint fails here).
    angles = torch.atan2(centers[:, 1], centers[:, 0])
    gaps = torch.remainder(angles.roll(-1) - angles, 2 * math.pi)
    torch.testing.assert_close(gaps, torch.full((modes,), 2 * math.pi / modes, dtype=torch.float64))
    assert torch.cdist(centers, centers).add(torch.eye(modes) * 10).min() > 1e-3


def test_ring_defaults_are_pacgans() -> None:
    data = load_dataset(DataConfig("ring"))
    assert data.kind == "points" and data.name == "ring"
    assert data.num_classes == 8 and data.std == 0.01 and data.shape == (2,) and data.class_names is None
    torch.testing.assert_close(data.centers[0], torch.tensor([1.0, 0.0]))
    assert data.source == "generated"


def test_ring_settings_are_used() -> None:
    data = load_dataset(DataConfig("ring", modes=5, radius=3.0, std=0.2))
    assert data.num_classes == 5 and data.std == 0.2
    torch.testing.assert_close(data.centers.norm(dim=1), torch.full((5,), 3.0))


def test_grid_has_25_centres_at_minus_4_to_4_in_steps_of_2() -> None:
    data = load_dataset(DataConfig("grid"))
    assert data.num_classes == 25 and data.std == 0.05
    expected = {(float(x), float(y)) for x in (-4, -2, 0, 2, 4) for y in (-4, -2, 0, 2, 4)}
    assert {tuple(point) for point in data.centers.tolist()} == expected


def test_grid_side_and_spacing_are_used() -> None:
    centers = grid_centers(side=4, spacing=1.0)
    assert centers.shape == (16, 2)
    assert sorted(set(centers[:, 0].tolist())) == [-1.5, -0.5, 0.5, 1.5]


@pytest.mark.parametrize("name,std", [("ring", 0.01), ("grid", 0.05)])
def test_points_cluster_around_their_centres_with_the_configured_std(name: str, std: float) -> None:
    data = load_dataset(DataConfig(name))
    points, labels = draw(data, 40_000)
    assert points.shape == (40_000, 2) and points.dtype == torch.float32 and labels.dtype == torch.int64
    offsets = points - data.centers[labels]
    # The sample std of 80,000 normal coordinates is within 2% of the truth with overwhelming probability.
    assert abs(offsets.std().item() - std) < 0.02 * std
    assert offsets.mean(dim=0).abs().max() < 0.05 * std
    # Each point's label is its nearest centre, and the modes are drawn about equally often.
    assert torch.equal(torch.cdist(points, data.centers).argmin(dim=1), labels)
    frequencies = torch.bincount(labels, minlength=data.num_classes) / len(labels)
    assert (frequencies - 1 / data.num_classes).abs().max() < 0.01


def test_the_same_generator_state_gives_the_same_batch() -> None:
    data = load_dataset(DataConfig("ring"))
    first, second, other = draw(data, 64, seed=3), draw(data, 64, seed=3), draw(data, 64, seed=4)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    assert not torch.equal(first[0], other[0])


def test_real_points_are_the_same_on_every_call() -> None:
    data = load_dataset(DataConfig("grid"))
    assert torch.equal(data.real(500), data.real(500))
    assert data.real(500).shape == (500, 2)
    assert not torch.equal(data.real(500), draw(data, 500, seed=1)[0])


@pytest.mark.parametrize(
    "settings,named",
    [
        ({"name": "ring", "modes": 0}, "data.modes=0"),
        ({"name": "grid", "modes": -3}, "data.modes=-3"),
        ({"name": "ring", "std": 0.0}, "data.std=0.0"),
        ({"name": "grid", "std": -0.1}, "data.std=-0.1"),
        ({"name": "ring", "radius": 0.0}, "data.radius=0.0"),
        ({"name": "grid", "spacing": -2.0}, "data.spacing=-2.0"),
        ({"name": "ring", "std": float("nan")}, "data.std=nan"),
    ],
)
def test_bad_mixture_settings_are_errors_naming_the_value(settings: dict, named: str) -> None:
    with pytest.raises(GanforgeError, match=named):
        load_dataset(DataConfig(**settings))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_points_are_drawn_on_the_gpu_with_a_gpu_generator() -> None:
    data = load_dataset(DataConfig("ring"), device="cuda")
    generator = torch.Generator(device="cuda").manual_seed(0)
    points, labels = data.batch(128, generator)
    assert points.is_cuda and labels.is_cuda and data.real(10).is_cuda
