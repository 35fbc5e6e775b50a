"""Unrolled GAN (Metz, Poole, Pfau and Sohl-Dickstein, 2017): G plays against D's future.

G's loss is taken not against the current D, with weights theta_D, but against D advanced K steps
on its own loss (eq. 5-7),

    theta_D^0 = theta_D,    theta_D^{k+1} = theta_D^k - eta * d loss_D(theta_G, theta_D^k) / d theta_D^k
    f_K(theta_G, theta_D) = loss_G(theta_G, theta_D^K(theta_G, theta_D))

and G's gradient flows back through the K steps (``create_graph=True``): the second term of eq. 7, by
which G sees how D would react to its move, is what discourages collapsing onto the mode D guards least.

The unrolled steps run on copies of D's weights, which a ``Step`` carries as its ``D_weights``: every loss
asks D through ``GAN.discriminate(x, labels, step.D_weights)``, so the same ``d_objective`` and ``g_loss``
run against the unrolled D. D's own weights, buffers and optimiser are untouched, so the loop's D update
is as without unrolling. The unrolled steps are plain gradient-descent steps of size ``train.unroll_lr``
(eq. 6; default: D's learning rate) on D's whole objective (R1 included, weight clipping not), on the real
minibatch of the loop's last D step and the G step's own fakes, which carry G's graph (the unrolled D
depends on theta_G: that dependence is the point of eq. 7) and stay the same across the K steps.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import torch

from ganforge import stats

if TYPE_CHECKING:
    from ganforge.gans.base import GAN, Step


def unrolled_weights(gan: GAN, step: Step) -> dict[str, torch.Tensor]:
    """D's weights after ``gan.unroll`` gradient steps on its objective for ``step`` (whose fakes keep G's
    graph), differentiable with respect to G's weights; and copies of D's buffers."""
    D = gan.D
    params = {name: p.detach().requires_grad_(True) for name, p in D.named_parameters()}
    buffers = {name: b.clone() for name, b in D.named_buffers()}  # batch-norm statistics move on the copies
    for _ in range(gan.unroll):
        with stats.paused():  # the unrolled losses are not D's training statistics
            loss_D = gan.d_objective(dataclasses.replace(step, D_weights={**params, **buffers}))
        grads = torch.autograd.grad(loss_D, list(params.values()), create_graph=True)
        # theta_D^{k+1} = theta_D^k - eta * grad (eq. 6, written for a D that descends its loss)
        params = {name: p - gan.unroll_lr * g for (name, p), g in zip(params.items(), grads, strict=True)}
    return {**params, **buffers}
