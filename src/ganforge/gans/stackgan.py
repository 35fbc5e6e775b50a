"""StackGAN (Zhang et al. 2017) with the matching-aware discriminator of Reed et al. (2016).

D learns to tell three kinds of pair apart (Reed et al. 2016, Algorithm 1, "GAN-CLS"):

    loss_D = -log D(x, phi_t) - 1/2 [log(1 - D(x, phi_wrong)) + log(1 - D(G(z, c), phi_t))]

real image with its own caption; real image with another item's caption; generated image with the caption
it was made from. G fools D on its pictures with their captions and keeps the conditioning Gaussian near
N(0, I) (eq. 6 / 8):

    loss_G = -log D(G(z, c), phi_t) + lambda D_KL(N(mu(phi_t), Sigma(phi_t)) || N(0, I))

``train.loss`` picks the form of the adversarial terms (non-saturating by default; lsgan and hinge also fit).

With ``task.class_weight`` > 0, D also carries a class head on the image alone (TAC-GAN, Dash et al. 2017):
D learns to read the class of real images (cross-entropy against the class their caption names), and G's
loss adds the same cross-entropy on its pictures, weighted alike. The matching-aware term checks the text
as a whole; this one asks D to say *which* garment it sees, which the text's class word alone teaches slowly.
For a two-stage G (``models/stackgan.StackGenerator``) stage I trains first and stage II after it, each
against its own D; the real minibatch is brought to the side of the stage playing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from ganforge import stats
from ganforge.data.captions import TextBatch
from ganforge.errors import GanforgeError
from ganforge.gans import adversarial
from ganforge.gans.base import GAN, Step
from ganforge.models.stackgan import C_DIM, StackGenerator, kl_divergence

if TYPE_CHECKING:
    from ganforge.config import Config


class StackGAN(GAN):
    """G(z, text) with conditioning augmentation; D(x, phi_t) matching-aware."""

    def __init__(self, G: nn.Module, D: nn.Module, z_dim: int, form: str, kl_weight: float,
                 r1_gamma: float = 0.0, class_weight: float = 0.0) -> None:  # fmt: skip
        super().__init__(G, D, z_dim=z_dim, r1_gamma=r1_gamma)
        self.form = form
        self.kl_weight = kl_weight
        self.class_weight = class_weight
        self._cache: list[tuple[torch.Tensor, torch.Tensor]] = []  # the last few ids and their embeddings

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> StackGAN:
        return cls(G, D, cfg.model.z_dim + C_DIM, cfg.train.loss, cfg.task.kl_weight, cfg.train.r1_gamma,
                   cfg.task.class_weight)  # fmt: skip

    # -- text
    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        """phi_t of character ids (N, L), from G's frozen encoder; the last call's result is reused, since a
        step asks for the same captions in G's forward and in D's."""
        for seen, embedding in self._cache:
            if seen is ids:
                return embedding
        embedding = self.G.embed(ids)
        self._cache = [*self._cache[-2:], (ids, embedding)]
        return embedding

    def generate(self, z: torch.Tensor, labels: Any = None) -> torch.Tensor:
        """G(z, text) for the captions of ``labels`` (a ``TextBatch``)."""
        return self.G(z, need_text(labels).text)

    def discriminate(self, x: torch.Tensor, labels: Any = None, weights: dict[str, torch.Tensor] | None = None,
                     text: torch.Tensor | None = None) -> torch.Tensor:  # fmt: skip
        """D(x, phi_t) for the batch's own captions, or for ``text`` (character ids) when given."""
        embedding = self.embed(need_text(labels).text if text is None else text)
        if weights is not None:
            return torch.func.functional_call(self.D, weights, (x, embedding))
        return self.D(x, embedding)

    def judge(self, x: torch.Tensor, text: TextBatch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """D's logits for ``x`` with the batch's own captions, and its class logits (None without a class head)."""
        if not self.class_weight:
            return self.discriminate(x, text), None
        return self.D(x, self.embed(text.text), with_classes=True)

    def class_loss(self, classes: torch.Tensor | None, text: TextBatch, name: str) -> torch.Tensor:
        """Cross-entropy of the class head against the class each caption names (0 without a head)."""
        if classes is None:
            return torch.zeros((), device=text.text.device)
        labels = text.attributes[:, 0]
        known = labels >= 0
        loss = F.cross_entropy(classes[known], labels[known]) if bool(known.any()) else classes.sum() * 0
        stats.report(name, loss)
        return self.class_weight * loss

    def real_for(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """The real minibatch at the side of the stage playing (stage I reads 32 px)."""
        if real.shape[-1] == fake.shape[-1]:
            return real
        return F.interpolate(real, size=fake.shape[-2:], mode="bilinear", align_corners=False, antialias=True)

    # -- the losses
    def d_loss(self, step: Step) -> torch.Tensor:
        text = need_text(step.labels)
        real = self.real_for(step.real, step.fake)
        # (1) D: real image + matching text is real; real image + mismatching text and fake + matching text are fake
        real_logits, real_classes = self.judge(real, text)
        wrong_logits = self.discriminate(real, text, text=text.mismatched)
        fake_logits = self.discriminate(step.fake, text)
        loss_D_real, loss_D_fake = adversarial.d_terms(self.form, real_logits, fake_logits)
        _, loss_D_wrong = adversarial.d_terms(self.form, real_logits, wrong_logits)
        stats.report("loss/D/real", loss_D_real)
        stats.report("loss/D/fake", loss_D_fake)
        stats.report("loss/D/wrong", loss_D_wrong)
        adversarial.report_d(self.form, real_logits, fake_logits)
        loss_D_class = self.class_loss(real_classes, text, "loss/D/class")
        loss_D = loss_D_real + 0.5 * (loss_D_fake + loss_D_wrong) + loss_D_class
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        text = need_text(step.labels)
        # (2) G: fool D with its pictures and their captions, and keep CA's Gaussian near N(0, I)
        fake_logits, fake_classes = self.judge(step.fake, text)
        loss_G_adv = adversarial.g_term(self.form, fake_logits)
        stats.report("loss/G/adv", loss_G_adv)
        G = self.G
        stage = G.stage1 if isinstance(G, StackGenerator) and G.in_stage1 else G
        _, mu, logvar = stage.condition(self.embed(text.text), step.z[:, stage.z_dim :])
        loss_G_kl = kl_divergence(mu, logvar)
        stats.report("loss/G/kl", loss_G_kl)
        loss_G = loss_G_adv + self.kl_weight * loss_G_kl + self.class_loss(fake_classes, text, "loss/G/class")
        stats.report("loss/G", loss_G)
        return loss_G

    def g_objective(self, step: Step) -> torch.Tensor:
        """G's loss; a two-stage G counts down the stage-I updates still to go (stage II starts after them)."""
        loss_G = super().g_objective(step)
        if isinstance(self.G, StackGenerator) and self.G.in_stage1:
            self.G.stage1_left -= 1
        return loss_G


def need_text(labels: object) -> TextBatch:
    """The captions a text-to-image G reads; a plain latent call (sample, interpolate) is a user error."""
    if not isinstance(labels, TextBatch):
        raise GanforgeError("a text2image run draws pictures of captions; it has no caption-free samples",
                            'use \'ganforge generate RUN --text "a small red sneaker" --out OUT.png\'')  # fmt: skip
    return labels
