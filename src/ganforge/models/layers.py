"""Layers shared by the networks."""

from __future__ import annotations

import torch
from torch import nn

GROUP_SIZE = 4  # samples per statistic, as in the released code of Karras et al. (2018)


def packed_shape(data_shape: tuple[int, ...], pack: int) -> tuple[int, ...]:
    """The shape of one PacGAN pack (``gans/pack.py``), which D's first layer must take: (m * C, H, W) or (m * d,)."""
    return (data_shape[0] * pack, *data_shape[1:])


class MinibatchStd(nn.Module):
    """Append the minibatch standard deviation as one more feature (Karras, Aila, Laine and Lehtinen 2018, sec. 3).

    For each group of ``group_size`` samples: the standard deviation of every feature (and pixel) over the
    group, averaged into one number, which is appended to each member as an extra feature (an extra
    channel, constant over pixels, for feature maps). A collapsed G gives groups with near-zero spread, which
    D can now see and penalise, where a per-sample D cannot. (N, F) -> (N, F + 1); (N, C, H, W) -> (N, C + 1, H, W).
    A batch that is not a multiple of the group size is treated as one group.
    """

    def __init__(self, group_size: int = GROUP_SIZE) -> None:
        super().__init__()
        self.group_size = group_size

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        group = self.group_size if n % self.group_size == 0 else n
        # Sample i belongs to group i mod (n / group), as in the paper's code: [group, n / group, ...]
        grouped = x.reshape(group, n // group, *x.shape[1:])
        std = (grouped.var(dim=0, unbiased=False) + 1e-8).sqrt()  # (n / group, F) or (n / group, C, H, W)
        feature = std.flatten(1).mean(dim=1).repeat(group)  # (n,): one number per group, for each member
        feature = feature.view(n, 1, *([1] * (x.dim() - 2))).expand(n, 1, *x.shape[2:])
        return torch.cat([x, feature], dim=1)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}"
