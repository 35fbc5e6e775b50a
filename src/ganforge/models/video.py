"""The networks of adversarial video prediction (Mathieu, Couprie and LeCun 2016, section 2 and 3).

G is multi-scale: scales s_1 < ... < s_K (the frame's side halved K - 1 times, the coarsest at least 8 px).
At each scale a small convolutional net G'_k reads the context frames at that scale beside the upsampled
prediction of the scale below and adds a correction to it (their eq. 4):

    Y_k = u_k(Y_{k-1}) + G'_k(X_k, u_k(Y_{k-1}))

with a leaky clamp for their final tanh (a tanh saturates on a background of exactly -1), clamped to
[-1, 1] when the network is in eval mode. Frames travel stacked along channels:
context (N, T_in * C, H, W) -> prediction (N, T_out * C, H, W).

D is multi-scale too: at each scale a strided convolutional net judges the context frames beside the
(true or predicted) future frames, both resized to that scale; it returns one logit per scale, (N, K).
``Clip3dD`` is the option the issue asks for: one 3-D convolutional D over the whole clip (context and
future as a time axis), (N,) logits. Both read the clip only; they never choose a loss.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

MIN_SCALE_SIDE = 8  # the coarsest scale: 8 px, their s_1 for 32 px patches was 4
MAX_SCALES = 4  # their four scales
LEAK = 0.01  # the slope of G's output beyond [-1, 1]


def scale_sides(side: int) -> list[int]:
    """The sides of the scales, coarsest first: side, side/2, ... down to at least 8 px, at most 4 scales."""
    sides = [side]
    while len(sides) < MAX_SCALES and sides[-1] % 2 == 0 and sides[-1] // 2 >= MIN_SCALE_SIDE:
        sides.append(sides[-1] // 2)
    return sides[::-1]


def resize(frames: Tensor, side: int) -> Tensor:
    """Frames (N, C, H, W) at ``side`` x ``side``: block averages when shrinking (their downsampling)."""
    if frames.shape[-1] == side:
        return frames
    return F.adaptive_avg_pool2d(frames, side)


class ScaleNet(nn.Module):
    """G'_k: four 3 x 3 convolutions, width -> 2 width -> width -> the correction of T_out * C channels."""

    def __init__(self, in_channels: int, out_channels: int, width: int) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(2 * width, width, 3, padding=1), nn.ReLU(),
            nn.Conv2d(width, out_channels, 3, padding=1),
        )  # fmt: skip

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


class MultiScaleG(nn.Module):
    """Context frames (N, T_in * C, H, W) -> predicted frames (N, T_out * C, H, W) in [-1, 1]."""

    def __init__(self, in_channels: int, out_channels: int, width: int, side: int) -> None:
        super().__init__()
        self.sides = scale_sides(side)
        self.out_channels = out_channels
        self.scales = nn.ModuleList(
            ScaleNet(in_channels + (out_channels if k else 0), out_channels, width) for k in range(len(self.sides))
        )

    def pyramid(self, context: Tensor) -> list[Tensor]:
        """The prediction at every scale, coarsest first, each (N, T_out * C, s_k, s_k)."""
        outputs: list[Tensor] = []
        for side, net in zip(self.sides, self.scales, strict=True):
            x = resize(context, side)  # X_k
            if not outputs:
                outputs.append(net(x))  # the coarsest scale predicts from the context alone
                continue
            up = F.interpolate(outputs[-1], size=(side, side), mode="bilinear", align_corners=False)  # u_k(Y_{k-1})
            outputs.append(up + net(torch.cat([x, up], dim=1)))  # eq. 4: the coarser guess plus a correction
        return outputs

    def forward(self, context: Tensor) -> Tensor:
        """The finest prediction through a leaky clamp: linear in [-1, 1] and 100 times flatter outside, so a
        black background (exactly -1) is reached without the vanishing gradient of a tanh and without the
        noise of a linear output; clamped to [-1, 1] in eval mode."""
        prediction = leaky_clamp(self.pyramid(context)[-1])
        return prediction if self.training else prediction.clamp(-1, 1)


def leaky_clamp(x: Tensor, slope: float = LEAK) -> Tensor:
    """x in [-1, 1]; beyond, the excess scaled by ``slope``: -1 + slope (x + 1) below, 1 + slope (x - 1) above."""
    return x.clamp(-1, 1) + slope * (x - x.clamp(-1, 1))


def _conv(in_channels: int, out_channels: int, norm: str, stride: int = 2) -> nn.Module:
    layer = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1)
    return spectral_norm(layer) if norm == "spectral" else layer


class ScaleD(nn.Module):
    """D_k: strided 3 x 3 convolutions down to 4 x 4 (or less), then one linear logit."""

    def __init__(self, in_channels: int, width: int, side: int, norm: str) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        while side > 4:
            layers += [_conv(channels, width, norm), nn.LeakyReLU(0.2)]
            channels, side, width = width, (side + 1) // 2, min(2 * width, 256)
        self.body = nn.Sequential(*layers)
        linear = nn.Linear(channels * side * side, 1)
        self.head = spectral_norm(linear) if norm == "spectral" else linear

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x).flatten(1)).squeeze(1)


class MultiScaleD(nn.Module):
    """Clips (N, (T_in + T_out) * C, H, W) -> one logit per scale, (N, K)."""

    def __init__(self, in_channels: int, width: int, side: int, norm: str = "none") -> None:
        super().__init__()
        self.sides = scale_sides(side)
        self.scales = nn.ModuleList(ScaleD(in_channels, width, s, norm) for s in self.sides)

    def forward(self, clip: Tensor) -> Tensor:
        return torch.stack([net(resize(clip, side)) for side, net in zip(self.sides, self.scales, strict=True)], 1)


class Clip3dD(nn.Module):
    """Clips (N, T * C, H, W) -> (N,) logits by 3-D convolutions over (time, height, width)."""

    def __init__(self, channels: int, width: int, norm: str = "none") -> None:
        super().__init__()
        self.channels = channels

        def conv(a: int, b: int, stride: tuple[int, int, int]) -> nn.Module:
            layer = nn.Conv3d(a, b, 3, stride=stride, padding=1)
            return spectral_norm(layer) if norm == "spectral" else layer

        self.body = nn.Sequential(
            conv(channels, width, (1, 2, 2)), nn.LeakyReLU(0.2),
            conv(width, 2 * width, (2, 2, 2)), nn.LeakyReLU(0.2),
            conv(2 * width, 4 * width, (2, 2, 2)), nn.LeakyReLU(0.2),
        )  # fmt: skip
        linear = nn.Linear(4 * width, 1)
        self.head = spectral_norm(linear) if norm == "spectral" else linear

    def forward(self, clip: Tensor) -> Tensor:
        n, stacked, height, width = clip.shape
        x = clip.view(n, stacked // self.channels, self.channels, height, width).transpose(1, 2)  # (N, C, T, H, W)
        return self.head(self.body(x).mean(dim=(2, 3, 4))).squeeze(1)
