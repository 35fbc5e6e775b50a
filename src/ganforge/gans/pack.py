"""PacGAN packing (Lin, Khetan, Fanti and Oh, 2018): D judges m samples at once.

A generator that has collapsed onto a few modes gives packs whose members look alike, which a
single-sample D cannot see but a packed D can; the paper shows packing penalises mode collapse
(section 4) at the cost of an m-fold wider first layer of D. Packs hold m samples of the same kind
(all real or all generated): consecutive samples are stacked along the first non-batch axis,

    (N, C, H, W) -> (N / m, m * C, H, W)      stacked channels (DCGAN's first convolution)
    (N, d)       -> (N / m, m * d)            concatenated vectors (the MLP)

and an MLP D that flattens its input sees the m flattened samples concatenated.
"""

from __future__ import annotations

import torch

from ganforge.models.layers import packed_shape

__all__ = ["pack_samples", "packed_shape"]


def pack_samples(x: torch.Tensor, pack: int) -> torch.Tensor:
    """(N, C, ...) -> (N // m, m * C, ...): each run of m consecutive samples becomes one input of D.

    The loop's batches are multiples of m (checked in resolve.py); a batch of another size, such as a health
    probe's, drops its last N mod m samples rather than mixing samples from two sources into one pack.
    """
    if pack == 1:
        return x
    n = x.shape[0] - x.shape[0] % pack
    return x[:n].reshape(n // pack, x.shape[1] * pack, *x.shape[2:])
