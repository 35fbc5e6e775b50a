"""AC-GAN (Odena, Olah and Shlens 2017): D also classifies, and both players add the class log-likelihood.

G draws samples of a given class, X_fake = G(c, z); D gives both P(S | X), real or fake, and P(C | X), the
class, from one body with two heads (models/conditional.py). With

    L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
    L_C = E[log P(C = c | X_real)] + E[log P(C = c | X_fake)]

D maximises L_S + L_C and G maximises L_C - L_S (sec. 3). Here L_S is whichever ``--loss`` is chosen and
L_C enters both players as a cross-entropy with weight 1, the paper's, so AC-GAN composes with every loss.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from ganforge import stats

if TYPE_CHECKING:
    from ganforge.gans.base import GAN, Step


class ClassLikelihood:
    """The AC-GAN term: -L_C for D (real and generated samples) and for G (its samples)."""

    def d_term(self, gan: GAN, step: Step) -> torch.Tensor:
        labels = step.labels
        real_logits = gan.D_heads.classify(step.real)
        # (3) D maximises log P(C = c | X_real) + log P(C = c | X_fake); the step's fakes, held fixed
        loss_real = F.cross_entropy(real_logits, labels)
        loss_fake = F.cross_entropy(gan.D_heads.classify(step.fake), labels)
        stats.report("loss/D/class_real", loss_real)
        stats.report("loss/D/class_fake", loss_fake)
        stats.report("D/class_accuracy", (real_logits.argmax(1) == labels).float())  # on real images
        return loss_real + loss_fake

    def g_term(self, gan: GAN, step: Step) -> torch.Tensor:
        # (4) G maximises log P(C = c | X_fake): the step's samples must look like the class asked for
        loss = F.cross_entropy(gan.D_heads.classify(step.fake), step.labels)
        stats.report("loss/G/class", loss)
        return loss
