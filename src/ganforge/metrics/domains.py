"""Did an unpaired translation reach the other domain? A domain classifier trained on the real images.

No network ships for a pair of domains a user brings, so the classifier is trained here, briefly, on real
images of A (label 0) and B (label 1) from the training data; its accuracy on held-out real images says
whether it can be trusted, and the fraction of translated images it assigns to the target domain is the
metric (the "classifier accuracy" CycleGAN and DiscoGAN report in their tables).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

STEPS = 300
TRAIN_IMAGES = 4000  # real images per domain it learns from
BATCH = 64
LR = 1e-3


class DomainClassifier(nn.Module):
    """Two strided convolutions and a linear layer: (N, C, H, W) in [-1, 1] -> logit of "domain B"."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(channels, 16, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(16, 32, 4, 2, 1),
            nn.LeakyReLU(0.2),
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Linear(32 * 16, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).flatten()


def train_domain_classifier(a: Tensor, b: Tensor, seed: int = 0, steps: int = STEPS) -> DomainClassifier:
    """A classifier of A (0) versus B (1), trained with Adam on balanced minibatches; returned in eval mode."""
    generator = torch.Generator(a.device).manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        network = DomainClassifier(a.shape[1]).to(a.device)
    optimizer = torch.optim.Adam(network.parameters(), lr=LR)
    targets = torch.cat([torch.zeros(BATCH // 2), torch.ones(BATCH // 2)]).to(a.device)
    for _ in range(steps):
        index_a = torch.randint(len(a), (BATCH // 2,), generator=generator, device=a.device)
        index_b = torch.randint(len(b), (BATCH // 2,), generator=generator, device=b.device)
        logits = network(torch.cat([a[index_a], b[index_b]]))
        loss = F.binary_cross_entropy_with_logits(logits, targets)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return network.eval()


@torch.no_grad()
def fraction_in_b(classifier: DomainClassifier, images: Tensor, batch_size: int = 500) -> float:
    """The fraction of ``images`` the classifier assigns to domain B."""
    votes = [classifier(chunk) > 0 for chunk in images.split(batch_size)]
    return float(torch.cat(votes).float().mean())
