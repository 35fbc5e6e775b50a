"""pix2pix (Isola et al. 2017): paired image-to-image translation; G is a U-Net, D a PatchGAN that reads the
input beside the image it judges. The losses are ``gans/pix2pix.py``'s."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import pairs
from ganforge.data.pairs import Pair
from ganforge.gans.pix2pix import Pix2Pix
from ganforge.metrics import restoration
from ganforge.models import translation
from ganforge.tasks.base import PATCH_D_NORMS, Task, finish_data, load_base, patch_discriminator

if TYPE_CHECKING:
    from ganforge.config import Config


class Pix2PixTask(Task):
    """G: A -> B learnt from pairs (a, b)."""

    name = "pix2pix"
    paper = "Isola, Zhu, Zhou and Efros (2017), Image-to-Image Translation with Conditional Adversarial Networks"
    networks = {"unet": PATCH_D_NORMS}
    variant = Pix2Pix
    data = f"paired data: {', '.join(pairs.PAIRED)} or pairs:A_DIR,B_DIR"
    steps = 2000

    def fits_data(self, dataset: str) -> bool:
        return dataset in pairs.PAIRED or dataset.startswith(pairs.PAIRS_PREFIX)

    def load_data(self, cfg: Config, device: torch.device | str) -> Any:
        data = pairs.load_paired(cfg.data.name, load_base(cfg, device), cfg.data.image_size)
        return finish_data(self, cfg, data, device)

    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        channels, side, _ = shape
        G = translation.UNet(channels, channels, cfg.model.width, translation.unet_depth(side))
        return G, patch_discriminator(cfg, 2 * channels, side)  # D reads the input beside the image: 2C channels

    def metrics(self, examples: Pair, output: Tensor, images: Tensor) -> dict[str, float]:
        """L1 to the target against G = identity and G = the mean image; PSNR and SSIM."""
        target = examples.target
        mean = images.float().mean(0, keepdim=True).expand_as(target)
        return {
            "l1": restoration.l1(output, target),
            "l1_identity": restoration.l1(examples.source, target),
            "l1_mean": restoration.l1(mean, target),
            "psnr": restoration.psnr(output, target),
            "ssim": restoration.ssim(output, target),
        }
