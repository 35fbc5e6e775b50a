"""2-D Gaussian mixtures with known centres: the ring and the grid used to count mode collapse.

Defaults follow PacGAN's released code (Lin et al., 2018): a ring of 8 Gaussians of radius 1 and
std 0.01, and a 5 x 5 grid at {-4, -2, 0, 2, 4}^2 with std 0.05. Points are drawn fresh for every
batch, so the data is infinite and a model cannot memorise it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from ganforge.errors import GanforgeError

RING_MODES, RING_STD = 8, 0.01
GRID_SIDE, GRID_STD = 5, 0.05
REAL_SEED = 0  # real() draws from its own generator so plots and metrics compare against the same points
REAL_POINTS = 10_000  # real() without n


@dataclass
class PointData:
    """A mixture of isotropic Gaussians in the plane with equal weights, sampled on the fly."""

    name: str
    centers: Tensor  # (K, 2) float32
    std: float
    source: str = "generated"
    kind: ClassVar[str] = "points"
    class_names: ClassVar[list[str] | None] = None

    @property
    def num_classes(self) -> int:
        """K, the number of modes; a point's label is the mode it was drawn from."""
        return int(self.centers.shape[0])

    @property
    def shape(self) -> tuple[int]:
        return (2,)

    @property
    def device(self) -> torch.device:
        return self.centers.device

    def batch(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """Draw ``n`` points: ``(n, 2)`` float32 and ``(n,)`` int64 labels (the index of the mode drawn).

        Every draw uses ``generator`` (on the data's device), so the same state gives the same batch.
        """
        device = self.centers.device
        labels = torch.randint(self.num_classes, (n,), generator=generator, device=device)
        noise = torch.randn((n, 2), generator=generator, device=device, dtype=self.centers.dtype)
        return self.centers[labels] + self.std * noise, labels

    def real(self, n: int | None = None) -> Tensor:
        """``n`` points (10,000 when None) drawn with a fixed seed: the same points on every call."""
        generator = torch.Generator(device=self.centers.device).manual_seed(REAL_SEED)
        return self.batch(REAL_POINTS if n is None else n, generator)[0]

    def to(self, device: torch.device | str) -> PointData:
        """A copy whose centres live on ``device``."""
        return PointData(self.name, self.centers.to(device), self.std, self.source)


def ring_centers(modes: int = RING_MODES, radius: float = 1.0) -> Tensor:
    """``(modes, 2)`` means evenly spaced on a circle: (r cos 2 pi i / K, r sin 2 pi i / K), i = 0 .. K-1."""
    _check_positive("data.modes", modes)
    _check_positive("data.radius", radius)
    modes = int(modes)
    # i / K with i < K, not linspace(0, 2 pi, K): that would place the last mean on top of the first.
    angles = torch.arange(modes, dtype=torch.float64) * (2 * math.pi / modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid_centers(side: int = GRID_SIDE, spacing: float = 2.0) -> Tensor:
    """``(side**2, 2)`` means on a square lattice centred on 0: spacing * (i - (side - 1) / 2) per axis."""
    _check_positive("data.modes", side)
    _check_positive("data.spacing", spacing)
    side = int(side)
    axis = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2)
    x, y = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1).float()  # row-major: mode i*side + j


def make_ring(modes: int | None = None, radius: float = 1.0, std: float | None = None) -> PointData:
    """The ring mixture; None takes PacGAN's defaults (8 modes, std 0.01)."""
    std = RING_STD if std is None else std
    _check_positive("data.std", std)
    return PointData("ring", ring_centers(RING_MODES if modes is None else modes, radius), float(std))


def make_grid(side: int | None = None, spacing: float = 2.0, std: float | None = None) -> PointData:
    """The grid mixture; None takes PacGAN's defaults (5 x 5 modes, std 0.05)."""
    std = GRID_STD if std is None else std
    _check_positive("data.std", std)
    return PointData("grid", grid_centers(GRID_SIDE if side is None else side, spacing), float(std))


def _check_positive(setting: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        raise GanforgeError(f"{setting}={value!r} must be a positive number", f"give {setting} a value above 0")
    if setting == "data.modes" and not float(value).is_integer():
        raise GanforgeError(f"{setting}={value!r} must be a whole number", "e.g. 8 for the ring, 5 for the grid")
