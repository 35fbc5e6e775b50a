"""InfoGAN's latent codes (Chen et al. 2016): their layout at the end of the latent, shared by the networks
that read them (``models/conditional.py``) and the mutual-information term (``gans/infogan.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    from ganforge.config import ModelConfig


@dataclass(frozen=True)
class LatentCodes:
    """The layout of InfoGAN's codes at the end of the latent: [z | one-hot categorical | continuous]."""

    categorical: int = 0  # categories of the one categorical code; 0: none
    continuous: int = 0  # how many continuous codes

    @classmethod
    def from_config(cls, cfg: ModelConfig) -> LatentCodes:
        return cls(cfg.info_categorical, cfg.info_continuous)

    @property
    def size(self) -> int:
        """Columns the codes add to the latent."""
        return self.categorical + self.continuous

    @property
    def q_outputs(self) -> int:
        """Q's outputs: one logit per category, one mean per continuous code (the variance is fixed to 1)."""
        return self.categorical + self.continuous

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """c ~ p(c): (n, size), a uniform category one-hot, then U[-1, 1] for each continuous code."""
        device = generator.device
        categories = torch.randint(max(self.categorical, 1), (n,), generator=generator, device=device)
        one_hot = F.one_hot(categories, max(self.categorical, 1))[:, : self.categorical].float()
        continuous = torch.rand(n, self.continuous, generator=generator, device=device) * 2 - 1
        return torch.cat([one_hot, continuous], dim=1)

    def split(self, latent: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """latent (N, z_dim + size) -> z (N, z_dim), one-hot category (N, categorical), codes (N, continuous)."""
        z_dim = latent.shape[1] - self.size
        return latent[:, :z_dim], latent[:, z_dim : z_dim + self.categorical], latent[:, z_dim + self.categorical :]

    def with_codes(
        self,
        latent: torch.Tensor,
        category: int | None = None,
        continuous: dict[int, float | torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """A copy of ``latent`` (N, z_dim + size) with the categorical code set to ``category`` and continuous
        code i to ``continuous[i]`` (a number, or (N,) values, one per row); the rest is kept. The building
        block of a traversal."""
        latent = latent.clone()
        z_dim = latent.shape[1] - self.size
        if category is not None:
            latent[:, z_dim : z_dim + self.categorical] = 0
            latent[:, z_dim + category] = 1
        for index, value in (continuous or {}).items():
            latent[:, z_dim + self.categorical + index] = value
        return latent
