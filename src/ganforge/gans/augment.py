"""DiffAugment: differentiable augmentation of everything D sees (Zhao, Liu, Lin, Zhu and Han, 2020).

With little data D memorises the training images. Augmenting only the real images teaches G to produce
augmented images; DiffAugment instead applies the same *kind* of random transform to real and generated
images alike, every time D looks at either (in D's step and in G's), and every transform is differentiable,
so G's gradient flows back through it. The three policies of the paper, with its ratios:

    color        brightness + U(-0.5, 0.5), saturation x U(0, 2), contrast x U(0.5, 1.5), per image
    translation  shift by up to 1/8 of the side in each direction, zero-filled
    cutout       zero one square of half the side at a random place

Images are in [-1, 1] as everywhere in ganforge. Each image draws its own transform from a seeded
``torch.Generator`` that checkpoints save, so a resumed run augments exactly as an unbroken one would.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ganforge.errors import GanforgeError

TRANSLATION_RATIO = 0.125  # the paper's shift: up to 1/8 of the image side
CUTOUT_RATIO = 0.5  # the paper's cutout: a square of half the image side


def color(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random brightness, saturation and contrast per image; (N, C, H, W) -> (N, C, H, W)."""
    n = x.shape[0]
    x = x + (_uniform(n, x, generator) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)  # per-pixel grey level: saturation acts on colour only
    x = (x - mean) * (_uniform(n, x, generator) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(n, x, generator) + 0.5) + mean  # contrast


def translation(x: torch.Tensor, generator: torch.Generator, ratio: float = TRANSLATION_RATIO) -> torch.Tensor:
    """Shift each image by a random whole number of pixels in [-ratio * side, ratio * side], zero-filled."""
    n, _, height, width = x.shape
    shift_h, shift_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = torch.randint(-shift_h, shift_h + 1, (n, 1, 1), generator=generator, device=x.device)
    dx = torch.randint(-shift_w, shift_w + 1, (n, 1, 1), generator=generator, device=x.device)
    # Output pixel (i, j) reads input pixel (i + dy, j + dx) of the image padded with one ring of zeros;
    # sources beyond the border are clamped onto that ring, so they read zero. Indexing keeps gradients.
    rows = (torch.arange(height, device=x.device).view(1, height, 1) + dy + 1).clamp(0, height + 1)
    cols = (torch.arange(width, device=x.device).view(1, 1, width) + dx + 1).clamp(0, width + 1)
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1))  # (N, C, H + 2, W + 2)
    batch = torch.arange(n, device=x.device).view(n, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W)


def cutout(x: torch.Tensor, generator: torch.Generator, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    """Zero a square of ``ratio`` times the side in each image, centred anywhere (clipped at the border)."""
    n, _, height, width = x.shape
    size_h, size_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = torch.randint(0, height + (1 - size_h % 2), (n, 1, 1), generator=generator, device=x.device) - size_h // 2
    left = torch.randint(0, width + (1 - size_w % 2), (n, 1, 1), generator=generator, device=x.device) - size_w // 2
    rows = torch.arange(height, device=x.device).view(1, height, 1)
    cols = torch.arange(width, device=x.device).view(1, 1, width)
    inside = (rows >= top) & (rows < top + size_h) & (cols >= left) & (cols < left + size_w)  # (N, H, W)
    return x * (~inside).unsqueeze(1).to(x.dtype)


POLICIES: dict[str, Callable[[torch.Tensor, torch.Generator], torch.Tensor]] = {
    "color": color,
    "translation": translation,
    "cutout": cutout,
}


def parse_policies(text: str) -> list[str]:
    """``"translation,cutout"`` -> ["translation", "cutout"], in the paper's order (color, translation, cutout)."""
    names = [name.strip() for name in text.replace(" ", ",").split(",") if name.strip()]
    for name in names:
        if name not in POLICIES:
            raise GanforgeError(
                f"unknown augmentation policy '{name}' in train.augment={text!r}",
                f"choose from: {', '.join(POLICIES)} (comma-separated)",
            )
    return [name for name in POLICIES if name in names]


class DiffAugment:
    """The chosen policies, applied in the paper's order with per-image randomness from ``generator``."""

    def __init__(self, policies: list[str], generator: torch.Generator) -> None:
        self.policies = policies
        self.generator = generator

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise GanforgeError(
                f"DiffAugment transforms images (N, C, H, W), not tensors of shape {tuple(x.shape)}",
                "leave train.augment unset for 2-D data",
            )
        for name in self.policies:
            x = POLICIES[name](x, self.generator)
        return x


def _uniform(n: int, like: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """U[0, 1) per image, (n, 1, 1, 1), broadcast over channels and pixels."""
    return torch.rand(n, 1, 1, 1, generator=generator, device=like.device, dtype=like.dtype)
