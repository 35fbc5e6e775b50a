"""``ganforge predict RUN --input CLIP --frames N --out OUT``: continue a clip with a trained video run.

The clip is a ``.npy`` of shape (T, C, H, W), float32 in [-1, 1] (as ``ganforge sample`` writes images) or
uint8, a folder of numbered frame images, or an animated GIF. A clip longer than the run's context is
conditioned on its last ``task.context`` frames. The predicted frames go to a ``.gif`` (looping), a
``.png`` strip (one row) or a ``.npy`` (N, C, H, W) float32 in [-1, 1].
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import torch

from ganforge.atomic import atomic_path
from ganforge.data.video_clips import read_clip, write_gif
from ganforge.errors import GanforgeError, check_positive
from ganforge.output import check_output, writing
from ganforge.tasks import task_of
from ganforge.tasks.video import VideoTask
from ganforge.trained import load
from ganforge.viz.grid import save_image_grid

SUFFIXES = (".gif", ".png", ".npy")
MAX_FRAMES = 1000  # a roll-out longer than this is a typo, not a wish


@dataclass
class Prediction:
    """What ``predict`` did: frames predicted from a clip's last ``context`` frames, by which step, where."""

    frames: int
    context: int
    step: int
    out: Path


def predict(
    run: str | Path, source: str | Path, frames: int, out: str | Path, device: str = "auto", overwrite: bool = False
) -> Prediction:
    """Predict ``frames`` frames after the clip at ``source`` with RUN's G and write them to ``out``."""
    check_positive("--frames", frames)
    if frames > MAX_FRAMES:
        raise GanforgeError(f"--frames {frames} is more than {MAX_FRAMES}", f"ask for at most {MAX_FRAMES} frames")
    target = check_output(out, "--out", SUFFIXES, overwrite, run=run)
    trained = load(run, device=device)
    task = task_of(trained.config)
    if not isinstance(task, VideoTask):
        kind = f"a {task.name} run" if task is not None else "a generation-from-noise run"
        raise GanforgeError(f"{run} is {kind}; predict continues clips with a video run",
                            "train one with --preset video-gan (or use 'ganforge translate' / 'sample')")  # fmt: skip
    clip = read_clip(Path(source))
    context = int(trained.config.task.context)  # type: ignore[arg-type]
    expected = tuple(trained.data_shape)
    if tuple(clip.shape[1:]) != expected:
        raise GanforgeError(
            f"--input {source} has frames of {_shape(clip.shape[1:])}, but {run} reads frames of {_shape(expected)}",
            "resize or convert the frames first, or predict with a run trained at that size",
        )
    if clip.shape[0] < context:
        raise GanforgeError(f"--input {source} has {clip.shape[0]} frames; {run} reads the last {context}",
                            f"give a clip of at least {context} frames")  # fmt: skip
    predicted = task.predict(trained.gan, clip[None].to(trained.device), frames)[0]  # (frames, C, H, W)
    with writing(target, "--out"):
        _write(target, predicted)
    return Prediction(frames, context, trained.step, target)


def _write(target: Path, frames: torch.Tensor) -> None:
    suffix = target.suffix.lower()
    if suffix == ".npy":
        with atomic_path(target) as tmp, open(tmp, "wb") as handle:
            np.save(handle, frames.numpy().astype(np.float32))
    elif suffix == ".png":  # one row, frame 1 first
        save_image_grid(frames, target, nrow=len(frames))
    else:
        with atomic_path(target) as tmp:
            write_gif(frames, tmp)


def _shape(shape: tuple[int, ...] | torch.Size) -> str:
    return " x ".join(str(side) for side in shape)


@click.command("predict")
@click.argument("run", type=click.Path())
@click.option("--input", "source", required=True, help="A clip: .npy (T x C x H x W), a folder of frames or a GIF.")
@click.option("--frames", type=int, default=10, show_default=True, help="How many frames to predict (rolled out).")
@click.option("--out", required=True, help="A .gif, a .png strip or a .npy (float32 in [-1, 1]) of the frames.")
@click.option("--device", default="auto", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace --out if it exists.")
def predict_command(run: str, source: str, frames: int, out: str, device: str, overwrite: bool) -> None:
    """Continue a clip with a video RUN: predict the frames after its last ones (docs/applications.md)."""
    done = predict(run, source, frames, out, device, overwrite)
    click.echo(f"{done.frames} frames predicted from the last {done.context} by step {done.step} -> {done.out}")
