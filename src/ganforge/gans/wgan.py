"""The Wasserstein GAN of Arjovsky, Chintala and Bottou (2017).

D becomes a critic with unbounded scores (no sigmoid) and estimates the Wasserstein-1 distance

    W(P_r, P_g) = max_{||D||_L <= 1}  E_x[D(x)] - E_z[D(G(z))]

which G then lowers by raising E_z[D(G(z))]. The Lipschitz constraint is enforced crudely, by clipping
every weight of D to [-c, c] after each critic update (Algorithm 1, with c = 0.01).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from ganforge import losses, stats
from ganforge.errors import GanforgeError
from ganforge.gans.base import GAN, Step

if TYPE_CHECKING:
    from ganforge.config import Config

DEFAULT_CLIP = 0.01  # c in Algorithm 1


class WGAN(GAN):
    """Critic loss E[D(G(z))] - E[D(x)], generator loss -E[D(G(z))], weights clipped to [-clip, clip]."""

    settings = {"weight_clip": DEFAULT_CLIP}

    @classmethod
    def check_not_chosen(cls, cfg: Config) -> None:
        if cfg.train.weight_clip is not None:
            raise GanforgeError(
                f"train.weight_clip={cfg.train.weight_clip} clips D's weights, which only --loss wgan does "
                f"(not {cfg.train.loss})",
                "WGAN-GP replaces clipping with its gradient penalty: leave train.weight_clip unset",
            )

    def __init__(
        self,
        G: nn.Module,
        D: nn.Module,
        z_dim: int,
        prior: str = "normal",
        r1_gamma: float = 0.0,
        clip: float = DEFAULT_CLIP,
    ) -> None:
        super().__init__(G, D, z_dim, prior, r1_gamma)
        self.clip = clip

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> GAN:
        clip = DEFAULT_CLIP if cfg.train.weight_clip is None else cfg.train.weight_clip
        return cls(G, D, cfg.model.z_dim, cfg.model.prior, r1_gamma=cfg.train.r1_gamma, clip=clip)

    def d_loss(self, step: Step) -> torch.Tensor:
        real_scores = self.discriminate(step.real, step.labels, step.D_weights)
        fake_scores = self.discriminate(step.fake, step.labels, step.D_weights)
        # (1) the critic maximises E[D(x)] - E[D(G(z))], its estimate of W(P_r, P_g)
        loss_D = losses.wasserstein_d(real_scores, fake_scores)
        stats.report("D(x)", real_scores)  # mean raw critic scores, not probabilities
        stats.report("D(G(z))", fake_scores)
        stats.report("loss/D", loss_D)  # = -(the Wasserstein estimate)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        # (2) G minimises -E[D(G(z))]
        loss_G = losses.wasserstein_g(self.discriminate(step.fake, step.labels, step.D_weights))
        stats.report("loss/G", loss_G)
        return loss_G

    def after_d_step(self) -> None:
        # Clip every critic weight to [-c, c]: a compact parameter space makes D K-Lipschitz for some K.
        with torch.no_grad():
            for parameter in self.D.parameters():
                parameter.clamp_(-self.clip, self.clip)
