"""Pictures of samples: a PNG grid for images, a scatter plot for 2-D points."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image
from torch import Tensor
from torchvision.utils import make_grid

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError

PADDING = 2  # pixels between cells (and around the border) of a grid
PAD_VALUE = 0.5  # mid-grey lines, so cells stay apart on both black and white backgrounds
SMALL_SIDE = 64  # images smaller than this are enlarged by a whole factor so a grid is easy to see


def grid_image(images: Tensor, nrow: int | None = None) -> Image.Image:
    """Lay out ``images`` (N, C, H, W) in [-1, 1] as one Pillow image, ``nrow`` per row.

    ``nrow`` defaults to ceil(sqrt(N)). Images smaller than 64 px are enlarged by the whole factor
    ``64 // max(H, W)`` with nearest-neighbour sampling (28 px MNIST -> 56 px cells), so pixels stay
    crisp. One-channel images give a grayscale picture, three-channel images an RGB one.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise GanforgeError(
            f"cannot draw a grid of a tensor of shape {tuple(images.shape)}",
            "pass images shaped (N, C, H, W) with N >= 1 and C = 1 or 3",
        )
    n, channels, height, width = images.shape
    if nrow is None:
        nrow = math.ceil(math.sqrt(n))
    if nrow < 1:
        raise GanforgeError(f"nrow={nrow} is not a positive number of images per row", "use nrow >= 1")

    # A diverged generator can emit NaN; draw it as mid-grey rather than failing to save the snapshot.
    images = torch.nan_to_num(images.detach().float().cpu(), nan=0.0)
    images = (images.clamp(-1, 1) + 1) / 2  # [-1, 1] -> [0, 1]
    scale = max(1, SMALL_SIDE // max(height, width))
    if scale > 1:
        images = F.interpolate(images, scale_factor=scale, mode="nearest")

    grid = make_grid(
        images, nrow=nrow, padding=PADDING, pad_value=PAD_VALUE
    )  # (3, H', W'); channels repeated when C = 1
    if n == 1:  # make_grid returns a lone image unpadded; pad it so the layout rule has no exception
        grid = F.pad(grid, (PADDING,) * 4, value=PAD_VALUE)
    pixels = (grid * 255 + 0.5).clamp(0, 255).to(torch.uint8).permute(1, 2, 0).numpy()  # (H', W', 3)
    if channels == 1:
        return Image.fromarray(pixels[:, :, 0].copy(), mode="L")
    return Image.fromarray(pixels, mode="RGB")


def save_image_grid(images: Tensor, path: str | os.PathLike, nrow: int | None = None) -> Path:
    """Save ``images`` (N, C, H, W) in [-1, 1] as a PNG grid with ``nrow`` images per row; return the path.

    The picture is ``nrow * (s*W + 2) + 2`` pixels wide and ``rows * (s*H + 2) + 2`` high, where ``s`` is
    the enlargement of :func:`grid_image` (2 for 28 or 32 px images, 1 from 64 px up).
    """
    picture = grid_image(images, nrow)
    with atomic_path(path) as tmp:
        picture.save(tmp, format="PNG")
    return Path(path)


def save_points_plot(
    points: Tensor,
    path: str | os.PathLike,
    real: Tensor | None = None,
    centers: Tensor | None = None,
    title: str | None = None,
    limits: float | None = None,
) -> Path:
    """Save a scatter plot of 2-D samples ``points`` (N, 2) as a PNG; return the path.

    ``real`` points are drawn faintly behind, the mixture ``centers`` as crosses on top. ``limits``
    fixes both axes to [-limits, limits] so that the frames of an animation line up.
    """
    figure = Figure(figsize=(5, 5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    layers = [  # drawn in this order: real behind, centres on top
        ("real", real, dict(s=5, color="0.55", alpha=0.25, marker="o", linewidths=0)),
        ("generated", points, dict(s=6, color="tab:blue", alpha=0.6, marker="o", linewidths=0)),
        ("mode centres", centers, dict(s=60, color="tab:red", marker="x", linewidths=1.5)),
    ]
    legend_handles = []
    for label, layer, style in layers:
        if layer is None:
            continue
        layer = _check_points(layer, label)
        axes.scatter(layer[:, 0], layer[:, 1], **style)
        # The dots are tiny and faint on purpose; the legend shows them at a readable size.
        legend_handles.append(Line2D([], [], linestyle="", marker=style["marker"], color=style["color"], label=label))
    axes.set_aspect("equal")
    if limits is not None:
        axes.set_xlim(-limits, limits)
        axes.set_ylim(-limits, limits)
    if title:
        axes.set_title(title)
    axes.grid(True, color="0.9", linewidth=0.5)
    axes.set_axisbelow(True)
    axes.legend(handles=legend_handles, loc="upper right", fontsize="small", framealpha=0.8)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png")
    return Path(path)


def save_samples(
    samples: Tensor,
    path: str | os.PathLike,
    title: str | None = None,
    real: Tensor | None = None,
    centers: Tensor | None = None,
    limits: float | None = None,
    nrow: int | None = None,
) -> Path:
    """Save ``samples`` the way their shape asks: images (N, C, H, W) as a grid, points (N, 2) as a plot.

    ``title``, ``real``, ``centers`` and ``limits`` apply to points only; an image grid carries no labels.
    ``nrow`` (images only) is the number of images per row, by default ceil(sqrt(N)).
    """
    if samples.dim() == 4:
        return save_image_grid(samples, path, nrow)
    if samples.dim() == 2 and samples.shape[1] == 2:
        return save_points_plot(samples, path, real=real, centers=centers, title=title, limits=limits)
    raise GanforgeError(
        f"cannot picture samples of shape {tuple(samples.shape)}",
        "pass images shaped (N, C, H, W) or 2-D points shaped (N, 2)",
    )


def _check_points(points: Tensor, name: str) -> Tensor:
    """Return ``points`` as a float CPU tensor after checking it is shaped (N, 2)."""
    if points.dim() != 2 or points.shape[1] != 2:
        raise GanforgeError(f"{name} has shape {tuple(points.shape)}", "pass 2-D points shaped (N, 2)")
    return points.detach().float().cpu()
