"""Video frame prediction (Mathieu, Couprie and LeCun 2016): given the last frames of a clip, predict the next.

The task's ``Pair``: source = the ``task.context`` frames stacked along channels, target = the next
``task.future`` frames, likewise. G (``models/video.py``) is multi-scale; D judges context and future frames
at every scale (or, with ``task.video_d=3d``, by 3-D convolutions over the clip); the losses are
``gans/video.py``'s: adversarial + L2 + gradient difference. More frames than G predicts in one pass are
rolled out: the predictions are appended to the context and G runs again on the newest ``context`` frames.

Measured per predicted frame (``metrics/video.py``: MSE in the Moving MNIST convention, MAE, PSNR, SSIM,
sharpness) beside copy-the-last-frame, a blank (black) frame and the mean training frame.

    ganforge train --preset video-gan --dataset moving-mnist-small
    ganforge predict RUN --input clip.npy --frames 10 --out pred.gif
    ganforge eval RUN
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor, nn

from ganforge.data import load_dataset, video_clips
from ganforge.data.moving_mnist import PROTOCOLS, PUBLISHED_TEST_FILE, VideoData, load_moving_mnist, unstack
from ganforge.data.pairs import Pair
from ganforge.data.sources import env_root
from ganforge.errors import GanforgeError, check_choice
from ganforge.gans.base import GAN
from ganforge.gans.video import VideoGAN
from ganforge.metrics import video as measures
from ganforge.models.video import Clip3dD, MultiScaleD, MultiScaleG
from ganforge.tasks.base import Task, apply_generator
from ganforge.viz.grid import grid_image

if TYPE_CHECKING:
    from ganforge.config import Config

DEFAULT_CONTEXT, DEFAULT_HORIZON = 4, 4  # a user's clips (video:DIR): 4 frames in, like their Sports1m model
VIDEO_DS = ("multiscale", "3d")
FRAME_CLIPS = 4  # clips in a progress picture, each as three rows: context | prediction | truth
MEAN_FRAME_CLIPS = 500  # training clips the mean-frame baseline averages
MIN_SIDE = 8
BASELINES = ("copy_last", "blank", "mean_frame")


class VideoTask(Task):
    """G: the last ``context`` frames -> the next ``future`` frames (rolled out to any number)."""

    name = "video"
    paper = "Mathieu, Couprie and LeCun (2016), Deep multi-scale video prediction beyond mean square error"
    networks = {"multiscale": ("none", "spectral")}
    variant = VideoGAN
    data = f"clips: {', '.join(PROTOCOLS)} or video:DIR (docs/applications.md)"
    steps = 3000
    frame_examples = FRAME_CLIPS

    @property
    def preset(self) -> str:
        return "video-gan"

    def fits_data(self, dataset: str) -> bool:
        return dataset in PROTOCOLS or dataset.startswith(video_clips.PREFIX)

    def check_config(self, cfg: Config) -> None:
        """Fill task.context / horizon / future from the dataset and check them and task.video_d."""
        settings = cfg.task
        protocol = PROTOCOLS.get(cfg.data.name)
        context, horizon = (protocol.context, protocol.horizon) if protocol else (DEFAULT_CONTEXT, DEFAULT_HORIZON)
        settings.context = context if settings.context is None else settings.context
        settings.horizon = horizon if settings.horizon is None else settings.horizon
        settings.future = settings.horizon if settings.future is None else settings.future
        for key in ("context", "horizon", "future"):
            value = getattr(settings, key)
            if not 1 <= value <= 100:
                raise GanforgeError(f"task.{key}={value} must be a number of frames from 1 to 100", "e.g. 4 or 10")
        if settings.future > settings.horizon:
            raise GanforgeError(
                f"task.future={settings.future} frames per pass is more than task.horizon={settings.horizon}",
                f"set task.future to at most {settings.horizon}",
            )
        check_choice("video discriminator", "task.video_d", settings.video_d, VIDEO_DS)
        if cfg.data.image_size is not None:
            raise GanforgeError(
                f"--image-size {cfg.data.image_size} does not apply to --task video: clips keep their frame size",
                "leave --image-size out (moving-mnist is 64 px, moving-mnist-small 32 px; resize your clips first)",
            )

    # -- data and networks
    def load_data(self, cfg: Config, device: torch.device | str) -> VideoData:
        settings, name = cfg.task, cfg.data.name
        if name in PROTOCOLS:
            digits = load_dataset(dataclasses.replace(cfg.data, name="mnist"), "cpu").images  # type: ignore[union-attr]
            published = _published_file(cfg) if name == "moving-mnist" else None
            data = load_moving_mnist(name, digits, cfg.data.split, settings.context, settings.future,  # type: ignore[arg-type]
                                     settings.horizon, published)  # type: ignore[arg-type]  # fmt: skip
        else:
            clips, where = video_clips.load_clip_folder(name)
            if cfg.data.limit is not None:
                clips = clips[: cfg.data.limit]
            data = VideoData(name, where, settings.context, settings.future, settings.horizon, clips=clips)  # type: ignore[arg-type]
        _check_frames(cfg, data)
        return data.to(device)

    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        channels, side, _ = shape
        settings, width = cfg.task, cfg.model.width
        context, future = int(settings.context), int(settings.future)  # type: ignore[arg-type]
        G = MultiScaleG(context * channels, future * channels, width, side)
        norm = cfg.model.d_norm or "none"
        if settings.video_d == "3d":
            return G, Clip3dD(channels, width, norm)
        return G, MultiScaleD((context + future) * channels, width, side, norm)

    def source_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, int, int]:
        channels, height, width = shape
        return int(cfg.task.context) * channels, height, width  # type: ignore[arg-type]

    # -- prediction
    def predict(self, gan: GAN, clips: Tensor, frames: int, batch_size: int = 500) -> Tensor:
        """``frames`` frames after each clip (N, T, C, H, W) in [-1, 1], T >= context: (N, frames, C, H, W),
        rolled out ``task.future`` frames per pass from the newest ``task.context`` frames."""
        channels, context = int(clips.shape[2]), context_of(gan)
        given = clips[:, -context:].flatten(1, 2).float()  # (N, context * C, H, W)
        produced: list[Tensor] = []
        count = 0
        while count < frames:
            step = apply_generator(gan, Pair(given, given), batch_size)  # (N, future * C, H, W)
            produced.append(step)
            count += step.shape[1] // channels
            given = torch.cat([given, step], dim=1)[:, -context * channels :]  # the newest context frames
        return unstack(torch.cat(produced, dim=1), channels)[:, :frames]

    # -- pictures
    def frame_columns(self, cfg: Config) -> int:
        return max(int(cfg.task.context), int(cfg.task.horizon))  # type: ignore[arg-type]

    def frame_images(self, gan: GAN, examples: Pair) -> Tensor:
        """Per clip three rows, context | prediction | truth, padded with grey cells: (rows * columns, C, H, W)."""
        channels = int(examples.source.shape[1]) // context_of(gan)
        context = unstack(examples.source.float().cpu(), channels)
        truth = unstack(examples.target.float().cpu(), channels)
        prediction = self.predict(gan, context, truth.shape[1])
        return clip_rows(context, prediction, truth)

    # -- measurement
    def evaluate(self, gan: GAN, cfg: Config, split: str, n: int, batch_size: int) -> dict[str, Any]:
        """Every measure per predicted frame and averaged, for G and the baselines, on the first ``n`` fixed
        clips of ``split`` (the seeded test set by default)."""
        data = self.load_data(_with_split(cfg, split), "cpu")
        examples = data.examples(n)
        channels = data.shape[0]
        context, truth = unstack(examples.source, channels), unstack(examples.target, channels)
        mean_frame = self.load_data(_with_split(cfg, "train"), "cpu").real(MEAN_FRAME_CLIPS).mean(0)
        outputs = {
            "model": self.predict(gan, context, truth.shape[1], batch_size),
            "copy_last": context[:, -1:].expand_as(truth),
            "blank": torch.full_like(truth, -1.0),
            "mean_frame": mean_frame.expand_as(truth),
        }
        per_frame = {method: measures.measure_all(output, truth) for method, output in outputs.items()}
        frames = reported_frames(truth.shape[1])
        metrics: dict[str, float] = {}
        for method, values in per_frame.items():
            prefix = "" if method == "model" else f"{method}/"
            for measure, series in values.items():
                for frame in frames:
                    metrics[f"{prefix}{measure}/frame{frame}"] = series[frame - 1]
                metrics[f"{prefix}{measure}/mean"] = sum(series) / len(series)
        return {
            "n": len(examples),
            "extractor": "none (pixel metrics per predicted frame)",
            "reference": {"dataset": cfg.data.name, "split": split, "n": len(examples), "source": data.source},
            "context": int(cfg.task.context),  # type: ignore[arg-type]
            "horizon": int(truth.shape[1]),
            "metrics": metrics,
            "training_metrics": {name: metrics[f"{name}/mean"] for name in measures.MEASURES},  # --eval-every
            "per_frame": per_frame,
        }


def reported_frames(horizon: int) -> list[int]:
    """The horizons a table shows: every frame up to 4, else frames 1, 5, 10 and the last."""
    if horizon <= 4:
        return list(range(1, horizon + 1))
    return sorted({frame for frame in (1, 5, 10, horizon) if frame <= horizon})


def clip_rows(context: Tensor, prediction: Tensor, truth: Tensor) -> Tensor:
    """Clips (N, T, C, H, W) as rows context | prediction | truth, each padded to the longest with mid-grey
    cells: (N * 3 * columns, C, H, W), for a grid of ``columns`` per row."""
    columns = max(context.shape[1], prediction.shape[1], truth.shape[1])

    def padded(frames: Tensor) -> Tensor:
        grey = torch.zeros(frames.shape[0], columns - frames.shape[1], *frames.shape[2:])
        return torch.cat([frames, grey], dim=1)

    return torch.stack([padded(context), padded(prediction), padded(truth)], dim=1).flatten(0, 2)


def clip_gif_frames(context: Tensor, prediction: Tensor, truth: Tensor) -> Tensor:
    """GIF frames of clips side by side: per clip a row of three cells, the context looping | the prediction
    | the truth, one GIF frame per predicted frame: (horizon, C, H', W') pictures."""
    pictures = []
    for t in range(prediction.shape[1]):
        cells = torch.stack([context[:, t % context.shape[1]], prediction[:, t], truth[:, t]], dim=1).flatten(0, 1)
        image = torch.from_numpy(np.array(grid_image(cells, nrow=3))).float()  # a writable copy
        image = image[None] if image.dim() == 2 else image.permute(2, 0, 1)
        pictures.append(image / 127.5 - 1)
    return torch.stack(pictures)


def _published_file(cfg: Config) -> Path | None:
    """``mnist_test_seq.npy`` in --data-dir or $GANFORGE_DATA, when a user has it (else None)."""
    for folder in (cfg.data.data_dir, env_root()):
        if folder is not None and (Path(folder).expanduser() / PUBLISHED_TEST_FILE).is_file():
            return Path(folder).expanduser() / PUBLISHED_TEST_FILE
    return None


def _check_frames(cfg: Config, data: VideoData) -> None:
    channels, height, width = data.shape
    if height != width or height < MIN_SIDE:
        raise GanforgeError(f"--dataset {cfg.data.name} has {height} x {width} frames; the video task takes square "
                            f"frames of at least {MIN_SIDE} px", "crop or resize the clips first")  # fmt: skip
    needed = data.context + max(data.future, data.horizon)
    if data.clips is not None and data.clips.shape[1] < needed:
        raise GanforgeError(
            f"--dataset {cfg.data.name}'s clips have {data.clips.shape[1]} frames, fewer than task.context + "
            f"task.horizon = {needed}", "set task.context and task.horizon smaller, or give longer clips"
        )


def _with_split(cfg: Config, split: str) -> Config:
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, split=split, limit=None))


def context_of(gan: GAN) -> int:
    """The context frames a video run's G reads (``VideoGAN.context``)."""
    if not isinstance(gan, VideoGAN):
        raise GanforgeError("this run does not predict video frames", "use a run trained with --task video")
    return gan.context
