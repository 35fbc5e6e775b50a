"""``folder:PATH``: any folder of images, decoded once at ``data.image_size``, cached as uint8.

An image of another shape than the size asked (``--image-size 48x32`` is 48 high and 32 wide; the default
is a 64 px square) becomes that size as ``data.fit`` says: ``crop`` (the default) scales it to cover the size
and keeps the centre; ``pad`` scales it to fit inside and letterboxes it on black, so the whole image is
kept at its aspect ratio; ``stretch`` resizes the whole image to the size, changing its aspect ratio.

Images in sub-folders take the sub-folder's name as their class (``PATH/cats/1.png`` is class
"cats"); images directly in PATH form one class. Files that cannot be decoded, empty files and images
too small to use are skipped and counted in one notice. The decoded tensor is cached under
``~/.cache/ganforge/folders/``, keyed by the folder, the size and every file's size and mtime, so a
changed folder is decoded afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from ganforge.atomic import atomic_path
from ganforge.config import image_shape
from ganforge.data import sources
from ganforge.data.images import ImageData
from ganforge.errors import GanforgeError
from ganforge.limits import MAX_PIXELS, TooLarge, open_image

log = logging.getLogger("ganforge")

PREFIX = "folder:"
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
DEFAULT_SIZE = 64
MIN_SIDE = 8  # images smaller than this on either side carry too little to learn from
FITS = ("crop", "pad", "stretch")  # data.fit: how an image of another shape becomes the size asked
GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


def read_picture(file: Path, size: tuple[int, int] | None = None, what: str = "image") -> np.ndarray:
    """One picture file as (H, W, C) uint8, grey (one channel) or RGB; its size, read from the header before
    decoding, must be ``size`` (W, H) when given. ``what`` names it in the one-line errors ("image", "frame")."""
    try:
        with open_image(file) as picture:
            if size is not None and picture.size != size:  # before decoding: a huge image costs nothing
                raise GanforgeError(
                    f"{what} {file} is {picture.size[0]} x {picture.size[1]} pixels, but this run's G reads "
                    f"{size[0]} x {size[1]}", "resize the images to the size the run was trained on"
                )
            picture.load()
            grey = picture.mode in GREY_MODES
            array = np.asarray(picture.convert("L" if grey else "RGB"))
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise GanforgeError(f"cannot read {what} {file} ({error})", "remove it or convert it to PNG") from None
    return array[:, :, None] if grey else array  # (H, W, C)


def folder_path(name: str) -> Path:
    """``folder:PATH`` -> PATH."""
    return Path(name[len(PREFIX) :]).expanduser()


def load_folder(name: str, size: int | str | None, fit: str = "crop") -> ImageData:
    """Load every image under the folder ``name`` names at ``size`` (a side or 'HxW'; default 64 x 64) as uint8
    images, each made that shape as ``fit`` says (``FITS``)."""
    root = folder_path(name)
    if not root.is_dir():
        raise GanforgeError(f"image folder {root} does not exist", "give --dataset folder:PATH with a folder of images")
    if fit not in FITS:
        raise GanforgeError(f"data.fit='{fit}' is not a way to fit images", f"choose one of: {', '.join(FITS)}")
    shape = image_shape(size) or (DEFAULT_SIZE, DEFAULT_SIZE)
    files = sorted(path for path in root.rglob("*") if path.suffix.lower() in EXTENSIONS and path.is_file())
    cache = sources.cache_root() / "folders" / f"{_fingerprint(root, shape, fit, files)}.safetensors"
    cached = _read_cache(cache)
    if cached is not None:
        images, labels, class_names = cached
    else:
        images, labels, class_names = _decode(root, files, shape, fit)
        with atomic_path(cache) as tmp:
            save_file({"images": images, "labels": labels}, str(tmp), metadata={"classes": json.dumps(class_names)})
    return ImageData(name, images, labels, len(class_names), str(root), class_names)


def _decode(
    root: Path, files: list[Path], shape: tuple[int, int], fit: str
) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Every usable file as a picture of ``shape`` (height, width), reduced as it is read: at most one full-size image
    is in memory at a time, and one whose header claims too many pixels is skipped before decoding."""
    skipped: Counter[str] = Counter()
    pictures: list[Image.Image] = []
    classes: list[str] = []
    for path in files:
        picture = _open(path, shape, fit, skipped)
        if picture is not None:
            pictures.append(picture)
            classes.append(path.parent.relative_to(root).as_posix() if path.parent != root else ".")
    if skipped:
        detail = ", ".join(f"{count} {reason}" for reason, count in sorted(skipped.items()))
        log.warning("folder %s: skipped %d of %d files (%s)", root, sum(skipped.values()), len(files), detail)
    if not pictures:
        raise GanforgeError(
            f"image folder {root} holds no usable images", f"add {', '.join(sorted(EXTENSIONS))} files to it"
        )
    grey = all(picture.mode == "L" for picture in pictures)
    arrays = [np.asarray(picture if grey else picture.convert("RGB")) for picture in pictures]
    images = torch.from_numpy(np.stack(arrays))  # (N, H, W) or (N, H, W, 3)
    images = images[:, None] if grey else images.permute(0, 3, 1, 2)
    class_names = sorted(set(classes))
    labels = torch.tensor([class_names.index(name) for name in classes], dtype=torch.int64)
    return images.contiguous(), labels, class_names


def _open(path: Path, shape: tuple[int, int], fit: str, skipped: Counter[str]) -> Image.Image | None:
    """The image at ``path`` as a picture of ``shape`` (mode L or RGB), or None (counted in ``skipped``)."""
    if path.stat().st_size == 0:
        skipped["empty"] += 1
        return None
    try:
        with open_image(path) as picture:
            if min(picture.size) < MIN_SIDE:
                skipped[f"smaller than {MIN_SIDE} px"] += 1
                return None
            grey = picture.mode in GREY_MODES
            picture.draft("L" if grey else "RGB", (shape[1], shape[0]))  # JPEG: decode at a reduced scale already
            picture.load()
            return fit_picture(picture.convert("L" if grey else "RGB"), shape, fit)
    except TooLarge:
        skipped[f"over {MAX_PIXELS:,} pixels"] += 1
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        skipped["unreadable"] += 1
    return None


def fit_picture(picture: Image.Image, shape: tuple[int, int], fit: str) -> Image.Image:
    """``picture`` made ``shape`` = (height, width) as ``fit`` says: crop, pad or stretch (the module's doc)."""
    height, width = shape
    if fit == "stretch":
        return picture.resize((width, height), Image.BICUBIC)
    cover = fit == "crop"  # crop: scale to cover the shape; pad: scale to fit inside it
    scale = (max if cover else min)(width / picture.width, height / picture.height)
    bound = max if cover else min  # never short of the shape when covering it, never over it when fitting inside
    scaled = (bound(width, round(picture.width * scale)), bound(height, round(picture.height * scale)))
    resized = picture.resize((max(1, scaled[0]), max(1, scaled[1])), Image.BICUBIC)
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    if cover:
        return resized.crop((left, top, left + width, top + height))
    canvas = Image.new(resized.mode, (width, height))  # black
    canvas.paste(resized, (-left, -top))
    return canvas


def _fingerprint(root: Path, shape: tuple[int, int], fit: str, files: list[Path]) -> str:
    digest = hashlib.sha256(f"{root.resolve()}|{shape[0]}x{shape[1]}|{fit}".encode())
    for path in files:
        stat = path.stat()
        digest.update(f"|{path.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


def _read_cache(path: Path) -> tuple[torch.Tensor, torch.Tensor, list[str]] | None:
    if not path.is_file():
        return None
    try:
        with safe_open(str(path), framework="pt") as handle:
            class_names = json.loads((handle.metadata() or {})["classes"])
        tensors = load_file(str(path))
        return tensors["images"], tensors["labels"], class_names
    except (SafetensorError, OSError, ValueError, KeyError):
        log.warning("folder cache %s is unreadable; decoding the folder again", path)
        return None
