"""SRGAN (Ledig et al. 2017): single-image super-resolution by ``task.scale``; G is SRResNet, D a PatchGAN on
high-resolution images alone. The losses are ``gans/srgan.py``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import load_dataset, pairs
from ganforge.data.pairs import Pair, PairedData
from ganforge.errors import GanforgeError
from ganforge.gans.srgan import SRGAN
from ganforge.metrics import restoration
from ganforge.models import translation
from ganforge.tasks.base import PATCH_D_NORMS, RESTORATION_DATA, Task, finish_data, patch_discriminator

if TYPE_CHECKING:
    from ganforge.config import Config

SR_BLOCKS = 4  # residual blocks in SRResNet (the paper: 16)


class SuperResolutionTask(Task):
    """G: a low-resolution image -> the image ``task.scale`` times larger."""

    name = "srgan"
    paper = "Ledig et al. (2017), Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network"
    networks = {"srresnet": PATCH_D_NORMS}
    variant = SRGAN
    data = f"images: {RESTORATION_DATA} (downscaled by task.scale)"
    steps = 1500

    def load_data(self, cfg: Config, device: torch.device | str) -> Any:
        images = load_dataset(cfg.data, device)
        scale = cfg.task.scale
        _channels, height, width = images.shape
        if height % scale or width % scale:
            raise GanforgeError(
                f"{cfg.data.name}'s {height} x {width} images do not divide by task.scale={scale}",
                f"set --image-size to a multiple of {scale}, e.g. {4 * scale * 2}",
            )
        lows = pairs.downscale(images.images, scale)
        data = PairedData(cfg.data.name, lows, images.images, f"x{scale} downscaled; {images.source}")
        return finish_data(self, cfg, data, device)

    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        channels, side, _ = shape
        G = translation.SRResNet(channels, cfg.model.width, SR_BLOCKS, cfg.task.scale)
        return G, patch_discriminator(cfg, channels, side)

    def source_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, int, int]:
        channels, height, width = shape
        return channels, height // cfg.task.scale, width // cfg.task.scale

    def metrics(self, examples: Pair, output: Tensor, images: Tensor) -> dict[str, float]:
        """PSNR and SSIM against bicubic upsampling."""
        target = examples.target
        bicubic = pairs.upscale_bicubic(examples.source, tuple(target.shape[-2:]))
        return {
            "psnr": restoration.psnr(output, target),
            "psnr_bicubic": restoration.psnr(bicubic, target),
            "ssim": restoration.ssim(output, target),
            "ssim_bicubic": restoration.ssim(bicubic, target),
        }

    def baseline(self, examples: Pair, images: Tensor) -> tuple[str, Tensor]:
        return "bicubic", pairs.upscale_bicubic(examples.source, tuple(examples.target.shape[-2:]))
