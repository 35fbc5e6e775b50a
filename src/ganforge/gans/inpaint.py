"""Context encoders: inpainting by a GAN (Pathak, Krahenbuhl, Donahue, Darrell and Efros 2016), section 3.2:

    L = lambda_rec L_rec + lambda_adv L_adv,    L_rec = ||M * (x - G((1 - M) * x))||_2^2,
    lambda_rec = 0.999, lambda_adv = 0.001

M is 1 on the hole. G reads the image with the hole blanked and the mask itself (one more channel);
its output counts only inside the hole: the composite M * G(.) + (1 - M) * x keeps every known pixel.
D judges composites against real images, so a seam between context and fill gives the fake away.
Here x is the real minibatch and ``labels`` carries the masked input and M.
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


class ContextEncoder(GAN):
    """G fills the hole from its context; reconstruction on the hole plus a small adversarial term."""

    def __init__(
        self, G: nn.Module, D: nn.Module, form: str, rec_weight: float, adversarial_weight: float, r1_gamma: float = 0.0
    ) -> None:
        super().__init__(G, D, z_dim=0, r1_gamma=r1_gamma)
        self.form = form
        self.rec_weight = rec_weight
        self.adversarial_weight = adversarial_weight

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> ContextEncoder:
        task = cfg.task
        return cls(G, D, cfg.train.loss, task.rec_weight, task.adversarial_weight, r1_gamma=cfg.train.r1_gamma)

    def generate(self, z: torch.Tensor, labels: Pair | None = None) -> torch.Tensor:
        """The completed images: G's fill inside the hole, the known pixels outside it."""
        pair = adversarial.need_pair(labels, "inpaint")
        return fill_hole(self.G(pair.source), pair.source)

    def d_loss(self, step: Step) -> torch.Tensor:
        # (1) D tells real images from completed ones
        return adversarial.image_d_loss(self, step)

    def g_loss(self, step: Step) -> torch.Tensor:
        fake, labels = step.fake, step.labels
        # (2) G reconstructs the hole (L_rec, as a mean over the hole's pixels) and fools D (L_adv)
        hole = labels.mask.expand_as(fake)
        loss_G_rec = ((fake - labels.target) * hole).pow(2).sum() / hole.sum().clamp_min(1)
        loss_G_adv = adversarial.g_term(self.form, self.discriminate(fake, labels))
        stats.report("loss/G/rec", loss_G_rec)
        stats.report("loss/G/adv", loss_G_adv)
        loss_G = self.rec_weight * loss_G_rec + self.adversarial_weight * loss_G_adv
        stats.report("loss/G", loss_G)
        return loss_G


def fill_hole(output: torch.Tensor, source: torch.Tensor) -> torch.Tensor:
    """M * output + (1 - M) * visible, where ``source`` = (visible image with the hole at 0) ++ M."""
    visible, mask = source[:, :-1], source[:, -1:]
    return mask * output + (1 - mask) * visible
