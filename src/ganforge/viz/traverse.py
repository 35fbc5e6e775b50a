"""Traversals: vary one latent code (or the class) with everything else held fixed, one grid row at a time.

For an InfoGAN run (Chen et al. 2016, fig. 2) the grid has

- one row per value of the categorical code (rows 0..K-1), each column a different fixed noise z, the
  continuous codes at 0: if the code captured digit identity, each row is one digit;
- then, for each continuous code, ``sweep_rows`` rows whose columns sweep that code from -span to +span
  (the prior covers [-1, 1]; span 2 extrapolates as the paper does), the noise and the other codes fixed.

For a class-conditional run the grid has one row per class (the first 16), each column the same fixed latent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ganforge.errors import GanforgeError
from ganforge.gans.cgan import class_rows

if TYPE_CHECKING:
    from ganforge.trained import TrainedGAN

SWEEP_ROWS = 5  # rows per continuous code: different fixed noise and category, the same sweep


def traversal(
    trained: TrainedGAN, columns: int = 10, seed: int = 0, span: float = 2.0, sweep_rows: int = SWEEP_ROWS
) -> tuple[torch.Tensor, int]:
    """The traversal's images (rows * columns, C, H, W) in [-1, 1], row-major, and ``columns``."""
    gan = trained.gan
    if len(trained.data_shape) != 3:
        raise GanforgeError(f"{trained.path} generates 2-D points, not images", "traverse a run trained on images")
    generator = torch.Generator(trained.device).manual_seed(seed)
    if gan.codes is not None:
        return trained.generate(code_latents(trained, columns, generator, span, sweep_rows)), columns
    if gan.num_classes:
        z, labels = class_rows(gan, columns, generator)  # the first 16 classes at most (stacked-mnist has 1,000)
        return trained.generate(z, labels=labels.cpu()), columns
    raise GanforgeError(
        f"{trained.path} has no latent codes or classes to traverse",
        "traverse an InfoGAN run (--preset infogan) or a conditional one (--preset cgan); "
        "for an unconditional run use 'ganforge interpolate'",
    )


def code_latents(
    trained: TrainedGAN, columns: int, generator: torch.Generator, span: float, sweep_rows: int
) -> torch.Tensor:
    """The latents of an InfoGAN traversal, row-major (see the module docstring)."""
    codes = trained.gan.codes
    rows = []
    noise = trained.gan.sample_latent(columns, generator)  # one fixed z per column
    for category in range(codes.categorical):  # the categorical code, one row per value
        rows.append(codes.with_codes(noise, category, dict.fromkeys(range(codes.continuous), 0.0)))
    sweep = torch.linspace(-span, span, columns, device=noise.device)  # (columns,): one value per column
    starts = trained.gan.sample_latent(sweep_rows, generator)  # one fixed (z, c) per sweep row
    for index in range(codes.continuous):  # each continuous code swept along the columns, the others at 0
        others = dict.fromkeys(range(codes.continuous), 0.0)
        for row in range(sweep_rows):
            category = row % codes.categorical if codes.categorical else None
            start = codes.with_codes(starts[row : row + 1].repeat(columns, 1), category, others)
            rows.append(codes.with_codes(start, None, {index: sweep}))
    return torch.cat(rows)
