"""Loss terms shared by GAN variants, as pure functions of D's logits.

Every form works on logits through ``softplus``, never on probabilities through ``log``: with
sigmoid(l) = D, we have log D = -softplus(-l) and log(1 - D) = -softplus(l), both finite for any l,
so a saturated discriminator gives no log(0) and no NaN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
