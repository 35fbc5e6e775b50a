"""Adversarial video prediction: Mathieu, Couprie and LeCun (2016), Deep multi-scale video prediction beyond
mean square error, section 3. G predicts the next frames Y from the context frames X; its loss (eq. 9) is

    L(X, Y) = lambda_adv L_adv^G + lambda_lp L_p(Y, G(X)) + lambda_gdl L_gdl(Y, G(X))

with p = 2 here (their L2 model), the adversarial weight 0.05 and the other two 1 (their Adv+GDL weights),
and the gradient difference loss of eq. 5 with alpha = 1:

    L_gdl = sum_ij | |Y_ij - Y_i-1,j| - |G_ij - G_i-1,j| | + | |Y_i,j-1 - Y_ij| - |G_i,j-1 - G_ij| |

which penalises predicted edges that are weaker (blurred) or stronger than the true ones. D judges the
context beside the future frames (conditional, at every scale of ``models/video.py``). Pixel terms are
means over pixels here (the paper does not say how it normalised them), taken at full resolution; the
adversarial term reaches every scale through the multi-scale D.

With ``adversarial_weight`` 0 (presets ``video-l2`` and ``video-gdl``) there is no adversary: D's loss is a
zero that leaves D untouched, and G trains on the pixel terms alone.
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


def gradient_difference(prediction: torch.Tensor, target: torch.Tensor, alpha: float = 1.0) -> torch.Tensor:
    """L_gdl of Mathieu et al. (2016), eq. 5, averaged over pixel positions: frames (N, C, H, W)."""
    def differences(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (x[..., 1:, :] - x[..., :-1, :]).abs(), (x[..., :, 1:] - x[..., :, :-1]).abs()

    true_rows, true_cols = differences(target)
    fake_rows, fake_cols = differences(prediction)
    return (true_rows - fake_rows).abs().pow(alpha).mean() + (true_cols - fake_cols).abs().pow(alpha).mean()


class VideoGAN(GAN):
    """Multi-scale G: context -> future frames; D judges (context, future); adversarial + L2 + GDL."""

    def __init__(
        self, G: nn.Module, D: nn.Module, form: str, adversarial_weight: float, l2_weight: float, gdl_weight: float,
        context: int, r1_gamma: float = 0.0,
    ) -> None:  # fmt: skip
        super().__init__(G, D, z_dim=0, r1_gamma=r1_gamma)  # no z: G is deterministic, like theirs
        self.context = context  # frames G reads, for rolling out more frames than one pass predicts
        self.form = form
        self.adversarial_weight = adversarial_weight
        self.l2_weight = l2_weight
        self.gdl_weight = gdl_weight

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> VideoGAN:
        task = cfg.task
        return cls(G, D, cfg.train.loss, task.adversarial_weight, task.l2_weight, task.gdl_weight,
                   int(task.context or 1), cfg.train.r1_gamma)  # fmt: skip

    def generate(self, z: torch.Tensor, labels: Pair | None = None) -> torch.Tensor:
        """G(X): the next frames for the context frames in ``labels.source``."""
        return self.G(adversarial.need_pair(labels, "video").source)

    def discriminate(self, x: torch.Tensor, labels: Pair | None = None, weights: dict | None = None) -> torch.Tensor:
        """D(X, Y): context and future frames stacked along channels, one logit per scale."""
        return self.D(torch.cat([adversarial.need_pair(labels, "video").source, x], dim=1))

    def d_loss(self, step: Step) -> torch.Tensor:
        if self.adversarial_weight == 0:  # no adversary: a zero with a graph, so D's update changes nothing
            return sum(parameter.sum() for parameter in self.D.parameters()) * 0.0  # type: ignore[return-value]
        # (1) D tells (X, Y) from (X, G(X)) at every scale (their eq. 6)
        return adversarial.image_d_loss(self, step)

    def g_loss(self, step: Step) -> torch.Tensor:
        fake, target = step.fake, step.labels.target
        # (2) G: lambda_lp L2 + lambda_gdl GDL (+ lambda_adv fooling D at every scale), their eq. 9
        loss_G_l2 = (fake - target).pow(2).mean()
        loss_G_gdl = gradient_difference(fake, target)
        stats.report("loss/G/L2", loss_G_l2)
        stats.report("loss/G/gdl", loss_G_gdl)
        loss_G = self.l2_weight * loss_G_l2 + self.gdl_weight * loss_G_gdl
        if self.adversarial_weight > 0:
            loss_G_adv = adversarial.g_term(self.form, self.discriminate(fake, step.labels))
            stats.report("loss/G/adv", loss_G_adv)
            loss_G = loss_G + self.adversarial_weight * loss_G_adv
        stats.report("loss/G", loss_G)
        return loss_G
