"""GAN variants, one algorithm per file, registered by the name ``--loss`` takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from torch import nn

from ganforge.gans.base import GAN
from ganforge.gans.gan import MinimaxGAN, OriginalGAN
from ganforge.gans.hinge import HingeGAN
from ganforge.gans.lsgan import LSGAN
from ganforge.gans.wgan import WGAN
from ganforge.gans.wgan_gp import WGANGP

if TYPE_CHECKING:
    from ganforge.config import Config

GANS: dict[str, type[GAN]] = {
    "non-saturating": OriginalGAN,
    "minimax": MinimaxGAN,
    "wgan": WGAN,
    "wgan-gp": WGANGP,
    "hinge": HingeGAN,
    "lsgan": LSGAN,
}


def make_gan(cfg: Config, G: nn.Module, D: nn.Module, num_classes: int = 0) -> GAN:
    """The variant ``cfg.train.loss`` names, around G and D, with its settings from the resolved ``cfg``;
    class conditioning over ``num_classes`` classes and InfoGAN codes as ``cfg.model`` asks (gans/cgan.py)."""
    if cfg.task.name is not None:  # an image-to-image task: its own variant, train.loss is its adversarial form
        from ganforge.tasks import make_task_gan

        return make_task_gan(cfg, G, D)
    from ganforge.gans.cgan import configure

    return configure(GANS[cfg.train.loss].from_config(cfg, G, D), cfg, num_classes)


__all__ = ["GAN", "GANS", "LSGAN", "WGAN", "WGANGP", "HingeGAN", "MinimaxGAN", "OriginalGAN", "make_gan"]
