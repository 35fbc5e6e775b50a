"""The original GAN of Goodfellow et al. (2014): D and G play

    min_G max_D  E_x[log D(x)] + E_z[log(1 - D(G(z)))]

D ascends the value function (as a binary cross-entropy on real versus fake). G either descends it
(``minimax``, the saturating form: its gradient vanishes while D confidently rejects G's samples) or,
as the paper recommends in practice, maximises log D(G(z)) (``non-saturating``).
"""

from __future__ import annotations

import torch

from ganforge import losses, stats
from ganforge.gans.base import GAN, Step


class OriginalGAN(GAN):
    """The 2014 game; ``saturating`` picks the minimax generator loss over the non-saturating one."""

    saturating = False

    def d_loss(self, step: Step) -> torch.Tensor:
        real_logits = self.discriminate(step.real, step.labels, step.D_weights)
        fake_logits = self.discriminate(step.fake, step.labels, step.D_weights)
        # (1) D maximises log D(x) + log(1 - D(G(z))), i.e. minimises the two cross-entropies
        loss_D_real = losses.d_loss_real(real_logits)
        loss_D_fake = losses.d_loss_fake(fake_logits)
        stats.report("loss/D/real", loss_D_real)
        stats.report("loss/D/fake", loss_D_fake)
        stats.report("D(x)", torch.sigmoid(real_logits))
        stats.report("D(G(z))", torch.sigmoid(fake_logits))
        loss_D = loss_D_real + loss_D_fake
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        fake_logits = self.discriminate(step.fake, step.labels, step.D_weights)
        # (2) G minimises log(1 - D(G(z))) (minimax) or -log D(G(z)) (non-saturating)
        loss_G = losses.g_loss_minimax(fake_logits) if self.saturating else losses.g_loss_non_saturating(fake_logits)
        stats.report("loss/G", loss_G)
        return loss_G


class MinimaxGAN(OriginalGAN):
    """G minimises log(1 - D(G(z))) exactly as in the value function."""

    saturating = True
