"""Stacked MNIST (Metz et al. 2017): three random MNIST digits as the red, green and blue channels.

Each image's class is the digit triple, 100 * red + 10 * green + blue: 1,000 modes, which a
generator that collapses visibly misses (``ganforge eval`` counts them with the MNIST classifier).
The triples are drawn with a fixed seed per split, so the dataset is the same on every machine that
has the same MNIST.
"""

from __future__ import annotations

import torch

from ganforge.data.images import ImageData

SIZES = {"train": 50_000, "test": 10_000}
SEEDS = {"train": 0, "test": 1}
PLACE_VALUES = torch.tensor([100, 10, 1])


def stack_digits(mnist: ImageData, split: str) -> ImageData:
    """Build the stacked dataset of ``split`` from the MNIST images of the same split."""
    generator = torch.Generator().manual_seed(SEEDS[split])
    picks = torch.randint(len(mnist), (SIZES[split], 3), generator=generator)  # (N, 3) image indices
    images = mnist.images.cpu()[picks].squeeze(2)  # (N, 3, 1, 28, 28) -> (N, 3, 28, 28)
    labels = (mnist.labels.cpu()[picks] * PLACE_VALUES).sum(dim=1)
    source = f"{SIZES[split]:,} triples of {mnist.source}"
    return ImageData("stacked-mnist", images.contiguous(), labels, 1000, source)
