"""The least-squares GAN of Mao et al. (2017), with the 0-1 coding a=0, b=1, c=1 (eq. 2):

    min_D  1/2 E_x[(D(x) - 1)^2] + 1/2 E_z[D(G(z))^2]        min_G  1/2 E_z[(D(G(z)) - 1)^2]

A sample on the right side of D's boundary but far from the real data still gets a gradient, where the
sigmoid cross-entropy saturates; the paper shows G then minimises a Pearson chi^2 divergence (for b - c = 1,
b - a = 2; the 0-1 coding used here is their practical choice).
"""

from __future__ import annotations

import torch

from ganforge import losses, stats
from ganforge.gans.base import GAN, Step


class LSGAN(GAN):
    """Least-squares losses on D's raw outputs: real -> 1, fake -> 0; G wants 1."""

    def d_loss(self, step: Step) -> torch.Tensor:
        real_scores = self.discriminate(step.real, step.labels, step.D_weights)
        fake_scores = self.discriminate(step.fake, step.labels, step.D_weights)
        # (1) D regresses real samples onto 1 and generated ones onto 0
        loss_D_real = losses.least_squares_d_real(real_scores)
        loss_D_fake = losses.least_squares_d_fake(fake_scores)
        stats.report("loss/D/real", loss_D_real)
        stats.report("loss/D/fake", loss_D_fake)
        stats.report("D(x)", real_scores)  # mean raw outputs: targets 1 (real) and 0 (fake)
        stats.report("D(G(z))", fake_scores)
        loss_D = loss_D_real + loss_D_fake
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        # (2) G regresses D's output on its samples onto 1
        loss_G = losses.least_squares_g(self.discriminate(step.fake, step.labels, step.D_weights))
        stats.report("loss/G", loss_G)
        return loss_G
