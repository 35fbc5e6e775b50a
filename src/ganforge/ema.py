"""G_ema: an exponential moving average of G's weights, which sampling uses when the loop keeps one.

After every G step, G_ema <- decay * G_ema + (1 - decay) * G for each weight, and G_ema's buffers (batch-norm
statistics) are copied from G. Averaging the iterates smooths the oscillation of G around the game's
equilibrium, so G_ema's samples are usually better than the last G's (Yazici et al. 2019; Karras et al.
2018 keep one with decay 0.999 and show it in every figure). It never feeds back into training.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


def make_ema(G: nn.Module) -> nn.Module:
    """A copy of G, starting at G's weights, that no optimiser sees; kept in eval mode."""
    G_ema = copy.deepcopy(G).eval()
    G_ema.requires_grad_(False)
    return G_ema


def ema_decay(decay: float, step: int, rampup: float | None) -> float:
    """The decay of the update after G step ``step`` (0-based): ``decay``, or, with a ramp-up, at most the decay
    whose half-life is ``rampup`` times the steps taken so far (StyleGAN2-ADA's ``ema_rampup``, Karras et al.
    2020), so that a young G_ema forgets the untrained G within a few percent of the run."""
    if not rampup:
        return decay
    return min(decay, 0.5 ** (1.0 / (rampup * (step + 1))))


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, decay: float) -> None:
    """G_ema <- decay * G_ema + (1 - decay) * G for every parameter; buffers are copied as they are."""
    for average, current in zip(G_ema.parameters(), G.parameters(), strict=True):
        average.mul_(decay).add_(current, alpha=1 - decay)
    for average, current in zip(G_ema.buffers(), G.buffers(), strict=True):
        average.copy_(current)
