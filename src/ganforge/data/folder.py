"""``folder:PATH``: any folder of images, decoded once, resized and centre-cropped, cached as uint8.

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
from ganforge.data import sources
from ganforge.data.images import ImageData
from ganforge.errors import GanforgeError
from ganforge.limits import MAX_PIXELS, TooLarge, open_image

log = logging.getLogger("ganforge")

PREFIX = "folder:"
EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
DEFAULT_SIZE = 64
MIN_SIDE = 8  # images smaller than this on either side carry too little to learn from
GREY_MODES = {"1", "L", "LA", "I", "I;16", "F"}


def folder_path(name: str) -> Path:
    """``folder:PATH`` -> PATH."""
    return Path(name[len(PREFIX) :]).expanduser()


def load_folder(name: str, size: int | None) -> ImageData:
    """Load every image under the folder ``name`` names as ``size`` x ``size`` (default 64) uint8 images."""
    root = folder_path(name)
    if not root.is_dir():
        raise GanforgeError(f"image folder {root} does not exist", "give --dataset folder:PATH with a folder of images")
    size = size or DEFAULT_SIZE
    files = sorted(path for path in root.rglob("*") if path.suffix.lower() in EXTENSIONS and path.is_file())
    cache = sources.cache_root() / "folders" / f"{_fingerprint(root, size, files)}.safetensors"
    cached = _read_cache(cache)
    if cached is not None:
        images, labels, class_names = cached
    else:
        images, labels, class_names = _decode(root, files, size)
        with atomic_path(cache) as tmp:
            save_file({"images": images, "labels": labels}, str(tmp), metadata={"classes": json.dumps(class_names)})
    return ImageData(name, images, labels, len(class_names), str(root), class_names)


def _decode(root: Path, files: list[Path], size: int) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """Every usable file as a ``size`` x ``size`` picture, reduced as it is read: at most one full-size image
    is in memory at a time, and one whose header claims too many pixels is skipped before decoding."""
    skipped: Counter[str] = Counter()
    pictures: list[Image.Image] = []
    classes: list[str] = []
    for path in files:
        picture = _open(path, size, skipped)
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


def _open(path: Path, size: int, skipped: Counter[str]) -> Image.Image | None:
    """The image at ``path`` as a ``size`` x ``size`` picture (mode L or RGB), or None (counted in ``skipped``)."""
    if path.stat().st_size == 0:
        skipped["empty"] += 1
        return None
    try:
        with open_image(path) as picture:
            if min(picture.size) < MIN_SIDE:
                skipped[f"smaller than {MIN_SIDE} px"] += 1
                return None
            grey = picture.mode in GREY_MODES
            picture.draft("L" if grey else "RGB", (size, size))  # JPEG: decode at a reduced scale already
            picture.load()
            return _square(picture.convert("L" if grey else "RGB"), size)
    except TooLarge:
        skipped[f"over {MAX_PIXELS:,} pixels"] += 1
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        skipped["unreadable"] += 1
    return None


def _square(picture: Image.Image, size: int) -> Image.Image:
    """Resize the shorter side to ``size`` and crop the centre square."""
    width, height = picture.size
    scale = size / min(width, height)
    resized = picture.resize((max(size, round(width * scale)), max(size, round(height * scale))), Image.BICUBIC)
    left, top = (resized.width - size) // 2, (resized.height - size) // 2
    return resized.crop((left, top, left + size, top + size))


def _fingerprint(root: Path, size: int, files: list[Path]) -> str:
    digest = hashlib.sha256(f"{root.resolve()}|{size}".encode())
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
