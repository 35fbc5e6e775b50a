"""pix2pix: paired image-to-image translation with a conditional GAN (Isola et al. 2017), eq. 4:

    G* = arg min_G max_D  L_cGAN(G, D) + lambda L_L1(G),   lambda = 100

    L_cGAN = E_{x,y}[log D(x, y)] + E_x[log(1 - D(x, G(x)))],   L_L1 = E_{x,y}[||y - G(x)||_1]

D sees the input x beside the image it judges (a conditional D), so it checks that the output matches
the input, not only that it looks real; L1 carries the low frequencies, the GAN term the sharpness.
Here x is ``labels.source`` and y is the real minibatch (``labels.target``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ganforge import stats
from ganforge.data.pairs import Pair
from ganforge.gans import adversarial
from ganforge.gans.base import GAN, Step

if TYPE_CHECKING:
    from ganforge.config import Config


class Pix2Pix(GAN):
    """U-Net G: x -> y; PatchGAN D judging (x, y) pairs; adversarial + lambda * L1."""

    def __init__(self, G: nn.Module, D: nn.Module, form: str, l1_weight: float, r1_gamma: float = 0.0) -> None:
        super().__init__(G, D, z_dim=0, r1_gamma=r1_gamma)  # no z: pix2pix found G ignores it (section 3.1)
        self.form = form
        self.l1_weight = l1_weight

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> Pix2Pix:
        return cls(G, D, cfg.train.loss, cfg.task.l1_weight, r1_gamma=cfg.train.r1_gamma)

    def generate(self, z: torch.Tensor, labels: Pair | None = None) -> torch.Tensor:
        """G(x) for the sources in ``labels``."""
        return self.G(adversarial.need_pair(labels, "pix2pix").source)

    def discriminate(self, x: torch.Tensor, labels: Pair | None = None, weights: dict | None = None) -> torch.Tensor:
        """D(x_source, y): the pair stacked along channels, one logit per patch (tasks refuse unrolling)."""
        return self.D(torch.cat([adversarial.need_pair(labels, "pix2pix").source, x], dim=1))

    def d_loss(self, step: Step) -> torch.Tensor:
        # (1) D maximises log D(x, y) + log(1 - D(x, G(x))), divided by 2 "to slow down the rate at which D
        # learns relative to G" (Isola et al. 2017, sec. 3.3)
        return adversarial.image_d_loss(self, step, scale=0.5)

    def g_loss(self, step: Step) -> torch.Tensor:
        fake, labels = step.fake, step.labels
        # (2) G fools D on the pair (x, G(x)) and stays close to y in L1
        loss_G_adv = adversarial.g_term(self.form, self.discriminate(fake, labels))
        loss_G_L1 = (fake - labels.target).abs().mean()
        stats.report("loss/G/adv", loss_G_adv)
        stats.report("loss/G/L1", loss_G_L1)
        loss_G = loss_G_adv + self.l1_weight * loss_G_L1
        stats.report("loss/G", loss_G)
        return loss_G
