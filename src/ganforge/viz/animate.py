"""Training progress as an animated GIF of the sample snapshots."""

from __future__ import annotations

import os
import re
from pathlib import Path

from PIL import Image

from ganforge.atomic import atomic_path
from ganforge.errors import GanforgeError


def step_of(path: str | os.PathLike) -> int:
    """The training step in a snapshot's file name: ``samples/step_001000.png`` -> 1000."""
    numbers = re.findall(r"\d+", Path(path).stem)
    if not numbers:
        raise GanforgeError(
            f"no step number in the file name {Path(path).name!r}",
            "name snapshots like step_001000.png",
        )
    return int(numbers[-1])


def make_gif(
    frames: list[Path],
    out_path: str | os.PathLike,
    seconds_per_frame: float = 0.25,
    hold_last: float = 2.0,
) -> Path:
    """Join the images ``frames`` into a looping GIF at ``out_path``; return the path.

    Each frame shows for ``seconds_per_frame`` and the last one for ``hold_last`` seconds, so the final
    samples can be looked at before the loop restarts. Frames of another size are resized to the first.
    """
    if not frames:
        raise GanforgeError("no frames to animate", "save at least one sample snapshot before making a GIF")
    if seconds_per_frame <= 0 or hold_last < 0:
        raise GanforgeError(
            f"seconds_per_frame={seconds_per_frame}, hold_last={hold_last}",
            "use seconds_per_frame > 0 and hold_last >= 0",
        )
    images = [_open_rgb(frame) for frame in frames]
    size = images[0].size
    images = [im if im.size == size else im.resize(size, Image.Resampling.LANCZOS) for im in images]
    durations_ms = [round(1000 * seconds_per_frame)] * len(images)
    durations_ms[-1] = round(1000 * max(hold_last, seconds_per_frame))
    with atomic_path(out_path) as tmp:
        images[0].save(
            tmp, format="GIF", save_all=True, append_images=images[1:], duration=durations_ms, loop=0
        )  # loop=0: repeat forever
    return Path(out_path)


def _open_rgb(path: str | os.PathLike) -> Image.Image:
    """Open an image file fully into memory as RGB, naming the file if it cannot be read."""
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except (OSError, ValueError) as error:
        raise GanforgeError(f"cannot read the frame {path} ({error})", "pass existing PNG files") from error
