"""What a network's registry entry declares about itself, so that adding one never edits a central table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from torch import nn

if TYPE_CHECKING:
    from ganforge.config import ModelConfig

# builder(model config, data shape, pack) -> (G, D)
Builder = Callable[["ModelConfig", tuple[int, ...], int], tuple[nn.Module, nn.Module]]


@dataclass(frozen=True)
class Network:
    """A network's registry entry: its builder and what resolution asks of it.

    ``defaults`` fills every setting left as None: per optimiser name (``adam``, ``sgd``, ``rmsprop``) its
    learning rate and betas or momentum, and under ``train`` the steps and the sample, checkpoint and
    health cadences.
    """

    build: Builder | None  # None for a task's networks, which the task builds (ganforge.tasks)
    d_norms: tuple[str, ...]  # the normalisations D offers (model.d_norm), the first by default
    defaults: dict[str, dict[str, Any]]
    convolutional: bool = False  # train.channels_last applies
    batch_norm: bool = False  # train.sync_batchnorm applies
    kinds: tuple[str, ...] = ("image",)  # the data it takes: "image" (C, H, W), "points" (2-D mixtures)
