"""The relativistic pairing GAN (Jolicoeur-Martineau 2019), in the form R3GAN (Huang, Gokaslan, Kuleshov and
Tompkin 2024, eq. 2) builds on: D judges each real sample against a generated one, not each on its own.

    min_D  E_{x, z}[f(-(D(x) - D(G(z))))]        min_G  E_{x, z}[f(-(D(G(z)) - D(x)))],     f = softplus

D raises the margin by which real samples out-score fake ones; G raises the margin of its samples over the
real ones. Pairing the two removes the mode dropping that the unpaired cross-entropy allows: the loss
landscape has no local minimum where G covers some modes and ignores others (R3GAN, section 2.1). G's loss
needs the real minibatch, which the step contract gives both players (``Step.real``). R3GAN pairs the loss
with the R1 and R2 penalties; ``train.r1_gamma`` adds R1 (``--preset rpgan``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganforge import stats
from ganforge.gans.base import GAN, Step


class RpGAN(GAN):
    """softplus(-(D(x) - D(G(z)))) for D and softplus(-(D(G(z)) - D(x))) for G, on pairs (x_i, G(z_i))."""

    def d_loss(self, step: Step) -> torch.Tensor:
        real_scores = self.discriminate(step.real, step.labels, step.D_weights)
        fake_scores = self.discriminate(step.fake, step.labels, step.D_weights)
        # (1) D minimises E[softplus(-(D(x) - D(G(z))))]: real samples out-score their paired fakes
        loss_D = F.softplus(-(real_scores - fake_scores)).mean()
        stats.report("D(x)", real_scores)  # mean raw scores: only the gap between them matters
        stats.report("D(G(z))", fake_scores)
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        real_scores = self.discriminate(step.real, step.labels, step.D_weights)
        fake_scores = self.discriminate(step.fake, step.labels, step.D_weights)
        # (2) G minimises E[softplus(-(D(G(z)) - D(x)))]: its samples out-score the real ones they are paired with
        loss_G = F.softplus(-(fake_scores - real_scores)).mean()
        stats.report("loss/G", loss_G)
        return loss_G
