"""``ganforge translate RUN --input PATH --out PATH``: apply a trained task's G to new images.

Inputs are a ``.npy`` array (float in [-1, 1], N x C x H x W, as ``ganforge sample`` writes; or uint8
in [0, 255]), one image file, or a folder of image files. Outputs are a ``.npy`` array (float32 in
[-1, 1]), a ``.png`` grid of input | output pairs, or a folder of PNGs named after the inputs.
Images must already have the size and channels G reads: a clear error says which, never a silent resize.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.atomic import atomic_path
from ganforge.data.folder import EXTENSIONS, read_picture
from ganforge.errors import GanforgeError
from ganforge.limits import load_npy
from ganforge.output import check_output, writing
from ganforge.tasks import task_of
from ganforge.trained import TrainedGAN, load
from ganforge.viz.grid import save_image_grid

SUFFIXES = (".npy", ".png")


@dataclass
class Translation:
    """What ``translate`` did: how many images, from which step, written where."""

    count: int
    step: int
    out: Path


def translate(
    run: str | os.PathLike,
    source: str | os.PathLike,
    out: str | os.PathLike,
    reverse: bool = False,
    seed: int = 0,
    device: str = "auto",
    batch_size: int = 500,
    overwrite: bool = False,
) -> Translation:
    """Translate the images at ``source`` with RUN's generator (B -> A with ``reverse``, cyclegan only);
    for inpainting, holes are cut by the run's mask rule (random boxes drawn from ``seed``)."""
    target = check_output(out, "--out", SUFFIXES, overwrite, run=run, folder=True)
    trained = load(run, device=device)
    images, names = read_images(Path(source), _input_size(trained))
    outputs, inputs = trained.translate_with_inputs(images, reverse, seed, batch_size, where=str(source))
    with writing(target, "--out"):
        _write(target, outputs, inputs, names)
    return Translation(len(outputs), trained.step, target)


def read_images(path: Path, size: tuple[int, int] | None = None) -> tuple[torch.Tensor, list[str]]:
    """(N, C, H, W) float32 in [-1, 1] from a .npy file, an image file or a folder of them, with names; image
    files must be ``size`` (W, H) pixels when given, checked from each header before decoding."""
    if not path.exists():
        raise GanforgeError(f"--input {path} does not exist", "give a .npy file, an image or a folder of images")
    if path.suffix.lower() == ".npy":
        return _read_npy(path)
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix.lower() in EXTENSIONS)
    if not files:
        raise GanforgeError(f"--input {path} holds no images", f"use {', '.join(sorted(EXTENSIONS))} files or a .npy")
    arrays = [read_picture(file, size) for file in files]
    shapes = {array.shape for array in arrays}
    if len(shapes) > 1:
        raise GanforgeError(
            f"the images in {path} differ in size or channels ({len(shapes)} kinds)", "make them one size"
        )
    pixels = torch.from_numpy(np.stack(arrays)).float().div(127.5).sub(1)  # (N, H, W, C) in [-1, 1]
    return pixels.permute(0, 3, 1, 2).contiguous(), [file.stem for file in files]


def _read_npy(path: Path) -> tuple[torch.Tensor, list[str]]:
    array = load_npy(path)  # its header checked first: shape against the file's size and the memory free
    if array.ndim != 4:
        raise GanforgeError(f"{path} holds an array of shape {array.shape}", "give images shaped N x C x H x W")
    if array.dtype == np.uint8:
        images = torch.from_numpy(array).float().div(127.5).sub(1)
    elif np.issubdtype(array.dtype, np.floating):
        images = torch.from_numpy(array.astype(np.float32))
    else:
        raise GanforgeError(f"{path} holds {array.dtype} values", "give float32 in [-1, 1] or uint8 in [0, 255]")
    return images, [f"{index:05d}" for index in range(len(images))]


def _input_size(trained: TrainedGAN) -> tuple[int, int] | None:
    """(W, H) of the images an image-to-image run takes (``Task.input_shape``); None for other runs, which
    ``translate_with_inputs`` refuses with its own message."""
    task = task_of(trained.config)
    if task is None:
        return None
    shape = task.input_shape(trained.config, trained.data_shape)
    return (shape[2], shape[1])


def _write(target: Path, outputs: torch.Tensor, inputs: torch.Tensor, names: list[str]) -> None:
    if target.suffix.lower() == ".npy":
        with atomic_path(target) as tmp, open(tmp, "wb") as handle:
            np.save(handle, outputs.numpy().astype(np.float32))
    elif target.suffix.lower() == ".png":  # input | output pairs, four pairs to a row
        save_image_grid(torch.stack([inputs.cpu(), outputs], 1).flatten(0, 1), target, nrow=8)
    else:
        target.mkdir(parents=True, exist_ok=True)
        pixels = ((outputs.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()
        for array, name in zip(pixels, names, strict=True):  # each at its own size, not enlarged like a grid
            picture = Image.fromarray(array[:, :, 0] if array.shape[2] == 1 else array)
            with atomic_path(target / f"{name}.png") as tmp:
                picture.save(tmp, format="PNG")
