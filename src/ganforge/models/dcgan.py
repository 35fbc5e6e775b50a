"""DCGAN (Radford, Metz and Chintala, 2016) for images with 1 or 3 channels, square (28, 32, 64 px) or not.

The paper's guidelines (section 3): strided (transposed) convolutions instead of pooling, batch norm in
both networks (except G's output and D's input layers), no hidden fully connected layers, ReLU in G
with tanh at the output, LeakyReLU(0.2) in D, and weights drawn from N(0, 0.02).
G's first layer is a transposed convolution from the 1x1 latent to a 4x4 map (7x7 for 28 px): the
paper's "projection and reshape" written as a convolution. Other shapes follow the same rule (``layout``): as
many doublings as both sides allow while the first map keeps at least 4 px a side, e.g. 48 x 32 grows from 6 x 4.
D's normalisation is ``model.d_norm``: batch (the paper), spectral (spectral norm on every convolution and
no batch norm, as in SN-GAN, Miyato et al. 2018) or none (no normalisation, as WGAN-GP's critic needs).
``model.minibatch_std`` appends the minibatch standard deviation as one more feature map before D's last
convolution (Karras et al. 2018); with PacGAN packing (``train.pack: m``) D's input stacks m images' channels.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from ganforge.config import ModelConfig
from ganforge.errors import GanforgeError
from ganforge.models.layers import MinibatchStd
from ganforge.models.spec import Network

MIN_BASE = 4  # the first (smallest) feature map keeps at least this many pixels a side


def layout(height: int, width: int) -> tuple[int, tuple[int, int]]:
    """(doublings, (h0, w0)): G grows an (h0, w0) map by that many stride-2 doublings to (height, width), and D
    shrinks it back. The most doublings both sides allow with h0 and w0 at least ``MIN_BASE``; (0, ...) when none
    does. 28 px: 2 from 7 x 7; 32 px: 3 from 4 x 4; 64 px: 4 from 4 x 4; 48 x 32: 3 from 6 x 4."""
    doublings = 0
    while all(side % 2 ** (doublings + 1) == 0 and side >> (doublings + 1) >= MIN_BASE for side in (height, width)):
        doublings += 1
    return doublings, (height // 2**doublings, width // 2**doublings)


def _init(module: nn.Module) -> None:
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """z (N, z_dim) -> images (N, C, height, width) in [-1, 1]; ``side`` is an int (a square) or (height, width)."""

    def __init__(self, z_dim: int, channels: int, side: int | tuple[int, int], width: int) -> None:
        super().__init__()
        n_up, base = layout(*_pair(side))
        features = width * 2 ** (n_up - 1)
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(z_dim, features, base, 1, 0, bias=False),
            nn.BatchNorm2d(features),
            nn.ReLU(True),
        ]
        for _ in range(n_up - 1):  # each doubles the side and halves the feature maps
            layers += [
                nn.ConvTranspose2d(features, features // 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(features // 2),
                nn.ReLU(True),
            ]
            features //= 2
        layers += [nn.ConvTranspose2d(features, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])  # (N, z_dim, 1, 1) -> (N, C, height, width)


class DCGANDiscriminator(nn.Module):
    """images (N, C, height, width) -> logits (N,); ``side`` is an int (a square) or (height, width)."""

    def __init__(
        self, channels: int, side: int | tuple[int, int], width: int, norm: str = "batch", minibatch_std: bool = False
    ) -> None:
        super().__init__()
        n_down, base = layout(*_pair(side))
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        features = width
        for _ in range(n_down - 1):  # each halves the side and doubles the feature maps
            batch_norm = norm == "batch"
            layers.append(nn.Conv2d(features, features * 2, 4, 2, 1, bias=not batch_norm))  # BN has its own bias
            if batch_norm:
                layers.append(nn.BatchNorm2d(features * 2))
            layers.append(nn.LeakyReLU(0.2, True))
            features *= 2
        if minibatch_std:  # (N, features, s, s) -> (N, features + 1, s, s)
            layers.append(MinibatchStd())
        layers.append(nn.Conv2d(features + int(minibatch_std), 1, base, 1, 0))  # the last map -> one logit
        self.net = nn.Sequential(*layers)
        self.apply(_init)
        if norm == "spectral":  # W / sigma(W) for every convolution, after the N(0, 0.02) init
            for index, layer in enumerate(self.net):
                if isinstance(layer, nn.Conv2d):
                    self.net[index] = spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def _pair(side: int | tuple[int, int]) -> tuple[int, int]:
    return (side, side) if isinstance(side, int) else (side[0], side[1])


def build(cfg: ModelConfig, data_shape: tuple[int, ...], pack: int = 1) -> tuple[nn.Module, nn.Module]:
    """Build the DCGAN pair for 1- or 3-channel images whose sides both allow at least two doublings from a first
    map of 4 px or more (``layout``). D takes packs of ``pack`` images stacked along the channels."""
    if len(data_shape) != 3:
        raise GanforgeError(
            "model 'dcgan' needs images, but the dataset gives 2-D points", "use --model mlp for ring or grid"
        )
    channels, height, width = data_shape
    if layout(height, width)[0] < 2 or channels not in (1, 3):
        raise GanforgeError(
            f"model 'dcgan' takes 1- or 3-channel images whose sides halve twice to 4 px or more "
            f"(e.g. 28, 32, 64 or 48x32), not {channels}x{height}x{width}",
            "set --image-size to 32, 64 or a height x width such as 48x32, or use --model mlp",
        )
    G = DCGANGenerator(cfg.z_dim, channels, (height, width), cfg.width)
    D = DCGANDiscriminator(channels * pack, (height, width), cfg.width, cfg.d_norm or "batch", cfg.minibatch_std)
    return G, D


NETWORK = Network(
    build,
    d_norms=("batch", "spectral", "none"),
    defaults={
        # Radford et al. (2016), section 4: Adam, learning rate 0.0002, beta1 = 0.5, batch 128.
        "adam": {"lr": 2e-4, "betas": [0.5, 0.999]},
        "sgd": {"lr": 0.02, "momentum": 0.5},
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        # A training length that gives a recognisable result in a few minutes on two CPU cores.
        "train": {"steps": 2000, "sample_every": 100, "checkpoint_every": 500, "health_every": 100},
    },
    convolutional=True,
    batch_norm=True,
)
