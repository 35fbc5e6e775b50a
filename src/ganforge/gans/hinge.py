"""The hinge GAN (Lim & Ye 2017, "Geometric GAN"; the loss of SN-GAN, Miyato et al. 2018, eq. 16-17).

D is a margin classifier on raw scores:  min_D  E_x[relu(1 - D(x))] + E_z[relu(1 + D(G(z)))],
so it stops pushing on samples it already places beyond the margins +1 and -1; G maximises E_z[D(G(z))].
"""

from __future__ import annotations

import torch

from ganforge import losses, stats
from ganforge.gans.base import GAN, Step


class HingeGAN(GAN):
    """Hinge loss for D, -E[D(G(z))] for G."""

    def d_loss(self, step: Step) -> torch.Tensor:
        real_scores = self.discriminate(step.real, step.labels, step.D_weights)
        fake_scores = self.discriminate(step.fake, step.labels, step.D_weights)
        # (1) D minimises E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]
        loss_D_real = losses.hinge_d_real(real_scores)
        loss_D_fake = losses.hinge_d_fake(fake_scores)
        stats.report("loss/D/real", loss_D_real)
        stats.report("loss/D/fake", loss_D_fake)
        stats.report("D(x)", real_scores)  # mean raw scores: the margins sit at +1 and -1
        stats.report("D(G(z))", fake_scores)
        loss_D = loss_D_real + loss_D_fake
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        # (2) G minimises -E[D(G(z))]
        loss_G = losses.wasserstein_g(self.discriminate(step.fake, step.labels, step.D_weights))
        stats.report("loss/G", loss_G)
        return loss_G
