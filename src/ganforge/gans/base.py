"""The GAN interface the training loop drives: latents, generation and the two losses.

A variant subclasses ``GAN`` and overrides ``d_loss`` / ``g_loss`` (and maybe ``sample_latent`` or
``after_d_step``). Variants compute losses and report statistics; they never touch optimisers,
devices or gradients: the loop owns ``zero_grad``, ``backward`` and ``step``.
"""

from __future__ import annotations

import abc

import torch
from torch import nn


class GAN(abc.ABC):
    """G, D and the prior p_z over latents z."""

    def __init__(self, G: nn.Module, D: nn.Module, z_dim: int, prior: str = "normal") -> None:
        self.G = G
        self.D = D
        self.z_dim = z_dim
        self.prior = prior

    def sample_latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """Draw n latents z ~ p_z, (n, z_dim), on the generator's device."""
        device = generator.device
        if self.prior == "uniform":  # U[-1, 1]^z_dim
            return torch.rand(n, self.z_dim, generator=generator, device=device) * 2 - 1
        return torch.randn(n, self.z_dim, generator=generator, device=device)  # N(0, I)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """x = G(z)."""
        return self.G(z)

    @abc.abstractmethod
    def d_loss(self, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The loss D minimises on a real minibatch and a noise minibatch."""

    @abc.abstractmethod
    def g_loss(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The loss G minimises on a noise minibatch."""

    def after_d_step(self) -> None:  # noqa: B027 - a hook: most variants have nothing to do here
        """Called after each D update (weight clipping in WGAN, for example)."""
