"""The game in 2-D: frames of real points, generated points and D's output over the plane.

GAN Lab (Kahng et al. 2019) showed how much a live view of the game teaches: where D says "real",
where G's points go, and how both move. For ring and grid runs the training loop records one such
frame at every sample interval, beside the sample picture:

    samples/step_000500.png     the scatter plot (viz/grid.py)
    samples/step_000500.json    this module's frame: {step, limit, real, fake, field: {size, values}}

A frame costs one D forward pass over a FIELD_SIZE x FIELD_SIZE grid (4,096 points) and a few
kilobytes of JSON, written atomically; ``ganforge serve`` animates the frames.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganforge.atomic import write_text_atomic
from ganforge.gans import GAN

FIELD_SIZE = 64  # D is evaluated on a 64 x 64 grid over [-limit, limit]^2
FRAME_POINTS = 500  # real and generated points kept per frame
DECIMALS = 3  # coordinates and D's outputs are rounded: enough for a picture, and the file stays small
FRAME_SUFFIX = ".json"


def plane_grid(limit: float, size: int = FIELD_SIZE) -> Tensor:
    """``(size * size, 2)`` points on a square lattice over [-limit, limit]^2, row-major from the top.

    Row r (y from +limit down to -limit) and column c (x from -limit to +limit) is point ``r * size + c``,
    the order in which a canvas stores pixels.
    """
    axis = torch.linspace(-limit, limit, size)
    y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
    return torch.stack([x.reshape(-1), y.reshape(-1)], dim=1)


@torch.no_grad()
def discriminator_field(gan: GAN, limit: float, size: int = FIELD_SIZE) -> Tensor:
    """D's raw output (logit or critic score) on ``plane_grid(limit, size)``, (size * size,) on the CPU.

    D runs in eval mode so that a normalisation layer uses its running statistics and the frame leaves
    no trace in training (no batch statistics updated, no gradients).
    """
    device = next(gan.D.parameters()).device
    was_training = gan.D.training
    gan.D.eval()
    try:
        return gan.discriminate(plane_grid(limit, size).to(device)).float().cpu()
    finally:
        gan.D.train(was_training)


def frame_path(sample_path: str | os.PathLike) -> Path:
    """Where the game frame of a sample picture lives: the same name with .json."""
    return Path(sample_path).with_suffix(FRAME_SUFFIX)


def record_game_frame(
    sample_path: str | os.PathLike, gan: GAN, real: Tensor, fake: Tensor, limit: float, step: int, loss: str = ""
) -> Path:
    """Write the frame of the game at ``step`` beside ``sample_path`` and return its path.

    ``real`` and ``fake`` are (N, 2) points (the first FRAME_POINTS of each are kept); ``limit`` is the
    half-width of the plotted square, the same as the scatter plot's so frames line up. ``loss`` names the
    variant, so a viewer knows whether D's outputs are logits (sigmoid gives D(x)) or critic scores.
    """
    field = discriminator_field(gan, limit)
    frame: dict[str, Any] = {
        "step": int(step),
        "loss": loss,
        "limit": round(float(limit), DECIMALS),
        "real": _rounded(real[:FRAME_POINTS]),
        "fake": _rounded(fake[:FRAME_POINTS]),
        "field": {"size": FIELD_SIZE, "values": _rounded(field)},
    }
    return write_text_atomic(frame_path(sample_path), json.dumps(frame, separators=(",", ":")))


def read_game_frame(path: str | os.PathLike) -> dict[str, Any] | None:
    """A frame written by ``record_game_frame``, or None when it cannot be read (missing or not a frame)."""
    try:
        frame = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return frame if isinstance(frame, dict) and "field" in frame else None


def _rounded(values: Tensor) -> list[Any]:
    # NaN and Inf are not JSON: a diverged G is drawn as points at the origin rather than breaking the file
    values = torch.nan_to_num(values.detach().double().cpu(), nan=0.0, posinf=1e6, neginf=-1e6)
    return torch.round(values, decimals=DECIMALS).tolist()  # in float64, so 0.1 prints as 0.1
