"""Sample pictures: image grids and 2-D point plots."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.viz.grid import save_image_grid, save_points_plot, save_samples


def leftover_temporaries(folder):
    return [p.name for p in folder.iterdir() if ".tmp" in p.name]


def test_grid_of_64_mnist_images_is_8_by_8_cells_of_doubled_size(tmp_path):
    path = save_image_grid(torch.zeros(64, 1, 28, 28), tmp_path / "grid.png")
    with Image.open(path) as image:
        # 8 cells of 56 px (28 px doubled) with 2 px padding between and around them.
        assert image.size == (8 * (56 + 2) + 2, 8 * (56 + 2) + 2)
    assert leftover_temporaries(tmp_path) == []


def test_nrow_sets_the_number_of_columns(tmp_path):
    path = save_image_grid(torch.zeros(6, 3, 64, 64), tmp_path / "grid.png", nrow=3)
    with Image.open(path) as image:
        assert image.size == (3 * 66 + 2, 2 * 66 + 2)  # 64 px is large enough to stay unscaled


def test_a_single_image_is_padded_like_any_grid(tmp_path):
    path = save_image_grid(torch.zeros(1, 1, 32, 32), tmp_path / "one.png")
    with Image.open(path) as image:
        assert image.size == (64 + 4, 64 + 4)


def test_minus_one_is_black_and_plus_one_is_white(tmp_path):
    images = torch.cat([-torch.ones(1, 1, 28, 28), torch.ones(1, 1, 28, 28)])
    path = save_image_grid(images, tmp_path / "grid.png", nrow=2)
    with Image.open(path) as image:
        assert image.mode == "L"
        pixels = np.asarray(image)
    first_cell = pixels[2:58, 2:58]
    second_cell = pixels[2:58, 60:116]
    assert (first_cell == 0).all()
    assert (second_cell == 255).all()


def test_three_channel_images_keep_their_colours(tmp_path):
    red = torch.tensor([1.0, -1.0, -1.0]).view(1, 3, 1, 1).expand(4, 3, 16, 16)
    path = save_image_grid(red.to(torch.float64), tmp_path / "red.png")
    with Image.open(path) as image:
        assert image.mode == "RGB"
        pixels = np.asarray(image)
    assert tuple(pixels[10, 10]) == (255, 0, 0)


def test_values_outside_the_range_are_clipped_and_nan_does_not_break_saving(tmp_path):
    images = torch.full((2, 1, 8, 8), 5.0)
    images[1] = float("nan")
    path = save_image_grid(images, tmp_path / "grid.png", nrow=2)
    with Image.open(path) as image:
        pixels = np.asarray(image)
    assert pixels[5, 5] == 255


@pytest.mark.parametrize("shape", [(4, 2, 8, 8), (8, 8), (0, 1, 8, 8)])
def test_tensors_that_are_not_image_batches_are_refused(tmp_path, shape):
    with pytest.raises(GanforgeError, match="shape"):
        save_image_grid(torch.zeros(shape), tmp_path / "grid.png")


def test_points_plot_is_a_png(tmp_path):
    points = torch.randn(500, 2)
    real = torch.randn(500, 2)
    centers = torch.tensor([[1.0, 0.0], [-1.0, 0.0]])
    path = save_points_plot(points, tmp_path / "points.png", real=real, centers=centers, title="step 1000", limits=3.0)
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert min(image.size) >= 300
    assert leftover_temporaries(tmp_path) == []


def test_save_samples_picks_a_grid_for_images_and_a_plot_for_points(tmp_path):
    grid = save_samples(torch.zeros(4, 1, 28, 28), tmp_path / "images.png")
    plot = save_samples(torch.randn(100, 2), tmp_path / "points.png", title="step 5")
    with Image.open(grid) as image:
        assert image.size == (2 * 58 + 2, 2 * 58 + 2)
    with Image.open(plot) as image:
        assert image.format == "PNG"


def test_save_samples_refuses_other_shapes(tmp_path):
    with pytest.raises(GanforgeError, match=r"\(10, 3\)"):
        save_samples(torch.zeros(10, 3), tmp_path / "x.png")
