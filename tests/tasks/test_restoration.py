"""PSNR, SSIM and L1 give the values their definitions give."""

import math

import pytest
import torch

from ganforge.metrics.restoration import l1, psnr, ssim


def test_psnr_of_a_uniform_error_is_ten_log10_of_one_over_its_square():
    target = torch.zeros(2, 1, 16, 16)
    output = target + 0.2  # 0.1 on [0, 1] pixels: MSE 0.01 -> 20 dB
    assert psnr(output, target) == pytest.approx(20.0, abs=1e-4)


def test_psnr_on_a_mask_counts_only_the_masked_pixels():
    target = torch.zeros(1, 1, 8, 8)
    output = target.clone()
    mask = torch.zeros(1, 1, 8, 8)
    mask[..., :4, :] = 1
    output[..., :4, :] = 0.2  # the error sits on the mask only
    assert psnr(output, target, mask) == pytest.approx(20.0, abs=1e-4)
    assert psnr(output, target) == pytest.approx(20.0 + 10 * math.log10(2), abs=1e-4)  # half the pixels wrong


def test_ssim_of_an_image_with_itself_is_one_and_with_noise_less():
    torch.manual_seed(0)
    image = torch.rand(2, 3, 32, 32) * 2 - 1
    assert ssim(image, image) == pytest.approx(1.0, abs=1e-6)
    assert ssim(image + 0.3 * torch.randn_like(image), image) < 0.9


def test_ssim_of_two_flat_images_matches_the_luminance_formula():
    # Flat images have no variance: SSIM reduces to (2 mu_x mu_y + C1) / (mu_x^2 + mu_y^2 + C1), C1 = 0.01^2.
    x, y = torch.full((1, 1, 20, 20), -0.2), torch.full((1, 1, 20, 20), 0.6)  # 0.4 and 0.8 on [0, 1]
    c1 = 0.01**2
    expected = (2 * 0.4 * 0.8 + c1) / (0.4**2 + 0.8**2 + c1)
    assert ssim(x, y) == pytest.approx(expected, abs=1e-5)


def test_ssim_of_an_inverted_pattern_is_negative():
    torch.manual_seed(1)
    pattern = torch.rand(1, 1, 24, 24) - 0.5  # zero-mean around grey: inverting flips the structure term
    assert ssim(-pattern, pattern) < 0


def test_l1_is_the_mean_absolute_difference_and_respects_a_mask():
    output, target = torch.ones(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    output[..., 0, 0] = 3
    assert l1(output, target) == pytest.approx((15 + 3) / 16)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., 0, 0] = 1
    assert l1(output, target, mask) == pytest.approx(3.0)
