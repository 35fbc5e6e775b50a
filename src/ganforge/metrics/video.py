"""How close predicted frames are to the true ones, per horizon: the measures of the video-prediction papers.

Clips are float tensors (N, T, C, H, W) in [-1, 1]; every measure is taken on [0, 1] pixels (x + 1) / 2 and
returned per predicted frame, a list of T floats (frame 1 first), averaged over clips.

- ``mse``: the Moving MNIST convention (Srivastava et al. 2015; OpenSTL's table): the squared error *summed*
  over the pixels of a frame, then averaged over clips. A 64 x 64 frame of MSE 46 has a per-pixel error of
  46 / 4096 = 0.011.
- ``mae``: the absolute error summed over a frame's pixels, likewise.
- ``psnr``: 10 log10(1 / per-pixel MSE) of each frame, then averaged (errors floored at 1e-10: 100 dB).
- ``ssim``: Wang et al. (2004) with its 11 x 11 Gaussian window (``metrics/restoration.py``), per frame.
- ``sharpness``: the energy of a frame's Laplacian relative to the true frame's, sum over clips of
  ||lap(prediction)||^2 / sum of ||lap(truth)||^2: 1 is as sharp as the truth, a blurred frame less, a blank
  one 0. No training loss uses the Laplacian, so G is not fitted to it (its GDL term uses first differences).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.metrics.restoration import ssim_map

SSIM_CHUNK = 200  # frames per ssim_map call: its float64 window sums of 10,000 64 x 64 frames at once took 28 GB
LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


def _unit(clips: Tensor) -> Tensor:
    return (clips.float().clamp(-1, 1) + 1) / 2


def mse(prediction: Tensor, truth: Tensor) -> list[float]:
    """Per frame: the squared error summed over the frame's pixels, averaged over clips."""
    error = (_unit(prediction) - _unit(truth)).pow(2).flatten(2).sum(2)  # (N, T)
    return error.mean(0).tolist()


def mae(prediction: Tensor, truth: Tensor) -> list[float]:
    """Per frame: the absolute error summed over the frame's pixels, averaged over clips."""
    error = (_unit(prediction) - _unit(truth)).abs().flatten(2).sum(2)
    return error.mean(0).tolist()


def psnr(prediction: Tensor, truth: Tensor) -> list[float]:
    """Per frame: 10 log10(1 / mean squared pixel error), averaged over clips."""
    per_pixel = (_unit(prediction) - _unit(truth)).pow(2).flatten(2).mean(2)
    return (10 * torch.log10(1 / per_pixel.clamp_min(1e-10))).mean(0).tolist()


def ssim(prediction: Tensor, truth: Tensor, chunk: int = SSIM_CHUNK) -> list[float]:
    """Per frame: mean SSIM over windows and channels, averaged over clips; ``chunk`` frames at a time."""
    frames = prediction.shape[1]
    x, y = prediction.flatten(0, 1), truth.flatten(0, 1)  # (N * T, C, H, W)
    means = [ssim_map(x[i : i + chunk], y[i : i + chunk]).flatten(1).mean(1) for i in range(0, len(x), chunk)]
    return torch.cat(means).view(-1, frames).mean(0).tolist()


def laplacian_energy(clips: Tensor) -> Tensor:
    """||lap(frame)||^2 of every frame, (N, T), on [0, 1] pixels (the 5-point Laplacian, 'valid' positions)."""
    frames = _unit(clips).flatten(0, 2)[:, None]  # (N * T * C, 1, H, W)
    response = F.conv2d(frames, LAPLACIAN.to(frames)[None, None])
    return response.pow(2).flatten(1).sum(1).view(clips.shape[0], clips.shape[1], -1).sum(2)


def sharpness(prediction: Tensor, truth: Tensor) -> list[float]:
    """Per frame: the Laplacian energy of the predictions over that of the true frames (1: as sharp)."""
    ratio = laplacian_energy(prediction).sum(0) / laplacian_energy(truth).sum(0).clamp_min(1e-12)
    return ratio.tolist()


MEASURES = {"mse": mse, "mae": mae, "psnr": psnr, "ssim": ssim, "sharpness": sharpness}


def measure_all(prediction: Tensor, truth: Tensor) -> dict[str, list[float]]:
    """Every measure of ``MEASURES``, per frame."""
    return {name: measure(prediction, truth) for name, measure in MEASURES.items()}
