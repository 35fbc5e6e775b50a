"""Unrolled GAN (Metz, Poole, Pfau and Sohl-Dickstein, 2017): G plays against D's future.

G's loss is taken not against the current D, with weights theta_D, but against D advanced K steps
on its own loss (eq. 5-7),

    theta_D^0 = theta_D,    theta_D^{k+1} = theta_D^k - eta * d loss_D(theta_G, theta_D^k) / d theta_D^k
    f_K(theta_G, theta_D) = loss_G(theta_G, theta_D^K(theta_G, theta_D))

and G's gradient flows back through the K steps (``create_graph=True``): the second term of eq. 7, by
which G sees how D would react to its move, is what discourages collapsing onto the mode D guards least.

The unrolled steps run on copies of D's weights through ``torch.func.functional_call``; D's own weights,
buffers and optimiser are untouched, so the loop's D update is as without unrolling. The unrolled steps
are plain gradient-descent steps of size ``train.unroll_lr`` (eq. 6; default: D's learning rate) on D's
whole objective (R1 included, weight clipping not), on the minibatch of the loop's last D step and the
G step's own noise, with the fakes generated once with G's graph attached.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch

from ganforge import stats

if TYPE_CHECKING:
    from ganforge.gans.base import GAN


def unrolled_g_loss(gan: GAN, z: torch.Tensor, real: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """G's loss against D advanced ``gan.unroll`` steps, differentiable through the unrolling (eq. 7)."""
    fake = gan.generate(z, labels)  # with G's graph: the unrolled D steps depend on theta_G
    with _fakes_from(gan, fake):
        gan.D_params = unrolled_parameters(gan, real, z, labels)
        try:
            return gan.g_loss(z, labels)
        finally:
            gan.D_params = None


def unrolled_parameters(gan: GAN, real: torch.Tensor, z: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """D's parameters after ``gan.unroll`` gradient steps on its objective (and copies of its buffers)."""
    D = gan.D
    params = {name: p.detach().requires_grad_(True) for name, p in D.named_parameters()}
    buffers = {name: b.clone() for name, b in D.named_buffers()}  # batch-norm statistics move on the copies
    for _ in range(gan.unroll):
        gan.D_params = {**params, **buffers}
        try:
            with stats.paused():  # the unrolled losses are not D's training statistics
                loss_D = gan.d_objective(real, z, labels)
        finally:
            gan.D_params = None
        grads = torch.autograd.grad(loss_D, list(params.values()), create_graph=True)
        # theta_D^{k+1} = theta_D^k - eta * grad (eq. 6, written for a D that descends its loss)
        params = {name: p - gan.unroll_lr * g for (name, p), g in zip(params.items(), grads, strict=True)}
    return {**params, **buffers}


@contextmanager
def _fakes_from(gan: GAN, fake: torch.Tensor) -> Iterator[None]:
    """Make ``gan.generate`` return ``fake`` (computed once, with G's graph) inside the block.

    Variants generate D's fakes under ``torch.no_grad()`` because D's own step needs no gradient through G;
    the unrolled steps do (that dependence is the point of eq. 7), and a tensor made outside the
    ``no_grad`` block keeps its graph. Drawing the fakes once also keeps them the same across the K steps.
    """
    gan.generate = lambda z, labels=None: fake  # an instance attribute, shadowing the method
    try:
        yield
    finally:
        del gan.generate
