"""R3GAN's networks (Huang, Gokaslan, Kuleshov and Tompkin 2024, "The GAN is dead; long live the GAN! A Modern
GAN Baseline", section 3.2), scaled to 28 x 28 and 32 x 32 images with 1 or 3 channels.

A ResNet G and D with no normalisation layers, the paper's "config E" in miniature:

- every residual block is an inverted bottleneck: 1x1 conv to ``EXPANSION`` times the width, a grouped 3x3 conv
  (groups of ``GROUP_WIDTH`` channels, the ResNeXt cardinality), 1x1 conv back; LeakyReLU(0.2) after the first
  two, each with its own bias, and the identity as the skip path;
- a fix-up style initialisation in place of normalisation (section 3.2, after Zhang et al. 2019): He
  initialisation with the LeakyReLU gain, the first two convs of each branch scaled by L^(-1/4) (L blocks in the
  network, m = 3 convs a branch: L^(-1/(2m-2))), and the last conv of each branch zero, so every block starts
  as the identity;
- resolution changes between stages by bilinear up-sampling and average pooling, with a 1x1 conv where the
  width changes; G starts from a learned constant basis (b x b, b = 7 for 28 px, 4 for 32 px) modulated by a
  linear map of z, D ends with a depthwise b x b conv over its last map and a linear layer to one logit;
- G's output has no tanh, as in the paper's code (the loss keeps it in the data's range).

Scaled to a CPU: ``BLOCKS`` residual blocks a stage; ``model.width`` feature maps at the smallest map, halved at
each doubling of the side but never below ``GROUP_WIDTH`` (``stage_widths``); and the image's own resolution is
reached through 2 x 2 patches (G's last 1x1 conv gives each position of its last map a patch, ``PixelShuffle``;
D reads the image as patches, ``PixelUnshuffle``, ConvNeXt's patchify stem) rather than through a stage of blocks
at full resolution. The paper's CIFAR-10 model uses width 768 at every stage, two blocks a stage and groups of 16
channels. D's layers sit in ``D.net`` (a ``Sequential`` ending in the linear layer), so class conditioning wraps it
like any other D.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ganforge.config import ModelConfig
from ganforge.errors import GanforgeError
from ganforge.models.spec import Network

BASE_SIDE = {28: 7, 32: 4}  # image side -> side of the smallest feature map
PATCH = 2  # pixels a side of one patch: G's last map and D's first are at half the image's side
EXPANSION = 2  # the inverted bottleneck's hidden width, in multiples of the block's width (the paper's 2)
GROUP_WIDTH = 16  # channels per group of the 3x3 conv (the paper's CIFAR-10 model: 1536 channels in 96 groups)
BLOCKS = 1  # residual blocks per stage (the paper's 2; one keeps a CPU step as cheap as DCGAN's)
LEAK = 0.2
GAIN = math.sqrt(2 / (1 + LEAK**2))  # He et al. (2015) gain of LeakyReLU(0.2)


def _he_init(layer: nn.Conv2d | nn.Linear, gain: float = 1.0) -> None:
    """Weights ~ N(0, gain^2 / fan_in), biases zero: activations keep their scale through the layer."""
    fan_in = layer.weight[0].numel()
    nn.init.normal_(layer.weight, 0.0, gain / math.sqrt(fan_in))
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)


def _stages(side: int) -> int:
    """Feature-map resolutions, up to half the image's side: 7, 14 for 28 px; 4, 8, 16 for 32 px."""
    return int(math.log2(side // PATCH // BASE_SIDE[side])) + 1


class ResidualBlock(nn.Module):
    """x + conv1x1(act(grouped conv3x3(act(conv1x1(x))))): an inverted bottleneck with no normalisation."""

    def __init__(self, width: int, total_blocks: int) -> None:
        super().__init__()
        hidden = width * EXPANSION
        groups = max(1, hidden // GROUP_WIDTH)
        while hidden % groups:  # a width that GROUP_WIDTH does not divide: fewer, wider groups
            groups -= 1
        self.expand = nn.Conv2d(width, hidden, 1)  # (N, w, s, s) -> (N, 2w, s, s)
        self.grouped = nn.Conv2d(hidden, hidden, 3, padding=1, groups=groups)
        self.project = nn.Conv2d(hidden, width, 1, bias=False)  # (N, 2w, s, s) -> (N, w, s, s)
        # Fix-up initialisation (R3GAN sec. 3.2): L^(-1/(2m - 2)) with m = 3 layers a branch, the last one zero,
        # so the sum of L branches keeps the signal's variance and every block starts as the identity.
        scale = total_blocks ** (-1 / 4)
        _he_init(self.expand, GAIN * scale)
        _he_init(self.grouped, GAIN * scale)
        nn.init.zeros_(self.project.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.leaky_relu(self.expand(x), LEAK)
        y = F.leaky_relu(self.grouped(y), LEAK)
        return x + self.project(y)


class GenerativeBasis(nn.Module):
    """z (N, z_dim) -> (N, w, b, b): a learned constant b x b map per channel, scaled by a linear map of z."""

    def __init__(self, z_dim: int, width: int, side: int) -> None:
        super().__init__()
        self.basis = nn.Parameter(torch.randn(width, side, side))
        self.linear = nn.Linear(z_dim, width, bias=False)
        _he_init(self.linear)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.basis[None] * self.linear(z)[:, :, None, None]


def stage_widths(side: int, width: int) -> list[int]:
    """Feature maps per stage, from the smallest map up: ``width`` there, halved at each doubling of the side but
    never below ``GROUP_WIDTH`` (the paper narrows its high-resolution stages the same way, e.g. for FFHQ-256)."""
    return [max(width // 2**stage, GROUP_WIDTH) for stage in range(_stages(side))]


def _conv1x1(inputs: int, outputs: int) -> nn.Conv2d:
    layer = nn.Conv2d(inputs, outputs, 1, bias=False)
    _he_init(layer)
    return layer


class R3GANGenerator(nn.Module):
    """z (N, z_dim) -> images (N, C, side, side), unbounded (no tanh, as in the paper)."""

    def __init__(self, z_dim: int, channels: int, side: int, width: int, blocks: int = BLOCKS) -> None:
        super().__init__()
        widths = stage_widths(side, width)
        total = len(widths) * blocks
        layers: list[nn.Module] = [GenerativeBasis(z_dim, widths[0], BASE_SIDE[side])]
        for stage, features in enumerate(widths):
            if stage > 0:  # narrow where the map is small, then double the side
                if features != widths[stage - 1]:
                    layers.append(_conv1x1(widths[stage - 1], features))
                layers.append(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False))
            layers += [ResidualBlock(features, total) for _ in range(blocks)]
        to_patches = nn.Conv2d(widths[-1], channels * PATCH**2, 1)  # each position: a 2 x 2 patch of pixels
        _he_init(to_patches)
        self.net = nn.Sequential(*layers, to_patches, nn.PixelShuffle(PATCH))  # (N, 4C, s/2, s/2) -> (N, C, s, s)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class R3GANDiscriminator(nn.Module):
    """images (N, C, side, side) -> logits (N,)."""

    def __init__(self, channels: int, side: int, width: int, blocks: int = BLOCKS) -> None:
        super().__init__()
        widths = stage_widths(side, width)[::-1]  # from the image's side down
        total = len(widths) * blocks
        from_patches = nn.Conv2d(channels * PATCH**2, widths[0], 1)
        _he_init(from_patches)
        layers: list[nn.Module] = [nn.PixelUnshuffle(PATCH), from_patches]  # (N, C, s, s) -> (N, 4C, s/2, s/2)
        for stage, features in enumerate(widths):
            if stage > 0:  # halve the side, then widen where the map is small
                layers.append(nn.AvgPool2d(2))
                if features != widths[stage - 1]:
                    layers.append(_conv1x1(widths[stage - 1], features))
            layers += [ResidualBlock(features, total) for _ in range(blocks)]
        # The discriminative basis: a depthwise b x b conv reads the last map into one number a channel.
        basis = nn.Conv2d(widths[-1], widths[-1], BASE_SIDE[side], groups=widths[-1], bias=False)
        _he_init(basis)
        head = nn.Linear(widths[-1], 1)
        _he_init(head)
        self.net = nn.Sequential(*layers, basis, nn.Flatten(), head)  # ... -> (N, w, 1, 1) -> (N, w) -> (N, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten()


def build(cfg: ModelConfig, data_shape: tuple[int, ...], pack: int = 1) -> tuple[nn.Module, nn.Module]:
    """Build the R3GAN pair for square 28 or 32 px images (grey, RGB, or any channels: class-label maps join D's
    input for ``model.condition: concat``); D takes packs of ``pack`` images stacked along the channels."""
    if len(data_shape) != 3:
        raise GanforgeError(
            "model 'r3gan' needs images, but the dataset gives 2-D points", "use --model mlp for ring or grid"
        )
    channels, height, width = data_shape
    if height != width or height not in BASE_SIDE:
        raise GanforgeError(
            f"model 'r3gan' takes square images of 28 or 32 px, not {channels}x{height}x{width}",
            "set --image-size to 32, or use --model dcgan for 64 px and other shapes such as 48x32",
        )
    G = R3GANGenerator(cfg.z_dim, channels, height, cfg.width)
    D = R3GANDiscriminator(channels * pack, height, cfg.width)
    return G, D


NETWORK = Network(
    build,
    d_norms=("none",),  # the paper's point: the regularised loss needs no normalisation layers
    defaults={
        # R3GAN's code: Adam at 2e-4 with beta1 = 0 (beta2 0.9 rising to 0.99; the preset takes 0.99).
        "adam": {"lr": 2e-4, "betas": [0.0, 0.99]},
        "sgd": {"lr": 0.02, "momentum": 0.5},
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": 2000, "sample_every": 100, "checkpoint_every": 500, "health_every": 100},
    },
    convolutional=True,
)
