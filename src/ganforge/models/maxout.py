"""The MNIST networks of Goodfellow et al. (2014), as their released code builds them (goodfeli/adversarial).

G: z (100) -> Linear 1200 -> ReLU -> Linear 1200 -> ReLU -> Linear 784 -> sigmoid -> 1x28x28.
D: flatten -> dropout (keep 0.8) -> maxout 240 units x 5 pieces -> dropout (keep 0.5) -> maxout 240 x 5
   -> dropout (keep 0.5) -> Linear 1 (a logit; the paper's sigmoid lives in the loss).

ganforge's images live in [-1, 1], so G's sigmoid output s(a) in [0, 1] is mapped to 2 s(a) - 1 = tanh(a / 2):
the same network, its pixels rescaled; a sample maps back to the paper's [0, 1] by (x + 1) / 2 (which the
Parzen metric does), and D reads (x + 1) / 2, so both networks work on the paper's pixels. Weights start
uniform in [-0.05, 0.05] (G) and [-0.005, 0.005] (D), biases at 0, the code's ``irange``; the code also
started G's output biases at the training pixels' log-odds, which is not reproduced. Dropout is pylearn2's:
each layer's input is dropped, and the kept units scaled by 1 / keep, in every pass through D while training
(G's update sees a dropped-out D too, as in the code).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ganforge.config import ModelConfig
from ganforge.errors import GanforgeError
from ganforge.models.layers import MinibatchStd, packed_shape
from ganforge.models.spec import Network

G_HIDDEN = (1200, 1200)
D_UNITS, D_PIECES = 240, 5
D_INPUT_KEEP, D_HIDDEN_KEEP = 0.8, 0.5  # pylearn2's include probabilities: input_include_probs 'h0', default


class Maxout(nn.Module):
    """max over ``pieces`` linear maps of the input (Goodfellow, Warde-Farley, Mirza, Courville and Bengio 2013)."""

    def __init__(self, width_in: int, units: int, pieces: int) -> None:
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(width_in, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(x).view(-1, self.units, self.pieces).amax(dim=2)  # (N, units * pieces) -> (N, units)


def _uniform_init(module: nn.Module, irange: float) -> None:
    if isinstance(module, nn.Linear):
        nn.init.uniform_(module.weight, -irange, irange)
        nn.init.zeros_(module.bias)


class PaperGenerator(nn.Module):
    """z (N, z_dim) -> images (N, *data_shape) in [-1, 1]: 2 sigmoid(a) - 1 of the paper's ReLU MLP."""

    def __init__(self, z_dim: int, data_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.data_shape = data_shape
        widths = [z_dim, *G_HIDDEN]
        layers: list[nn.Module] = []
        for width_in, width_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(width_in, width_out), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(widths[-1], math.prod(data_shape)))
        self.apply(lambda module: _uniform_init(module, 0.05))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return (2 * torch.sigmoid(self.net(z)) - 1).view(-1, *self.data_shape)  # (N, C, H, W)


class MaxoutDiscriminator(nn.Module):
    """images (N, *data_shape) -> logits (N,): the paper's maxout MLP with dropout."""

    def __init__(self, data_shape: tuple[int, ...], minibatch_std: bool = False) -> None:
        super().__init__()
        std_layer = [MinibatchStd()] if minibatch_std else []  # one more input to the output layer
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(1 - D_INPUT_KEEP),
            Maxout(math.prod(data_shape), D_UNITS, D_PIECES),
            nn.Dropout(1 - D_HIDDEN_KEEP),
            Maxout(D_UNITS, D_UNITS, D_PIECES),
            nn.Dropout(1 - D_HIDDEN_KEEP),
            *std_layer,
            nn.Linear(D_UNITS + len(std_layer), 1),
        )
        self.apply(lambda module: _uniform_init(module, 0.005))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # D reads the paper's [0, 1] pixels: on [-1, 1] the background (-1, not 0) feeds every first-layer unit
        # 784 large inputs, and SGD at 0.1 diverged within 500 steps in our runs.
        return self.net((x + 1) / 2).squeeze(1)


def build(cfg: ModelConfig, data_shape: tuple[int, ...], pack: int = 1) -> tuple[nn.Module, nn.Module]:
    """Build the paper's MNIST pair for images (C, H, W); D takes packs of ``pack`` images."""
    if len(data_shape) != 3:
        raise GanforgeError(
            f"model 'maxout' is the 2014 paper's network for images, not data of shape {data_shape}",
            "use --model mlp for 2-D points",
        )
    return PaperGenerator(cfg.z_dim, data_shape), MaxoutDiscriminator(packed_shape(data_shape, pack), cfg.minibatch_std)


NETWORK = Network(
    build,
    d_norms=("none",),  # dropout is part of the network, not a normalisation choice
    defaults={
        # The released code: SGD at 0.1 with momentum 0.5, batch 100 (its slow decay of the learning rate, by
        # 1.000004 per update, and its momentum ramp to 0.7 over 250 epochs are not reproduced).
        "sgd": {"lr": 0.1, "momentum": 0.5},
        "adam": {"lr": 2e-4, "betas": [0.5, 0.999]},
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": 20000, "sample_every": 1000, "checkpoint_every": 5000, "health_every": 500},
    },
)
