"""CycleGAN (Zhu, Park, Isola and Efros 2017) and DiscoGAN (Kim, Cha, Kim, Lee and Kim 2017): unpaired
translation between domains A and B with two generators and two discriminators, eq. 3 of CycleGAN:

    L(G, F, D_A, D_B) = L_GAN(G, D_B, A, B) + L_GAN(F, D_A, B, A) + lambda_cyc L_cyc(G, F) [+ lambda_id L_id]

    L_cyc = E_a[||F(G(a)) - a||_1] + E_b[||G(F(b)) - b||_1]      (lambda_cyc = 10)
    L_id  = E_b[||G(b) - b||_1] + E_a[||F(a) - a||_1]            (lambda_id = 0.5 lambda_cyc, section 5.2)

G: A -> B and F: B -> A live in one ``CycleGenerators`` module and D_A, D_B in one ``CycleDiscriminators``,
so the loop's two optimisers cover all four networks. CycleGAN's adversarial form is least squares;
DiscoGAN is the same game with the cross-entropy form and no identity term (``--preset discogan``).
The paper's buffer of 50 past fakes for D is left out: short CPU runs gain little from it.
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


class CycleGAN(GAN):
    """Two translators trained so each direction fools its D and the round trip returns the input."""

    def __init__(
        self, G: nn.Module, D: nn.Module, form: str, cycle_weight: float, identity_weight: float, r1_gamma: float = 0.0
    ) -> None:
        super().__init__(G, D, z_dim=0, r1_gamma=r1_gamma)
        self.form = form
        self.cycle_weight = cycle_weight
        self.identity_weight = identity_weight

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> CycleGAN:
        task = cfg.task
        return cls(G, D, cfg.train.loss, task.cycle_weight, task.identity_weight, r1_gamma=cfg.train.r1_gamma)

    def generate(self, z: torch.Tensor, labels: Pair | None = None) -> torch.Tensor:
        """G(a): the images of A in ``labels.source`` translated to B."""
        return self.G(adversarial.need_pair(labels, "cyclegan").source)

    def discriminate(self, x: torch.Tensor, labels: Pair | None = None, weights: dict | None = None) -> torch.Tensor:
        """D_B(x): is x a real image of B? (D_A is asked directly in the losses; tasks refuse unrolling.)"""
        return self.D(x)

    def d_loss(self, step: Step) -> torch.Tensor:
        labels = step.labels
        a, b, fake_b = labels.source, step.real, step.fake  # fake_b = G(a), the step's fakes
        with torch.no_grad():
            fake_a = self.G(b, reverse=True)
        # (1) D_B tells real b from G(a); D_A tells real a from F(b)
        real_b_logits, fake_b_logits = self.discriminate(b, labels), self.discriminate(fake_b, labels)
        real_a_logits, fake_a_logits = self.D(a, domain="a"), self.D(fake_a, domain="a")
        loss_D_B_real, loss_D_B_fake = adversarial.d_terms(self.form, real_b_logits, fake_b_logits)
        loss_D_A_real, loss_D_A_fake = adversarial.d_terms(self.form, real_a_logits, fake_a_logits)
        stats.report("loss/D/real", (loss_D_B_real + loss_D_A_real) / 2)
        stats.report("loss/D/fake", (loss_D_B_fake + loss_D_A_fake) / 2)
        adversarial.report_d(self.form, real_b_logits, fake_b_logits)
        # each D's objective is halved, as in the paper's training details
        loss_D = (loss_D_B_real + loss_D_B_fake + loss_D_A_real + loss_D_A_fake) / 2
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        labels = step.labels
        a, b, fake_b = labels.source, labels.target, step.fake  # fake_b = G(a), the step's fakes
        fake_a = self.G(b, reverse=True)
        # (2) both translators fool their D ...
        loss_G_adv = adversarial.g_term(self.form, self.discriminate(fake_b, labels))
        loss_G_adv = loss_G_adv + adversarial.g_term(self.form, self.D(fake_a, domain="a"))
        # ... and each round trip a -> G(a) -> F(G(a)) and b -> F(b) -> G(F(b)) comes back (eq. 2)
        loss_G_cycle = (self.G(fake_b, reverse=True) - a).abs().mean() + (self.G(fake_a) - b).abs().mean()
        loss_G = loss_G_adv + self.cycle_weight * loss_G_cycle
        if self.identity_weight > 0:  # an image already in the target domain should pass unchanged
            loss_G_identity = (self.G(b) - b).abs().mean() + (self.G(a, reverse=True) - a).abs().mean()
            stats.report("loss/G/identity", loss_G_identity)
            loss_G = loss_G + self.identity_weight * loss_G_identity
        stats.report("loss/G/adv", loss_G_adv)
        stats.report("loss/G/cycle", loss_G_cycle)
        stats.report("loss/G", loss_G)
        return loss_G
