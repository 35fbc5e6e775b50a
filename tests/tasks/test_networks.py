"""The task networks: shapes through every side the tasks accept, and SRResNet starting at bicubic."""

import pytest
import torch
import torch.nn.functional as F

from ganforge.models.translation import (
    PatchGAN,
    ResnetGenerator,
    SRResNet,
    UNet,
    unet_depth,
)


@pytest.mark.parametrize(("side", "depth"), [(28, 2), (32, 3), (64, 4), (128, 4), (14, 1), (7, 0)])
def test_unet_depth_halves_while_the_side_stays_even_and_at_least_four(side, depth):
    assert unet_depth(side) == depth


@pytest.mark.parametrize("side", [28, 32, 64])
def test_unet_maps_an_image_to_one_of_the_same_size_in_range(side):
    net = UNet(4, 3, width=8, depth=unet_depth(side))
    out = net(torch.randn(2, 4, side, side))
    assert out.shape == (2, 3, side, side) and out.abs().max() <= 1


@pytest.mark.parametrize("side", [28, 64])
def test_patchgan_gives_one_logit_per_patch(side):
    logits = PatchGAN(2, width=8, side=side, norm="spectral")(torch.randn(3, 2, side, side))
    assert logits.dim() == 2 and logits.shape[0] == 3 and logits.shape[1] > 1


def test_resnet_generator_keeps_the_size():
    assert ResnetGenerator(1, width=4, blocks=1)(torch.randn(2, 1, 28, 28)).shape == (2, 1, 28, 28)


@pytest.mark.parametrize("scale", [2, 4])
def test_untrained_srresnet_is_exactly_bicubic_upsampling(scale):
    low = torch.rand(2, 1, 7, 7) * 2 - 1
    out = SRResNet(1, width=8, blocks=1, scale=scale)(low)
    assert out.shape == (2, 1, 7 * scale, 7 * scale)
    assert torch.allclose(out, F.interpolate(low, scale_factor=scale, mode="bicubic", align_corners=False))
