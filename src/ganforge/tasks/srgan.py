"""SRGAN (Ledig et al. 2017): single-image super-resolution by ``task.scale``; G is SRResNet, D a PatchGAN on
high-resolution images alone. The losses are ``gans/srgan.py``'s.

A model trained on inputs made by one downscaling filter learns to undo that filter's blur and falls below
plain bicubic upsampling on inputs another filter made. So the low-resolution inputs are made by a mix of
filters (``task.filters``; by default every one of ``data.pairs.DOWNSCALE_FILTERS`` but the held-out one),
one drawn per image from a stream seeded by ``train.seed``; evaluation also measures inputs made by
``task.held_out_filter`` (plain block averaging, "area", by default), which no image was trained on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import load_dataset, pairs
from ganforge.data.images import to_unit_range
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
    trains_on_filters = True

    def load_data(self, cfg: Config, device: torch.device | str) -> Any:
        images = load_dataset(cfg.data, device)
        scale = cfg.task.scale
        _channels, height, width = images.shape
        if height % scale or width % scale:
            raise GanforgeError(
                f"{cfg.data.name}'s {height} x {width} images do not divide by task.scale={scale}",
                f"set --image-size to a multiple of {scale}, e.g. {4 * scale * 2}",
            )
        filters = training_filters(cfg)
        stream = torch.Generator().manual_seed(cfg.train.seed + 7)  # each image's filter: the same every load
        lows, _ = pairs.downscale_mix(images.images, scale, filters, stream)
        made = f"x{scale} downscaled by {', '.join(filters)} (one per image); {images.source}"
        data = PairedData(cfg.data.name, lows, images.images, made)
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

    def held_out(self, cfg: Config, examples: Pair) -> Pair:
        """The targets downscaled by ``task.held_out_filter``, which no training input was made by."""
        pixels = ((examples.target + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
        low = to_unit_range(pairs.downscale(pixels, cfg.task.scale, cfg.task.held_out_filter))
        return Pair(low, examples.target)

    def baseline(self, examples: Pair, images: Tensor) -> tuple[str, Tensor]:
        return "bicubic", pairs.upscale_bicubic(examples.source, tuple(examples.target.shape[-2:]))


def training_filters(cfg: Config) -> tuple[str, ...]:
    """The downscaling filters mixed in training: ``task.filters``, or every filter that makes other images
    than the held-out one at ``task.scale`` (at x2 bilinear without antialiasing is "area" by another name)."""
    if cfg.task.filters is not None:
        return tuple(name.strip() for name in cfg.task.filters.split(",") if name.strip())
    held_out, scale = cfg.task.held_out_filter, cfg.task.scale
    return tuple(name for name in pairs.DOWNSCALE_FILTERS if not pairs.same_filter(name, held_out, scale))
