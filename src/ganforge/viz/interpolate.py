"""Walks through latent space: linear and spherical interpolation, and pictures of the walk."""

from __future__ import annotations

import math
import os
from pathlib import Path

import torch
from torch import Tensor

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError
from ganforge.viz.grid import grid_image

PARALLEL_COSINE = 0.9995  # beyond this |cos(angle)| the great circle is ill-defined; slerp falls back to lerp
GIF_SECONDS_PER_FRAME = 0.08
WALK_MODES = ("lerp", "slerp")


def lerp(z0: Tensor, z1: Tensor, t: Tensor) -> Tensor:
    """Linear interpolation (1 - t) z0 + t z1 between latents shaped (..., D).

    ``t`` holds one fraction per latent, without the D axis: its shape broadcasts against the batch
    axes of ``z0`` and ``z1``. So ``lerp(z0, z1, torch.linspace(0, 1, T))`` with z0, z1 of shape (D,)
    gives (T, D).
    """
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device).unsqueeze(-1)  # (..., 1)
    return (1 - t) * z0 + t * z1


def slerp(z0: Tensor, z1: Tensor, t: Tensor) -> Tensor:
    """Spherical interpolation between latents shaped (..., D) (White 2016, "Sampling generative networks").

    slerp(z0, z1; t) = sin((1 - t) w) / sin(w) z0 + sin(t w) / sin(w) z1, with w the angle between z0
    and z1. It follows the great circle, so for z0, z1 of equal norm every point keeps that norm, where a
    Gaussian prior puts its mass; lerp cuts through the low-density middle. Where z0 and z1 are (nearly)
    parallel or opposite the circle is ill-defined and lerp is used. ``t`` broadcasts as in :func:`lerp`.
    """
    t = torch.as_tensor(t, dtype=z0.dtype, device=z0.device).unsqueeze(-1)  # (..., 1)
    unit0 = z0 / z0.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    unit1 = z1 / z1.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    cosine = (unit0 * unit1).sum(dim=-1, keepdim=True).clamp(-1, 1)  # (..., 1)
    parallel = cosine.abs() > PARALLEL_COSINE
    # Clamping keeps sin(w) away from 0, so the branch that torch.where discards is never NaN or inf.
    omega = torch.acos(cosine.clamp(-PARALLEL_COSINE, PARALLEL_COSINE))
    spherical = (torch.sin((1 - t) * omega) * z0 + torch.sin(t * omega) * z1) / torch.sin(omega)
    return torch.where(parallel, (1 - t) * z0 + t * z1, spherical)


def latent_walk(keyframes: Tensor, steps: int, mode: str = "slerp") -> Tensor:
    """Latents visiting ``keyframes`` (K, D) in order, ``steps`` per leg: (K-1)*steps + 1 rows of size D.

    Row ``i * steps`` is keyframe ``i`` exactly; ``mode`` is "lerp" or "slerp".
    """
    if mode not in WALK_MODES:
        raise GanforgeError(f"unknown interpolation mode {mode!r}", f"use one of {', '.join(WALK_MODES)}")
    if keyframes.dim() != 2 or keyframes.shape[0] == 0:
        raise GanforgeError(f"keyframes have shape {tuple(keyframes.shape)}", "pass latents shaped (K, D) with K >= 1")
    if steps < 1:
        raise GanforgeError(f"steps={steps} is not a positive number of steps per leg", "use steps >= 1")
    interpolate = slerp if mode == "slerp" else lerp
    t = torch.arange(steps, dtype=keyframes.dtype, device=keyframes.device) / steps  # (steps,), 1 excluded
    legs = interpolate(keyframes[:-1, None, :], keyframes[1:, None, :], t[None, :])  # (K-1, steps, D)
    return torch.cat([legs.reshape(-1, keyframes.shape[1]), keyframes[-1:]])


def save_interpolation(frames: Tensor, out_path: str | os.PathLike, nrow: int | None = None) -> Path:
    """Picture ``frames`` (T, N, C, H, W) in [-1, 1]: T points along each of N walks; return the path.

    A ``.png`` is one grid with a row per walk and T columns (``nrow`` is not used). A ``.gif`` animates
    over T, each frame a grid of all N walks (``nrow`` per row, default all N up to 8, else ceil(sqrt(N))),
    playing forward then back so that the loop has no jump.
    """
    out_path = Path(out_path)
    suffix = out_path.suffix.lower()
    if suffix not in (".png", ".gif"):
        raise GanforgeError(
            f"cannot save an interpolation as {out_path.suffix or 'a file without a suffix'!r}",
            "end the file name in .png or .gif",
        )
    if frames.dim() != 5:
        raise GanforgeError(
            f"interpolation frames have shape {tuple(frames.shape)}", "pass frames shaped (T, N, C, H, W)"
        )
    steps, walks = frames.shape[:2]
    if suffix == ".png":
        by_walk = frames.transpose(0, 1).reshape(steps * walks, *frames.shape[2:])  # (N*T, C, H, W)
        picture = grid_image(by_walk, nrow=steps)
        with atomic_path(out_path) as tmp:
            picture.save(tmp, format="PNG")
        return out_path

    if nrow is None:
        nrow = walks if walks <= 8 else math.ceil(math.sqrt(walks))
    order = list(range(steps)) + list(range(steps - 2, 0, -1))  # boomerang: 0 .. T-1 .. 1
    pictures = [grid_image(frames[index], nrow=nrow) for index in order]
    with atomic_path(out_path) as tmp:
        pictures[0].save(
            tmp,
            format="GIF",
            save_all=True,
            append_images=pictures[1:],
            duration=round(1000 * GIF_SECONDS_PER_FRAME),
            loop=0,
        )
    return out_path
