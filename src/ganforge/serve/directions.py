"""Principal directions of G's latent space, found as GANSpace does (Härkönen et al. 2020, section 2).

GANSpace samples many latents z, records G's activations y = f_1(z) at its first layer, and runs PCA on
them: the principal components u_k are the directions along which G's first features vary most. For a
network whose latent feeds that layer directly (BigGAN in the paper; every ganforge G), the components are
carried back to latent space by linear regression: with x_j = U^T (y_j - mu) the PCA coordinates of
sample j, solve min_V sum_j ||V x_j - z_j||^2. Column k of V is then the latent direction that moves the
k-th coordinate by one unit; an edit is z' = z + sum_k alpha_k sigma_k v_k, with sigma_k the spread of
coordinate k, so alpha is measured in standard deviations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

PCA_SAMPLES = 2000  # latents drawn to estimate the components: ample for the first layer's few hundred units
PCA_SEED = 20200406  # fixed, so a checkpoint always gives the same directions (the GANSpace preprint's date)
FIRST_LAYERS = (nn.Linear, nn.ConvTranspose2d, nn.Conv2d)


@dataclass
class Directions:
    """The top principal directions in latent space, (K, z_dim), scaled to one standard deviation each."""

    vectors: Tensor  # (K, z_dim): sigma_k v_k
    explained: list[float]  # the fraction of the first layer's variance each component explains

    def apply(self, z: Tensor, alphas: list[float]) -> Tensor:
        """z + sum_k alpha_k sigma_k v_k for latents z (N, z_dim); alphas beyond K are an error upstream."""
        shift = torch.as_tensor(alphas, dtype=z.dtype) @ self.vectors[: len(alphas)].to(z.dtype)  # (z_dim,)
        return z + shift.to(z.device)


def first_layer(G: nn.Module) -> nn.Module:
    """The first linear or convolutional layer of G (in definition order): where GANSpace takes its PCA."""
    for module in G.modules():
        if isinstance(module, FIRST_LAYERS):
            return module
    raise ValueError(f"{type(G).__name__} has no linear or convolutional layer")


@torch.no_grad()
def principal_directions(generate: Callable[[Tensor], Any], G: nn.Module, z: Tensor, count: int) -> Directions:
    """The top ``count`` GANSpace directions, from activations of G's first layer on latents ``z`` (N, z_dim).

    ``generate(z)`` runs G (in eval mode) while a forward hook records the first layer's output.
    """
    recorded: list[Tensor] = []
    hook = first_layer(G).register_forward_hook(lambda module, inputs, output: recorded.append(output.detach()))
    try:
        generate(z)
    finally:
        hook.remove()
    y = torch.cat([batch.flatten(1) for batch in recorded]).double().cpu()  # (N, features)
    y = y - y.mean(dim=0)
    count = min(count, *y.shape)
    _, singular, right = torch.linalg.svd(y, full_matrices=False)  # y = U S V^T; the components are V's rows
    components = right[:count]  # (K, features)
    x = y @ components.T  # (N, K): PCA coordinates
    # Regress z on the coordinates (with an intercept, since z need not be centred): z ~ x V + b
    design = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], dim=1)
    solution = torch.linalg.lstsq(design, z.double().cpu()).solution  # (K + 1, z_dim)
    sigma = x.std(dim=0)  # (K,)
    vectors = solution[:count] * sigma[:, None]
    # A component's sign is arbitrary; fix it so the same checkpoint always shows the same slider direction.
    signs = torch.where(vectors.sum(dim=1) < 0, -1.0, 1.0).to(vectors.dtype)
    explained = (singular[:count] ** 2 / (singular**2).sum()).tolist()
    return Directions((vectors * signs[:, None]).float(), [round(value, 4) for value in explained])
