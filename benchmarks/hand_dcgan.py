"""The yardstick: a compact DCGAN written by hand in plain PyTorch, with nothing of ganforge in its training.

It is the script issue 15 describes, unchanged, so that every quality-per-second table can show what a short
hand-written script reaches on the same machine in the same time:

- z: 100-d standard normal.
- G: a linear layer to 128 x 7 x 7, batch norm, ReLU; two stride-2 4x4 transposed convolutions 128 -> 64 -> 1
  with batch norm and ReLU between them; tanh out.
- D: two stride-2 4x4 convolutions 1 -> 64 -> 128, LeakyReLU(0.2), batch norm on the second; a linear layer
  to one logit.
- The non-saturating loss on logits; Adam at 2e-4, betas (0.5, 0.999); batch 64. Each iteration: one D step
  on fresh fakes, then one G step on the same fakes. Samples come from G in eval mode.

Only the data (a float tensor of images in [-1, 1]) comes from the caller. ``train`` stops at a training-time
budget and calls ``measure`` at each checkpoint of time given, with the clock stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

Z_DIM = 100


class Generator(nn.Module):
    """z (N, 100) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Linear(Z_DIM, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(True))
        self.net = nn.Sequential(
            nn.ConvTranspose2d(128, 64, 4, 2, 1),  # 7 -> 14
            nn.BatchNorm2d(64),
            nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1),  # 14 -> 28
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.project(z).view(-1, 128, 7, 7))


class Discriminator(nn.Module):
    """images (N, 1, 28, 28) -> logits (N,)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1),  # 28 -> 14
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(64, 128, 4, 2, 1),  # 14 -> 7
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, True),
        )
        self.logit = nn.Linear(128 * 7 * 7, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.logit(self.net(x).flatten(1)).flatten()


def train(
    images: torch.Tensor,
    budgets: list[float],
    measure: Callable[[Callable[[torch.Tensor], torch.Tensor], float, int], None],
    seed: int = 0,
) -> None:
    """Train on ``images`` (N, 1, 28, 28) until the largest of ``budgets`` (seconds of training); at each budget
    call ``measure(generate, seconds, steps)`` with the clock stopped, ``generate`` mapping z to samples."""
    torch.manual_seed(seed)
    G, D = Generator(), Discriminator()
    opt_G = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    ones, zeros = torch.ones(64), torch.zeros(64)
    trained, steps = 0.0, 0
    for budget in sorted(budgets):
        while trained < budget:
            started = time.perf_counter()
            real = images[torch.randint(len(images), (64,))]
            fake = G(torch.randn(64, Z_DIM))
            # (1) D: maximise log D(x) + log(1 - D(G(z))) on fresh fakes
            loss_D = F.binary_cross_entropy_with_logits(D(real), ones) + F.binary_cross_entropy_with_logits(
                D(fake.detach()), zeros
            )
            opt_D.zero_grad()
            loss_D.backward()
            opt_D.step()
            # (2) G: maximise log D(G(z)) on the same fakes (the non-saturating loss)
            loss_G = F.binary_cross_entropy_with_logits(D(fake), ones)
            opt_G.zero_grad()
            loss_G.backward()
            opt_G.step()
            steps += 1
            trained += time.perf_counter() - started
        G.eval()
        with torch.no_grad():
            measure(lambda z: G(z), trained, steps)
        G.train()
