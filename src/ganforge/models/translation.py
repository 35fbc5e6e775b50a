"""Networks for the image-to-image tasks: U-Net, PatchGAN, the CycleGAN ResNet generator and SRResNet.

Sizes are the papers' designs scaled down to train on a CPU in minutes: fewer residual blocks and
narrower layers (``model.width``), and depth chosen from the image side (7 x 7 bottleneck for 28 px).
Generators output images in [-1, 1]; discriminators output one logit per patch, flattened to (N, P),
which every loss averages (the PatchGAN of Isola et al. 2017, section 3.2.2).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

MAX_DEPTH = 4  # U-Net levels at most (64 px -> 4 x 4 bottleneck)
MIN_BOTTLENECK = 4  # stop halving before the map gets smaller than this


def _init(module: nn.Module) -> None:
    """Weights from N(0, 0.02), as pix2pix and CycleGAN (after DCGAN) initialise them."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.InstanceNorm2d)) and module.weight is not None:
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def _norm(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":  # CycleGAN's choice: statistics per image, so a batch of 1 trains the same
        return nn.InstanceNorm2d(channels, affine=True)
    return nn.Identity()


def unet_depth(side: int) -> int:
    """How many times the U-Net halves ``side``: while it stays even and at least 4 (28 -> 2, 32 -> 3, 64 -> 4)."""
    depth = 0
    while depth < MAX_DEPTH and side % 2 == 0 and side // 2 >= MIN_BOTTLENECK:
        side //= 2
        depth += 1
    return depth


class UNet(nn.Module):
    """The pix2pix generator (Isola et al. 2017, section 3.2.1): an encoder-decoder whose layer i is joined
    to layer n - i by a skip connection, so low-level detail (edges, the visible context) crosses directly.

    (N, in_channels, H, W) -> (N, out_channels, H, W) in [-1, 1]. pix2pix's dropout noise is left out: at
    this size the outputs are near-deterministic anyway (their section 3.1 saw the same at full size).
    """

    def __init__(self, in_channels: int, out_channels: int, width: int, depth: int, norm: str = "batch") -> None:
        super().__init__()
        channels = [min(width * 2**level, width * 8) for level in range(depth)]
        self.down = nn.ModuleList()
        previous = in_channels
        for level, features in enumerate(channels):  # C64-C128-...: each halves the side
            layers: list[nn.Module] = [nn.Conv2d(previous, features, 4, 2, 1)]
            if level > 0:  # no normalisation on the first layer (pix2pix, after DCGAN)
                layers.append(_norm(norm, features))
            layers.append(nn.LeakyReLU(0.2, True))
            self.down.append(nn.Sequential(*layers))
            previous = features
        self.middle = nn.Sequential(nn.Conv2d(previous, previous, 3, 1, 1), _norm(norm, previous), nn.ReLU(True))
        self.up = nn.ModuleList()
        for level in reversed(range(depth)):  # each doubles the side, reading the skip from the same level
            if level == 0:
                self.up.append(
                    nn.Sequential(nn.ConvTranspose2d(previous + channels[0], out_channels, 4, 2, 1), nn.Tanh())
                )
            else:
                features = channels[level - 1]
                self.up.append(
                    nn.Sequential(
                        nn.ConvTranspose2d(previous + channels[level], features, 4, 2, 1),
                        _norm(norm, features),
                        nn.ReLU(True),
                    )
                )
                previous = features
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = self.middle(x)
        for layer, skip in zip(self.up, reversed(skips), strict=True):
            x = layer(torch.cat([x, skip], dim=1))  # (N, C + C_skip, h, w) -> (N, C', 2h, 2w)
        return x


class PatchGAN(nn.Module):
    """A fully convolutional D that classifies each overlapping patch as real or fake (Isola et al. 2017,
    section 3.2.2; also CycleGAN's D). Two stride-2 layers for images up to 32 px, three above: patches of
    about a quarter to a half of the image. (N, C, H, W) -> (N, P) logits, P patches."""

    def __init__(self, in_channels: int, width: int, side: int, norm: str = "batch") -> None:
        super().__init__()
        n_down = 2 if side <= 32 else 3
        layers: list[nn.Module] = [nn.Conv2d(in_channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        features = width
        for index in range(n_down):  # n_down - 1 more stride-2 layers, then one stride-1 layer
            stride = 2 if index < n_down - 1 else 1
            layers += [nn.Conv2d(features, features * 2, 4, stride, 1), _norm(norm, features * 2)]
            layers.append(nn.LeakyReLU(0.2, True))
            features *= 2
        layers.append(nn.Conv2d(features, 1, 4, 1, 1))  # one logit per patch
        self.net = nn.Sequential(*layers)
        self.apply(_init)
        if norm == "spectral":
            for index, layer in enumerate(self.net):
                if isinstance(layer, nn.Conv2d):
                    self.net[index] = spectral_norm(layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)  # (N, 1, h, w) -> (N, h * w)


class ResidualBlock(nn.Module):
    """x + F(x), F = conv-norm-ReLU-conv-norm (He et al. 2016; as used by CycleGAN and SRResNet)."""

    def __init__(self, channels: int, norm: str, activation: nn.Module) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1),
            _norm(norm, channels),
            activation,
            nn.Conv2d(channels, channels, 3, 1, 1),
            _norm(norm, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator (Zhu et al. 2017, appendix, after Johnson et al. 2016): c7s1-w, two stride-2
    convolutions, residual blocks, two fractionally strided convolutions, c7s1-C with tanh; instance norm."""

    def __init__(self, channels: int, width: int, blocks: int, norm: str = "instance") -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 7, 1, 3), _norm(norm, width), nn.ReLU(True)]
        features = width
        for _ in range(2):  # (N, w, H, W) -> (N, 4w, H/4, W/4)
            layers += [nn.Conv2d(features, features * 2, 3, 2, 1), _norm(norm, features * 2), nn.ReLU(True)]
            features *= 2
        layers += [ResidualBlock(features, norm, nn.ReLU(True)) for _ in range(blocks)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(features, features // 2, 3, 2, 1, output_padding=1)]
            layers += [_norm(norm, features // 2), nn.ReLU(True)]
            features //= 2
        layers += [nn.Conv2d(features, channels, 7, 1, 3), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        self.apply(_init)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CycleGenerators(nn.Module):
    """G: X -> Y and F: Y -> X of CycleGAN held as one module, so the loop's one optimiser for G covers both
    (the paper optimises them jointly too). ``forward`` translates A -> B; ``reverse=True`` B -> A."""

    def __init__(self, G_AB: nn.Module, G_BA: nn.Module) -> None:
        super().__init__()
        self.G_AB = G_AB
        self.G_BA = G_BA

    def forward(self, x: torch.Tensor, reverse: bool = False) -> torch.Tensor:
        return self.G_BA(x) if reverse else self.G_AB(x)


class CycleDiscriminators(nn.Module):
    """D_A (real A vs F(b)) and D_B (real B vs G(a)) as one module, for the loop's one optimiser for D.
    ``forward`` asks D_B (is this a real image of B?); ``domain="a"`` asks D_A."""

    def __init__(self, D_A: nn.Module, D_B: nn.Module) -> None:
        super().__init__()
        self.D_A = D_A
        self.D_B = D_B

    def forward(self, x: torch.Tensor, domain: str = "b") -> torch.Tensor:
        return self.D_A(x) if domain == "a" else self.D_B(x)


class SRResNet(nn.Module):
    """The SRGAN generator (Ledig et al. 2017, figure 4), scaled down: conv-PReLU, B residual blocks with
    batch norm and PReLU, a long skip, then log2(scale) sub-pixel convolutions (Shi et al. 2016) that each
    double the side.

    One change: the network predicts the difference from bicubic upsampling (a global residual, as in VDSR,
    Kim, Lee and Lee 2016), with the last convolution zeroed, so G starts at the bicubic baseline and spends
    its few CPU steps on the detail bicubic misses.
    """

    def __init__(self, channels: int, width: int, blocks: int, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self.head = nn.Sequential(nn.Conv2d(channels, width, 5, 1, 2), nn.PReLU(width))
        self.blocks = nn.Sequential(*[ResidualBlock(width, "batch", nn.PReLU(width)) for _ in range(blocks)])
        self.after_blocks = nn.Sequential(nn.Conv2d(width, width, 3, 1, 1), nn.BatchNorm2d(width))
        upsample: list[nn.Module] = []
        for _ in range(int(math.log2(scale))):  # (N, w, h, w') -> (N, 4w, h, w') -> (N, w, 2h, 2w')
            upsample += [nn.Conv2d(width, width * 4, 3, 1, 1), nn.PixelShuffle(2), nn.PReLU(width)]
        self.upsample = nn.Sequential(*upsample)
        self.tail = nn.Conv2d(width, channels, 3, 1, 1)
        nn.init.zeros_(self.tail.weight)
        nn.init.zeros_(self.tail.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bicubic = F.interpolate(x, scale_factor=self.scale, mode="bicubic", align_corners=False)
        features = self.head(x)
        features = features + self.after_blocks(self.blocks(features))  # the long skip of figure 4
        return bicubic + self.tail(self.upsample(features))  # (N, C, scale * h, scale * w)
