"""Latent interpolation and pictures of latent walks."""

from __future__ import annotations

import pytest
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.viz.interpolate import latent_walk, lerp, save_interpolation, slerp


@pytest.fixture
def generator():
    return torch.Generator().manual_seed(0)


@pytest.mark.parametrize("interpolate", [lerp, slerp])
def test_endpoints_are_the_two_latents(interpolate, generator):
    z0, z1 = torch.randn(2, 5, 16, generator=generator)
    torch.testing.assert_close(interpolate(z0, z1, torch.zeros(5)), z0)
    torch.testing.assert_close(interpolate(z0, z1, torch.ones(5)), z1)


def test_lerp_midpoint_is_the_average(generator):
    z0, z1 = torch.randn(2, 8, generator=generator)
    torch.testing.assert_close(lerp(z0, z1, torch.tensor(0.5)), (z0 + z1) / 2)


def test_slerp_keeps_the_norm_of_equal_norm_latents(generator):
    z0, z1 = torch.randn(2, 100, 64, generator=generator)
    z1 = z1 / z1.norm(dim=-1, keepdim=True) * z0.norm(dim=-1, keepdim=True)
    t = torch.linspace(0, 1, 7)[:, None]  # (7, 1) against a batch of 100 -> (7, 100, 64)
    path = slerp(z0, z1, t)
    assert path.shape == (7, 100, 64)
    torch.testing.assert_close(path.norm(dim=-1), z0.norm(dim=-1).expand(7, 100))
    # lerp cuts through the middle of the sphere, where a Gaussian prior has little mass.
    assert (lerp(z0, z1, torch.tensor(0.5)).norm(dim=-1) < z0.norm(dim=-1) * 0.9).all()


def test_slerp_midpoint_lies_on_the_great_circle_halfway():
    z0, z1 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    half = 2**-0.5
    torch.testing.assert_close(slerp(z0, z1, torch.tensor(0.5)), torch.tensor([half, half]))


@pytest.mark.parametrize("scale", [1.0, 2.0, -1.0, 1 + 1e-7])
def test_slerp_of_parallel_or_opposite_latents_is_finite(scale, generator):
    z0 = torch.randn(4, 32, generator=generator)
    out = slerp(z0, scale * z0, torch.linspace(0, 1, 4))
    assert torch.isfinite(out).all()
    torch.testing.assert_close(out, lerp(z0, scale * z0, torch.linspace(0, 1, 4)))


def test_slerp_of_a_zero_latent_is_finite():
    assert torch.isfinite(slerp(torch.zeros(8), torch.ones(8), torch.tensor(0.3))).all()


@pytest.mark.parametrize("mode", ["lerp", "slerp"])
def test_latent_walk_passes_through_every_keyframe_in_order(mode, generator):
    keyframes = torch.randn(4, 32, generator=generator)
    walk = latent_walk(keyframes, steps=5, mode=mode)
    assert walk.shape == (3 * 5 + 1, 32)
    torch.testing.assert_close(walk[::5], keyframes)


def test_latent_walk_refuses_an_unknown_mode():
    with pytest.raises(GanforgeError, match="'cubic'.*lerp, slerp"):
        latent_walk(torch.randn(2, 8), steps=4, mode="cubic")


def walk_frames(steps=5, walks=3):
    shade = torch.linspace(-1, 1, steps).view(steps, 1, 1, 1, 1)
    return shade.expand(steps, walks, 1, 28, 28).clone()  # (T, N, C, H, W)


def test_interpolation_png_has_a_row_per_walk_and_a_column_per_step(tmp_path):
    path = save_interpolation(walk_frames(steps=5, walks=3), tmp_path / "walk.png")
    with Image.open(path) as image:
        assert image.size == (5 * 58 + 2, 3 * 58 + 2)
        assert image.getpixel((30, 30)) == 0  # walk 0 starts at -1 (black) ...
        assert image.getpixel((4 * 58 + 30, 2 * 58 + 30)) == 255  # ... and walk 2 ends at +1 (white)
    assert [p.name for p in tmp_path.iterdir() if ".tmp" in p.name] == []


def test_interpolation_gif_goes_forward_then_back_with_all_walks_side_by_side(tmp_path):
    path = save_interpolation(walk_frames(steps=5, walks=3), tmp_path / "walk.gif")
    with Image.open(path) as gif:
        assert gif.n_frames == 5 + 3  # 0 1 2 3 4 3 2 1
        assert gif.info["loop"] == 0
        assert gif.size == (3 * 58 + 2, 58 + 2)


@pytest.mark.parametrize("name", ["walk.jpg", "walk"])
def test_interpolation_with_another_suffix_is_an_error(tmp_path, name):
    with pytest.raises(GanforgeError, match=r"\.png or \.gif"):
        save_interpolation(walk_frames(), tmp_path / name)
