"""Image-to-image tasks on the training engine: pix2pix, CycleGAN/DiscoGAN, SRGAN and context encoders.

One file per task (``pix2pix.py``, ``cyclegan.py``, ``srgan.py``, ``inpaint.py``), each a ``Task`` (``base.py``)
registered below by one line. A task's GAN variant lives in ``gans/`` and its "labels" are a
``data.pairs.Pair``: the source image G reads and the target it should produce. The loop of ``train.py`` runs
unchanged (d_steps D updates, then one G update, its two optimisers over ``gan.G`` and ``gan.D``); the task
gives it data and networks, and pictures and measures the results (``evaluation.py``).

    ganforge train --task srgan                      # = --preset srgan: x4 super-resolution of Fashion-MNIST
    ganforge translate RUN --input lr.npy --out sr.npy
    ganforge eval RUN                                # PSNR and SSIM against bicubic upsampling

Nothing outside this package branches on a task's name: it asks ``task_of(cfg)`` for the task (None for
generation from noise) and calls its methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor

from ganforge.data import pairs
from ganforge.errors import GanforgeError, check_choice
from ganforge.gans.adversarial import FORMS
from ganforge.gans.base import GAN
from ganforge.models.spec import Network
from ganforge.tasks.base import Task, apply_generator
from ganforge.tasks.cyclegan import CycleTask
from ganforge.tasks.inpaint import InpaintingTask
from ganforge.tasks.pix2pix import Pix2PixTask
from ganforge.tasks.srgan import SuperResolutionTask, training_filters
from ganforge.tasks.text2image import TextToImageTask
from ganforge.tasks.video import VideoTask
from ganforge.viz.grid import save_image_grid

if TYPE_CHECKING:
    from ganforge.config import Config

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Pix2PixTask(), CycleTask(), SuperResolutionTask(), InpaintingTask(), VideoTask(), TextToImageTask()
    )
}
SCALES = (2, 4)
MASKS = ("center", "boxes")
WEIGHTS = ("l1_weight", "cycle_weight", "identity_weight", "adversarial_weight", "rec_weight", "feature_weight",
           "class_weight")  # fmt: skip


def task_of(cfg: Config) -> Task | None:
    """The task ``cfg`` trains (None: generation from noise), after checking its name."""
    if cfg.task.name is None:
        return None
    check_choice("task", "--task", cfg.task.name, TASKS)
    return TASKS[cfg.task.name]


def resolve_task(cfg: Config) -> Network:
    """Check a task run's settings (``cfg`` is edited in place) and return its network's entry: D's
    normalisations, the optimisers' settings and the training cadence."""
    task, settings, train = _task(cfg), cfg.task, cfg.train
    if cfg.model.name == "mlp":  # the built-in default: the task picks its network
        cfg.model.name = next(iter(task.networks))
    if cfg.model.name not in task.networks:
        raise GanforgeError(
            f"--model {cfg.model.name} is not a network of the {task.name} task, which trains "
            + " or ".join(f"'{name}'" for name in task.networks),
            f"leave --model out for --task {task.name}",
        )
    if not task.fits_data(cfg.data.name):
        raise GanforgeError(
            f"--dataset {cfg.data.name} does not fit --task {task.name}", f"{task.name} reads {task.data}"
        )
    check_choice(f"adversarial loss for --task {task.name}", "--loss", train.loss, FORMS)
    check_choice("upsampling factor", "task.scale", str(settings.scale), [str(scale) for scale in SCALES])
    check_choice("mask", "task.mask", settings.mask, MASKS)
    _check_filters(task, cfg)
    task.check_config(cfg)
    if not 0 < settings.hole < 1:
        raise GanforgeError(
            f"task.hole={settings.hole} must be between 0 and 1", "e.g. 0.5: a hole half the image's side"
        )
    for key in WEIGHTS:
        if getattr(settings, key) < 0:
            raise GanforgeError(f"task.{key}={getattr(settings, key)} must be 0 or more", "see docs/applications.md")
    if train.health_every:
        raise GanforgeError(
            f"train.health_every={train.health_every}: the health signals measure generation from noise",
            "leave train.health_every unset for task runs; 'ganforge eval RUN' measures the task",
        )
    if train.eval_metrics is not None:
        raise GanforgeError(
            f"train.eval_metrics={train.eval_metrics}: a task run measures its own metrics (docs/applications.md)",
            "leave train.eval_metrics unset; --eval-every N alone measures the task every N steps",
        )
    every = max(1, task.steps // 20)
    defaults = {
        "adam": {"lr": 2e-4, "betas": [0.5, 0.999]},  # all four papers train with Adam near these values
        "sgd": {"lr": 0.02, "momentum": 0.5},
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": task.steps, "sample_every": every, "checkpoint_every": 500, "health_every": 0},
    }
    return Network(None, task.networks[cfg.model.name], defaults)


def _check_filters(task: Task, cfg: Config) -> None:
    """task.held_out_filter names a filter; task.filters (srgan) names others, without the held-out one."""
    settings = cfg.task
    check_choice("downscaling filter", "task.held_out_filter", settings.held_out_filter, pairs.DOWNSCALE_FILTERS)
    if settings.filters is None:
        return
    if not task.trains_on_filters:
        raise GanforgeError(f"task.filters={settings.filters!r} mixes the inputs of srgan, not of {task.name}",
                            "leave task.filters unset")  # fmt: skip
    filters = training_filters(cfg)
    for name in filters:
        check_choice("downscaling filter", "task.filters", name, pairs.DOWNSCALE_FILTERS)
    held_out = settings.held_out_filter
    same = [name for name in filters if pairs.same_filter(name, held_out, settings.scale)]
    if not filters or same:
        also = f" ({same[0]} makes the same images at x{settings.scale})" if same and same[0] != held_out else ""
        raise GanforgeError(
            f"task.filters={settings.filters!r} must name at least one filter and leave out "
            f"task.held_out_filter={held_out}, which evaluation holds out{also}",
            "e.g. task.filters=nearest,bicubic",
        )
    settings.filters = ",".join(filters)


def load_task_data(cfg: Config, device: torch.device | str = "cpu") -> Any:
    """The task's dataset on ``device``: ``PairedData``, ``UnpairedData`` or ``MaskedData`` (see data/pairs.py)."""
    return _task(cfg).load_data(cfg, device)


def translate_images(
    cfg: Config, gan: GAN, data_shape: tuple[int, ...], images: Tensor, reverse: bool, seed: int, batch_size: int,
    where: str, run: Any,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """A trained task's (outputs, inputs as pictured) for ``images`` (N, C, H, W) in [-1, 1], on the CPU; for
    inpainting, holes are cut by the run's mask rule (random boxes drawn from ``seed``)."""
    task = _task(cfg)
    if reverse and not task.reversible:
        raise GanforgeError(
            f"--reverse translates B -> A, which only {_reversible()} runs learn ({run} is {task.name})", "drop it"
        )
    expected = task.input_shape(cfg, tuple(data_shape))
    if images.dim() != 4 or tuple(images.shape[1:]) != expected:
        raise GanforgeError(
            f"{where} holds images of {_shape(images.shape[1:])}, but {run} ({task.name}) reads {_shape(expected)}",
            "resize or convert them first (e.g. with PIL), or translate with a run trained at that size",
        )
    pair = task.inputs(cfg, images.detach().float().cpu(), seed)
    outputs = apply_generator(gan, pair, batch_size, reverse=reverse)
    return outputs, task.visible_input(pair.source, tuple(outputs.shape[-2:]))


def save_task_frame(cfg: Config, gan: GAN, data: Any, path: Any) -> None:
    """A progress picture of a task run: rows of input | output | target (two triplets per row)."""
    task = _task(cfg)
    save_image_grid(task.frame_images(gan, data.examples(task.frame_examples)), path,
                    nrow=task.frame_columns(cfg))


def _task(cfg: Config) -> Task:
    task = task_of(cfg)
    if task is None:
        raise GanforgeError("this run generates from noise; it has no task", "train one with --task NAME")
    return task


def _reversible() -> str:
    return " and ".join(name for name, task in TASKS.items() if task.reversible)


def _shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(side) for side in shape)


__all__ = [
    "TASKS", "Task", "apply_generator", "load_task_data", "resolve_task", "save_task_frame", "task_of",
    "translate_images",
]  # fmt: skip
