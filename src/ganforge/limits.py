"""What reading an input may cost, checked from its header before it is decoded.

An image's header gives its size and a ``.npy`` file's header its shape and dtype, so both are checked
before a single pixel is decoded: a 420 KB PNG claiming 12000 x 12000 pixels, or an array header that
lies about its shape, is refused with one line naming the file, never a gigabyte allocation or a
traceback. Images are reduced to the size training uses as they are read (``data/folder.py``), so at most
one full-size image is in memory at a time.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge.errors import GanforgeError
from ganforge.resources import check_fits

MAX_PIXELS = 40_000_000  # per image: 8000 x 5000; below Pillow's own bomb warning (89 million)


class TooLarge(GanforgeError):
    """An input whose header says it would cost more than ganforge reads."""


def open_image(path: Path, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Open an image lazily (header only) and refuse it (``TooLarge``) when it holds over ``max_pixels``.

    The caller decodes it (``load``, ``convert``, ``resize``) within a ``with`` block. Pillow's own
    decompression-bomb check stays on behind this one; its warning becomes the same refusal.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            picture = Image.open(path)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise TooLarge(f"image {path} is over the {max_pixels:,} pixels ganforge reads",
                           "resize it first") from None  # fmt: skip
    width, height = picture.size
    if width * height > max_pixels:
        picture.close()
        raise TooLarge(
            f"image {path} is {width} x {height} pixels by its header, over the {max_pixels:,} ganforge reads",
            "resize it first (training uses a few hundred pixels a side at most)",
        )
    return picture


def npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype]:
    """(shape, dtype) of a ``.npy`` file from its header alone, checked against the file's size and against the
    memory free: a header that lies about the shape, or an array too large to load, is refused by name."""
    try:
        with open(path, "rb") as handle:
            major, _ = np.lib.format.read_magic(handle)
            if major == 1:
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            elif major in (2, 3):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            else:
                raise ValueError(f"unknown .npy version {major}")
            offset = handle.tell()
    except (ValueError, OSError, SyntaxError, TypeError) as error:
        raise GanforgeError(f"{path} is not a readable .npy file ({error})", "save it with numpy.save") from None
    if dtype.hasobject:
        raise GanforgeError(f"{path} holds Python objects, which ganforge never unpickles", "save a numeric array")
    expected = math.prod(shape) * dtype.itemsize
    actual = os.path.getsize(path) - offset
    if expected != actual:
        raise GanforgeError(
            f"{path}: its header says shape {shape} of {dtype} ({expected:,} bytes) but the file holds {actual:,}",
            "the file is truncated or damaged; write it again with numpy.save",
        )
    check_fits(expected, torch.device("cpu"), f"reading {path}", "give a smaller array")
    return shape, dtype


def load_npy(path: Path) -> np.ndarray:
    """A ``.npy`` file, after ``npy_header`` has checked what it costs. Nothing is unpickled."""
    npy_header(path)
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError) as error:
        raise GanforgeError(f"{path} is not a readable .npy file ({error})", "save it with numpy.save") from None


def check_sample_count(n: int, values_per_sample: int, what: str = "samples") -> None:
    """Refuse ``n`` samples of ``values_per_sample`` float32 values each before anything is allocated."""
    check_fits(n * values_per_sample * 4, torch.device("cpu"), f"{n:,} {what}",
               "ask for fewer, or draw them in several calls with different seeds")  # fmt: skip
