"""A pool of labelled samples: latents, the images G makes of them, and what is measured on those images.

Every latent-space tool starts here: attribute directions are fitted on a pool, arithmetic picks its
exemplars from one (sample ids are indices into it), and the ``attributes`` table describes one. A pool is
reproducible from (run, n, seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.latent.attributes import Measurements, measure_images
from ganforge.trained import TrainedGAN

POOL_SIZE = 2000  # samples measured by default: percentiles and directions settle well before this
POOL_SEED = 0


@dataclass
class Pool:
    """``n`` latents ``z`` (n, z_dim), their images (n, C, H, W) in [-1, 1], labels (n,) for a conditional run,
    and their measurements."""

    z: Tensor
    images: Tensor
    labels: Tensor | None
    measurements: Measurements
    dataset: str

    def __len__(self) -> int:
        return len(self.z)

    def subset(self, index: np.ndarray) -> Pool:
        """The samples at ``index`` (pool indices), as a pool of their own."""
        rows = torch.from_numpy(index)
        labels = None if self.labels is None else self.labels[rows]
        return Pool(self.z[rows], self.images[rows], labels, self.measurements.subset(index), self.dataset)

    def attribute(self, name: str) -> np.ndarray:
        """The measured values of attribute ``name`` over the pool, (n,)."""
        return self.measurements.values[name]


def image_run_dataset(trained: TrainedGAN) -> str:
    """The dataset of a run that generates images from noise, or a one-line error for any other run."""
    if len(trained.data_shape) != 3:
        raise GanforgeError(f"{trained.path} generates 2-D points, not images",
                            "use a run trained on images (e.g. 'ganforge train --dataset mnist')")  # fmt: skip
    return trained.config.data.name


def make_pool(trained: TrainedGAN, n: int = POOL_SIZE, seed: int = POOL_SEED, with_classes: bool = True) -> Pool:
    """Sample ``n`` latents (seeded), generate and measure them. A conditional run's labels go in turn 0..K-1."""
    dataset = image_run_dataset(trained)
    z = trained.latents(n, seed).cpu()
    labels = torch.arange(n) % trained.num_classes if trained.num_classes else None
    images = trained.generate(z, labels=labels)
    return Pool(z, images, labels, measure_images(images, dataset, with_classes), dataset)
