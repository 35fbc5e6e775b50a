"""Context encoders (Pathak et al. 2016): inpainting the holes ``task.mask`` cuts; G is a U-Net reading the
image with its hole and the mask, D a PatchGAN. The losses are ``gans/inpaint.py``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import load_dataset, pairs
from ganforge.data.pairs import Pair, make_masks, with_hole
from ganforge.gans.inpaint import ContextEncoder
from ganforge.metrics import restoration
from ganforge.models import translation
from ganforge.tasks.base import PATCH_D_NORMS, RESTORATION_DATA, Task, finish_data, patch_discriminator

if TYPE_CHECKING:
    from ganforge.config import Config


class InpaintingTask(Task):
    """G: an image with a hole (and the mask) -> the whole image."""

    name = "inpaint"
    paper = "Pathak, Krahenbuhl, Donahue, Darrell and Efros (2016), Context Encoders: Feature Learning by Inpainting"
    networks = {"context-encoder": PATCH_D_NORMS}
    variant = ContextEncoder
    data = f"images: {RESTORATION_DATA} (holes cut by task.mask)"
    steps = 2000

    def load_data(self, cfg: Config, device: torch.device | str) -> Any:
        images = load_dataset(cfg.data, device)
        data = pairs.MaskedData(cfg.data.name, images.images, images.source, cfg.task.mask, cfg.task.hole)
        return finish_data(self, cfg, data, device)

    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        channels, side, _ = shape
        G = translation.UNet(channels + 1, channels, cfg.model.width, translation.unet_depth(side))  # image + mask
        return G, patch_discriminator(cfg, channels, side)

    def source_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, int, int]:
        channels, height, width = shape
        return channels + 1, height, width  # the mask is one more channel

    def input_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(shape)  # whole images: the run's mask rule cuts the holes

    def inputs(self, cfg: Config, images: Tensor, seed: int) -> Pair:
        generator = torch.Generator().manual_seed(seed)  # random boxes come from ``seed``
        return with_hole(images, make_masks(len(images), images.shape[-2:], cfg.task.mask, cfg.task.hole, generator))

    def visible_input(self, source: Tensor, size: tuple[int, int]) -> Tensor:
        return source[:, :-1]  # the mask channel dropped: the hole shows as mid-grey

    def metrics(self, examples: Pair, output: Tensor, images: Tensor) -> dict[str, float]:
        """PSNR and L1 on the hole, and SSIM, against filling it with the mean image."""
        target, mask = examples.target, examples.mask
        mean_fill = mean_filled(examples, images)
        return {
            "psnr_hole": restoration.psnr(output, target, mask),
            "psnr_hole_mean_fill": restoration.psnr(mean_fill, target, mask),
            "l1_hole": restoration.l1(output, target, mask),
            "l1_hole_mean_fill": restoration.l1(mean_fill, target, mask),
            "ssim": restoration.ssim(output, target),
            "ssim_mean_fill": restoration.ssim(mean_fill, target),
        }

    def baseline(self, examples: Pair, images: Tensor) -> tuple[str, Tensor]:
        return "mean_fill", mean_filled(examples, images)


def mean_filled(examples: Pair, images: Tensor) -> Tensor:
    """The inpainting baseline: every hole filled with the mean of ``images``."""
    mean = images.float().mean(0, keepdim=True)
    return examples.mask * mean + (1 - examples.mask) * examples.target
