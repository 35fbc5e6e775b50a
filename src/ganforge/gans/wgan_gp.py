"""WGAN-GP, the Wasserstein GAN with a gradient penalty (Gulrajani et al. 2017).

The critic and generator losses are WGAN's, but instead of clipping weights the critic pays

    lambda * E[(||grad_x_hat D(x_hat)||_2 - 1)^2],   x_hat = eps x + (1 - eps) G(z),  eps ~ U[0, 1]

which pushes D's gradient norm towards 1 along lines between real and generated samples, where the
optimal critic of the Wasserstein distance has unit gradient norm (Algorithm 1, lambda = 10). The penalty
is taken per sample, so D must not use batch norm (the paper's critic has none; layer norm is fine).
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

DEFAULT_LAMBDA = 10.0


class WGANGP(GAN):
    """WGAN's losses plus lambda times the gradient penalty on random interpolates; no clipping."""

    settings = {"gp_lambda": DEFAULT_LAMBDA}

    @classmethod
    def check_config(cls, cfg: Config) -> None:
        if cfg.model.d_norm == "batch":
            raise GanforgeError(
                "--loss wgan-gp penalises D's gradient per sample, which batch norm in D mixes across the batch",
                "set --set model.d_norm=none (or spectral), or use --preset wgan-gp",
            )

    @classmethod
    def check_not_chosen(cls, cfg: Config) -> None:
        if cfg.train.gp_lambda is not None:
            raise GanforgeError(
                f"train.gp_lambda={cfg.train.gp_lambda} is WGAN-GP's gradient penalty, but the loss is "
                f"{cfg.train.loss}" + (", which clips weights instead" if cfg.train.loss == "wgan" else ""),
                "use --loss wgan-gp for the penalty, or train.r1_gamma for a penalty that fits any loss",
            )

    def __init__(
        self,
        G: nn.Module,
        D: nn.Module,
        z_dim: int,
        prior: str = "normal",
        r1_gamma: float = 0.0,
        gp_lambda: float = DEFAULT_LAMBDA,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__(G, D, z_dim, prior, r1_gamma)
        self.gp_lambda = gp_lambda
        self.generator = generator  # draws the interpolation weights eps

    @classmethod
    def from_config(cls, cfg: Config, G: nn.Module, D: nn.Module) -> GAN:
        gp_lambda = DEFAULT_LAMBDA if cfg.train.gp_lambda is None else cfg.train.gp_lambda
        device = next(D.parameters()).device
        generator = torch.Generator(device).manual_seed(cfg.train.seed + 5)  # its own seeded stream
        return cls(G, D, cfg.model.z_dim, cfg.model.prior, cfg.train.r1_gamma, gp_lambda, generator)

    def random_streams(self) -> dict[str, torch.Generator]:
        streams = super().random_streams()
        if self.generator is not None:
            streams["gp"] = self.generator
        return streams

    def d_loss(self, step: Step) -> torch.Tensor:
        real_scores = self.discriminate(step.real, step.labels, step.D_weights)
        fake_scores = self.discriminate(step.fake, step.labels, step.D_weights)
        # (1) the critic maximises E[D(x)] - E[D(G(z))] and keeps ||grad D|| near 1 between the two
        loss_wasserstein = losses.wasserstein_d(real_scores, fake_scores)
        critic = lambda x: self.discriminate(x, step.labels, step.D_weights)  # noqa: E731 - D of its input alone
        penalty = self.gp_lambda * losses.gradient_penalty(critic, step.real, step.fake, self.generator)
        stats.report("D(x)", real_scores)  # mean raw critic scores, not probabilities
        stats.report("D(G(z))", fake_scores)
        stats.report("loss/D/wasserstein", loss_wasserstein)
        stats.report("loss/D/gp", penalty)
        loss_D = loss_wasserstein + penalty
        stats.report("loss/D", loss_D)
        return loss_D

    def g_loss(self, step: Step) -> torch.Tensor:
        # (2) G minimises -E[D(G(z))]
        loss_G = losses.wasserstein_g(self.discriminate(step.fake, step.labels, step.D_weights))
        stats.report("loss/G", loss_G)
        return loss_G
