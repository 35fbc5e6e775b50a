"""How close an output image is to its target: L1, PSNR and SSIM, per image, averaged over a set.

Images are float tensors (N, C, H, W) in [-1, 1], the range generators produce; PSNR and SSIM are computed
on [0, 1] pixels (x + 1) / 2, where their usual constants are defined, so values compare with the papers'.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

SSIM_WINDOW = 11  # Wang, Bovik, Sheikh and Simoncelli (2004): an 11 x 11 Gaussian window, sigma 1.5
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03  # C1 = (K1 L)^2, C2 = (K2 L)^2 with dynamic range L = 1


def _unit(images: Tensor) -> Tensor:
    return (images.float().clamp(-1, 1) + 1) / 2


def l1(output: Tensor, target: Tensor, mask: Tensor | None = None) -> float:
    """Mean absolute error in [-1, 1] units (pix2pix's L1 term), over ``mask`` == 1 pixels when given."""
    error = (output.float() - target.float()).abs()
    if mask is None:
        return float(error.mean())
    weights = mask.expand_as(error)
    return float((error * weights).sum() / weights.sum().clamp_min(1))


def psnr(output: Tensor, target: Tensor, mask: Tensor | None = None) -> float:
    """Peak signal-to-noise ratio in dB, 10 log10(1 / MSE) on [0, 1] pixels, per image then averaged.

    With ``mask`` (N, 1, H, W), the MSE of each image is taken over its masked pixels only (the hole).
    Identical images would give infinity; the MSE is floored at 1e-10 (100 dB).
    """
    error = (_unit(output) - _unit(target)).pow(2)
    if mask is None:
        mse = error.flatten(1).mean(1)
    else:
        weights = mask.float().expand_as(error)
        mse = (error * weights).flatten(1).sum(1) / weights.flatten(1).sum(1).clamp_min(1)
    return float((10 * torch.log10(1 / mse.clamp_min(1e-10))).mean())


def _gaussian_taps(device: torch.device) -> Tensor:
    """The 1-D Gaussian of the window (float64): the 11 x 11 window is its outer product with itself."""
    coords = torch.arange(SSIM_WINDOW, dtype=torch.float64, device=device) - (SSIM_WINDOW - 1) / 2
    g = torch.exp(-coords.pow(2) / (2 * SSIM_SIGMA**2))
    return g / g.sum()


def ssim_map(output: Tensor, target: Tensor) -> Tensor:
    """The SSIM index at every window position (Wang et al. 2004, eq. 13), (N, C, H - 10, W - 10).

    SSIM(x, y) = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2)),
    with local means, variances and covariance weighted by the Gaussian window ('valid' positions only).
    """
    x, y = _unit(output).double(), _unit(target).double()  # float64: variances are small differences of means
    channels = x.shape[1]
    if min(x.shape[-2:]) < SSIM_WINDOW:  # tiny images: one window over the whole image
        x = F.interpolate(x, size=(SSIM_WINDOW, SSIM_WINDOW), mode="bilinear", align_corners=False)
        y = F.interpolate(y, size=(SSIM_WINDOW, SSIM_WINDOW), mode="bilinear", align_corners=False)
    g = _gaussian_taps(x.device)
    down = g.view(1, 1, SSIM_WINDOW, 1).expand(channels, 1, SSIM_WINDOW, 1).contiguous()
    across = g.view(1, 1, 1, SSIM_WINDOW).expand(channels, 1, 1, SSIM_WINDOW).contiguous()

    def blur(images: Tensor) -> Tensor:  # the separable window: 11 taps down, then 11 across (not 121)
        return F.conv2d(F.conv2d(images, down, groups=channels), across, groups=channels)

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x.pow(2)
    var_y = blur(y * y) - mu_y.pow(2)
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = SSIM_K1**2, SSIM_K2**2
    return ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x.pow(2) + mu_y.pow(2) + c1) * (var_x + var_y + c2))


def ssim(output: Tensor, target: Tensor) -> float:
    """Mean SSIM (Wang et al. 2004) over windows, channels and images: 1 for identical images."""
    return float(ssim_map(output, target).mean())
