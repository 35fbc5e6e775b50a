"""Loss terms shared by GAN variants, as pure functions of D's logits.

Every form works on logits through ``softplus``, never on probabilities through ``log``: with
sigmoid(l) = D, we have log D = -softplus(-l) and log(1 - D) = -softplus(l), both finite for any l,
so a saturated discriminator gives no log(0) and no NaN. The Wasserstein, hinge and least-squares forms
read D's outputs as raw scores, and the two penalties act on D's gradient with respect to its input.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from ganforge.engine import local_rows, world_size


def d_loss_real(real_logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)]: the real half of D's cross-entropy."""
    return F.softplus(-real_logits).mean()


def d_loss_fake(fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[log(1 - D(G(z)))]: the fake half of D's cross-entropy."""
    return F.softplus(fake_logits).mean()


def g_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """E[log(1 - D(G(z)))], which G minimises: the saturating form of the 2014 paper's value function."""
    return -F.softplus(fake_logits).mean()


def g_loss_non_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(G(z))]: G maximises log D(G(z)), strong gradients early on (Goodfellow et al. 2014, sec. 3)."""
    return F.softplus(-fake_logits).mean()


# -- Wasserstein, hinge and least-squares forms: D's outputs are raw scores, no sigmoid ----------------


def wasserstein_d(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """E[D(G(z))] - E[D(x)]: the critic maximises E[D(x)] - E[D(G(z))] (Arjovsky et al. 2017, eq. 3)."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_g(fake_scores: torch.Tensor) -> torch.Tensor:
    """-E[D(G(z))]: G raises the critic's score of its samples; also the hinge GAN's generator loss."""
    return -fake_scores.mean()


def hinge_d_real(real_scores: torch.Tensor) -> torch.Tensor:
    """E[relu(1 - D(x))]: real samples are pushed above the margin +1 (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1 - real_scores).mean()


def hinge_d_fake(fake_scores: torch.Tensor) -> torch.Tensor:
    """E[relu(1 + D(G(z)))]: generated samples are pushed below the margin -1."""
    return F.relu(1 + fake_scores).mean()


def least_squares_d_real(real_scores: torch.Tensor) -> torch.Tensor:
    """1/2 E[(D(x) - 1)^2]: real samples are regressed onto b = 1 (Mao et al. 2017, eq. 2 with a=0, b=1)."""
    return 0.5 * (real_scores - 1).pow(2).mean()


def least_squares_d_fake(fake_scores: torch.Tensor) -> torch.Tensor:
    """1/2 E[D(G(z))^2]: generated samples are regressed onto a = 0."""
    return 0.5 * fake_scores.pow(2).mean()


def least_squares_g(fake_scores: torch.Tensor) -> torch.Tensor:
    """1/2 E[(D(G(z)) - 1)^2]: G wants its samples scored c = 1, the real label."""
    return 0.5 * (fake_scores - 1).pow(2).mean()


# -- penalties on D's input gradient; create_graph=True so D's optimiser differentiates through them --


def gradient_penalty(
    critic: Callable[[torch.Tensor], torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """E[(||grad D(x_hat)||_2 - 1)^2] at x_hat = eps x + (1 - eps) G(z), eps ~ U[0, 1] per sample
    (Gulrajani et al. 2017, Algorithm 1). The caller multiplies it by lambda.

    Under torchrun ``real`` holds this process's rows: eps is drawn for the global batch and sliced
    like the batch, so every process's stream matches one process's (distributed.py)."""
    shape = (real.shape[0] * world_size(),) + (1,) * (real.dim() - 1)  # one eps per sample, broadcast over (C, H, W)
    eps = local_rows(torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype))
    x_hat = (eps * real.detach() + (1 - eps) * fake.detach()).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.flatten(1).norm(2, dim=1) - 1).pow(2).mean()


def r1_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """E[||grad_x D(x)||^2] on real data (Mescheder et al. 2018, eq. 9). The caller multiplies it by gamma / 2."""
    x = real.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()


def r2_penalty(critic: Callable[[torch.Tensor], torch.Tensor], fake: torch.Tensor) -> torch.Tensor:
    """E[||grad_x D(x)||^2] on generated data, zero-centred like R1 (Roth et al. 2017; R3GAN, Huang et al. 2024,
    eq. 4). The fakes are detached: the penalty shapes D alone. The caller multiplies it by gamma / 2."""
    x_fake = fake.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_fake).sum(), x_fake, create_graph=True)
    return grad.flatten(1).pow(2).sum(dim=1).mean()
