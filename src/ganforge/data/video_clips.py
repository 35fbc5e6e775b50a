"""Users' clips: ``video:DIR`` datasets, the published Moving MNIST file, and one clip for ``ganforge predict``.

A clip is a sequence of frames of one size. On disk it is one of
- a ``.npy`` of shape (T, C, H, W): float32 in [-1, 1] (as ``ganforge sample`` writes images) or uint8;
- a folder of numbered frame images (``0.png, 1.png, ...`` or ``frame_001.png ...``), in numeric order;
- an animated GIF (``ganforge predict`` only).

``video:DIR`` reads every clip under DIR: one sub-folder of numbered frames per clip, or one ``.npy`` per
clip. ``video:FILE.npy`` reads a file laid out like the published ``mnist_test_seq.npy``: (T, N, H, W) uint8.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageSequence, UnidentifiedImageError
from torch import Tensor

from ganforge.data.folder import EXTENSIONS, read_picture
from ganforge.errors import GanforgeError
from ganforge.limits import load_npy, open_image

log = logging.getLogger("ganforge")

PREFIX = "video:"
CLIP_HELP = "a .npy of shape T x C x H x W, a folder of numbered frame images, or a GIF"


def read_published_array(path: Path) -> Tensor:
    """A file laid out like ``mnist_test_seq.npy``, (T, N, H, W) uint8 -> (N, T, 1, H, W) uint8."""
    array = load_npy(path)
    if array.ndim != 4 or array.dtype != np.uint8:
        raise GanforgeError(
            f"{path} holds {array.dtype} of shape {array.shape}, not Moving MNIST's (T, N, H, W) uint8",
            "give the published mnist_test_seq.npy, or a folder with --dataset video:DIR",
        )
    return torch.from_numpy(np.ascontiguousarray(array.transpose(1, 0, 2, 3)))[:, :, None]


def frame_number(path: Path) -> tuple[int, str]:
    """Sort key of a frame file: the last number in its name (frame_9 before frame_10), then the name."""
    numbers = re.findall(r"\d+", path.stem)
    return (int(numbers[-1]) if numbers else -1, path.name)


def read_clip(path: Path) -> Tensor:
    """One clip, (T, C, H, W) float32 in [-1, 1], from a .npy, a folder of numbered frames or a GIF."""
    if not path.exists():
        raise GanforgeError(f"--input {path} does not exist", f"give {CLIP_HELP}")
    if path.is_dir():
        return _to_unit(_read_frames(path))
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return _read_npy_clip(path)
    if suffix == ".gif":
        return _to_unit(_read_gif(path))
    raise GanforgeError(f"--input {path} is not a clip", f"give {CLIP_HELP}")


def load_clip_folder(name: str) -> tuple[Tensor, str]:
    """``video:DIR`` or ``video:FILE.npy`` -> clips (N, T, C, H, W) uint8 and where they came from; clips of
    different lengths are cut to the shortest (said in the log)."""
    root = Path(name[len(PREFIX) :]).expanduser()
    if root.is_file() and root.suffix.lower() == ".npy":
        return read_published_array(root), str(root)
    if not root.is_dir():
        raise GanforgeError(f"--dataset {name}: {root} is not a folder or a .npy file", "check the path")
    entries = sorted(p for p in root.iterdir() if p.is_dir() or p.suffix.lower() == ".npy")
    if not entries:
        raise GanforgeError(
            f"--dataset {name}: {root} holds no clips", "put one sub-folder of numbered frames, or one .npy, per clip"
        )
    clips = []
    for entry in entries:
        if entry.is_dir():
            clips.append(_read_frames(entry))
        else:
            clips.append(((_read_npy_clip(entry) + 1) * 127.5).round().clamp(0, 255).to(torch.uint8))
    shapes = {tuple(clip.shape[1:]) for clip in clips}
    if len(shapes) > 1:
        raise GanforgeError(f"--dataset {name}: the clips' frames differ in size or channels ({sorted(shapes)})",
                            "make every frame one size")  # fmt: skip
    shortest = min(len(clip) for clip in clips)
    if any(len(clip) != shortest for clip in clips):
        log.info("%s: clips cut to the shortest one's %d frames", name, shortest)
    return torch.stack([clip[:shortest] for clip in clips]), str(root)


def _read_npy_clip(path: Path) -> Tensor:
    array = load_npy(path)  # its header checked first: shape against the file's size and the memory free
    if array.ndim != 4:
        raise GanforgeError(f"{path} holds an array of shape {array.shape}, not a clip", "give frames as T x C x H x W")
    if array.dtype == np.uint8:
        return _to_unit(torch.from_numpy(array))
    if not np.issubdtype(array.dtype, np.floating):
        raise GanforgeError(f"{path} holds {array.dtype} values", "give float32 in [-1, 1] or uint8 in [0, 255]")
    clip = torch.from_numpy(array.astype(np.float32))
    if not torch.isfinite(clip).all() or clip.abs().max() > 1.0001:
        raise GanforgeError(f"{path} holds values outside [-1, 1]", "scale float frames to [-1, 1] (or give uint8)")
    return clip


def _read_frames(folder: Path) -> Tensor:
    """A folder of numbered frames -> (T, C, H, W) uint8."""
    files = sorted((p for p in folder.iterdir() if p.suffix.lower() in EXTENSIONS and p.is_file()), key=frame_number)
    if not files:
        raise GanforgeError(f"{folder} holds no frame images", f"use numbered {', '.join(sorted(EXTENSIONS))} files")
    frames = [read_picture(file, what="frame") for file in files]
    if len({frame.shape for frame in frames}) > 1:
        raise GanforgeError(f"the frames in {folder} differ in size or channels", "make every frame one size")
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).contiguous()


def _read_gif(path: Path) -> Tensor:
    """An animated GIF -> (T, C, H, W) uint8: grey (one channel) when every frame is grey."""
    try:
        with open_image(path) as picture:
            frames = [np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(picture)]
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise GanforgeError(f"cannot read GIF {path} ({error})", f"give {CLIP_HELP}") from None
    pixels = np.stack(frames)  # (T, H, W, 3)
    if (pixels == pixels[..., :1]).all():
        pixels = pixels[..., :1]
    return torch.from_numpy(np.ascontiguousarray(pixels)).permute(0, 3, 1, 2).contiguous()


def _to_unit(frames: Tensor) -> Tensor:
    return frames.float().div(127.5).sub(1)


def write_gif(frames: Tensor, path: Path, duration_ms: int = 200) -> None:
    """Frames (T, C, H, W) in [-1, 1] (or rows of pictures already laid out) -> an endlessly looping GIF."""
    pixels = ((frames.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).numpy()
    pictures = [Image.fromarray(p[:, :, 0] if p.shape[2] == 1 else p) for p in pixels]
    pictures[0].save(path, format="GIF", save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
