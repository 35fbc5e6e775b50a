"""GAN variants, one algorithm per file, registered by the name ``--loss`` takes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ganforge.gans.ada import AdaptiveAugment, parse_ada
from ganforge.gans.augment import DiffAugment, parse_policies
from ganforge.gans.base import GAN
from ganforge.gans.cgan import configure
from ganforge.gans.gan import MinimaxGAN, OriginalGAN
from ganforge.gans.hinge import HingeGAN
from ganforge.gans.lsgan import LSGAN
from ganforge.gans.rpgan import RpGAN
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
    "rpgan": RpGAN,
}


def make_gan(cfg: Config, G: nn.Module, D: nn.Module, num_classes: int = 0) -> GAN:
    """The variant ``cfg.train.loss`` names, around G and D, with its settings from the resolved ``cfg``
    (generation from noise; a task makes its own variant, ``ganforge.tasks``);
    class conditioning over ``num_classes`` classes and InfoGAN codes as ``cfg.model`` asks (gans/cgan.py),
    and the options that compose with every loss (``set_options``)."""
    gan = configure(GANS[cfg.train.loss].from_config(cfg, G, D), cfg, num_classes)
    set_options(gan, cfg)
    return gan


def set_options(gan: GAN, cfg: Config) -> None:
    """The options that compose with every loss: DiffAugment or ADA, R2, packing, unrolling (EMA is the loop's)."""
    train = cfg.train
    if train.augment:
        device = next(gan.D.parameters()).device
        generator = torch.Generator(device).manual_seed(train.seed + 6)  # its own seeded stream
        target = parse_ada(train.augment)
        if target is not None:  # ADA: p follows D's overfitting toward the target
            gan.augment = AdaptiveAugment(generator, train.batch_size, target, train.ada_images)
        else:
            gan.augment = DiffAugment(parse_policies(train.augment), generator)
    gan.r2_gamma = train.r2_gamma
    gan.pack = train.pack
    gan.unroll = train.unroll
    gan.unroll_lr = train.unroll_lr or 0.0


__all__ = ["GAN", "GANS", "LSGAN", "WGAN", "WGANGP", "HingeGAN", "MinimaxGAN", "OriginalGAN", "make_gan"]
