"""GAN variants, one algorithm per file, registered by the name ``--loss`` takes."""

from __future__ import annotations

from ganforge.gans.base import GAN
from ganforge.gans.gan import MinimaxGAN, OriginalGAN

GANS: dict[str, type[GAN]] = {
    "non-saturating": OriginalGAN,
    "minimax": MinimaxGAN,
}

__all__ = ["GAN", "GANS", "MinimaxGAN", "OriginalGAN"]
