"""InfoGAN (Chen, Duan, Houthooft, Schulman, Sutskever and Abbeel 2016): latent codes G must keep legible.

The latent is [z, c]: noise z from the prior, and codes c that G should make visible in its samples, here
one categorical code (``model.info_categorical`` categories, one-hot) and ``model.info_continuous`` codes
drawn from U[-1, 1]. InfoGAN maximises the mutual information I(c; G(z, c)) through its variational lower
bound (eq. 4-5)

    L_I(G, Q) = E_{c ~ p(c), x ~ G(z, c)}[log Q(c | x)] + H(c)  <=  I(c; G(z, c))

where Q is a recognition network sharing D's body (models/conditional.py). Both G and Q minimise
-lambda L_I beside whichever GAN loss is chosen (eq. 6): -log Q(c | x) is the cross-entropy for the
categorical code and, with Q's Gaussian of fixed unit variance, 1/2 ||c - mu(x)||^2 (plus a constant) for
the continuous ones. The weights are lambda = 1 for the categorical code (sec. 7) and, by default, 0.1 for
the continuous codes: the paper's appendix uses a smaller lambda for continuous codes so that the term stays
on the scale of the GAN objective (``train.info_lambda``, ``train.info_lambda_continuous``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

from ganforge import stats
from ganforge.models.codes import LatentCodes

if TYPE_CHECKING:
    from ganforge.config import Config
    from ganforge.gans.base import GAN, Step


def information_loss(
    q_out: torch.Tensor, latent: torch.Tensor, codes: LatentCodes
) -> tuple[torch.Tensor, torch.Tensor]:
    """-E[log Q(c | x)] split into (categorical, continuous) parts, up to the constant H(c).

    ``q_out`` is Q's output (N, q_outputs) for samples made from ``latent``. The categorical part is the
    cross-entropy of Q's logits against the code drawn; the continuous part is the negative log-likelihood
    of the codes under N(mu(x), I), 1/2 ||c - mu(x)||^2, dropping log(2 pi) / 2 per code.
    """
    _, one_hot, continuous = codes.split(latent)
    zero = q_out.new_zeros(())
    categorical_loss = F.cross_entropy(q_out[:, : codes.categorical], one_hot.argmax(1)) if codes.categorical else zero
    mu = q_out[:, codes.categorical :]
    continuous_loss = 0.5 * (continuous - mu).pow(2).sum(1).mean() if codes.continuous else zero
    return categorical_loss, continuous_loss


class MutualInformation:
    """The InfoGAN term, added to G's loss and to D's (whose module holds Q): lambda * -L_I."""

    def __init__(self, codes: LatentCodes, lambda_categorical: float, lambda_continuous: float) -> None:
        self.codes = codes
        self.lambda_categorical = lambda_categorical
        self.lambda_continuous = lambda_continuous

    @classmethod
    def from_config(cls, cfg: Config) -> MutualInformation:
        return cls(LatentCodes.from_config(cfg.model), cfg.train.info_lambda, cfg.train.info_lambda_continuous)

    def d_term(self, gan: GAN, step: Step) -> torch.Tensor:
        """Q's share: recover the codes of the step's samples (G held fixed)."""
        return self._term(gan, step.fake, step.z, "Q")

    def g_term(self, gan: GAN, step: Step) -> torch.Tensor:
        """G's share: make samples whose codes Q recovers (Q held fixed by the loop)."""
        return self._term(gan, step.fake, step.z, "G")

    def _term(self, gan: GAN, fake: torch.Tensor, z: torch.Tensor, player: str) -> torch.Tensor:
        q_out = gan.D_heads.q(fake)
        categorical_loss, continuous_loss = information_loss(q_out, z, self.codes)
        # (3) both players minimise -lambda L_I (Chen et al. 2016, eq. 6), one lambda per kind of code
        loss = self.lambda_categorical * categorical_loss + self.lambda_continuous * continuous_loss
        stats.report(f"loss/{player}/info", loss)
        if player == "Q" and self.codes.categorical:
            _, one_hot, _ = self.codes.split(z)
            correct = q_out[:, : self.codes.categorical].argmax(1) == one_hot.argmax(1)
            stats.report("info/accuracy", correct.float())  # how often Q recovers the category G was given
        return loss
