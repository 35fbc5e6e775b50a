"""The Python API: train a config, resume a run, load a trained run and sample from it.

import ganforge
cfg = ganforge.Config()
cfg.data.name, cfg.train.steps = "ring", 2000
run = ganforge.train(cfg)                     # -> runs/ring-mlp-non-saturating
gan = ganforge.load(run)
x = gan.sample(16, seed=0)                    # (16, 2) on the CPU
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from ganforge.checkpoint import rebuild_gan, restore_session
from ganforge.config import Config, resolve
from ganforge.distributed import check_world
from ganforge.engine import on_main, pick_device, process_group, world_size
from ganforge.errors import GanforgeError
from ganforge.gans import GAN
from ganforge.gans.cgan import check_class
from ganforge.resources import check_fits, out_of_memory_as_error
from ganforge.run import RunDir, default_run_path, load_checkpoint_file
from ganforge.train import build_session, fit, module_count, render

log = logging.getLogger("ganforge")


def train(cfg: Config | None = None, progress: bool = False) -> Path:
    """Train a new run of ``cfg`` (defaults: the tutorial MLP GAN on MNIST) and return its folder.

    Started by torchrun, every process calls this; they train together and rank 0 writes the run.
    """
    cfg = resolve(cfg or Config())
    with process_group(cfg.train.device):
        check_world(cfg)
        cfg.out = on_main(lambda: _free_run_path(cfg))  # fail before loading anything; rank 0 alone reads the disk
        session = build_session(cfg)  # loads data and builds networks before the run folder exists
        run = RunDir(on_main(lambda: RunDir.create(cfg.out, cfg).path))
        data = session.data
        size = f"{len(data):,} images" if data.kind == "image" else f"{data.num_classes} modes"
        where = f"{session.device} x {world_size()} processes" if world_size() > 1 else str(session.device)
        log.info(
            "training %s/%s on %s (%s, %s) on %s: G %s, D %s parameters -> %s",
            cfg.model.name, cfg.train.loss, cfg.data.name, data.source, size, where,
            f"{module_count(session.gan.G):,}", f"{module_count(session.gan.D):,}", run.path,
        )  # fmt: skip
        fit(session, run, progress=progress)
    return run.path


def _free_run_path(cfg: Config) -> str:
    path = str(cfg.out or default_run_path(cfg))
    RunDir(path).check_free()
    return path


def resume(
    path: str | os.PathLike, steps: int | None = None, device: str | None = None, progress: bool = False
) -> Path:
    """Continue a run from its latest checkpoint, up to ``steps`` in total (default: the config's).

    Under torchrun rank 0 reads the checkpoint and hands it to every process; the number of
    processes may differ from the run's before (the batch size is global, the random streams shared).
    """
    with process_group(device):
        run, cfg, checkpoint, tensors, meta = on_main(lambda: _read_latest(path))
        if steps is not None:
            cfg.train.steps = steps
        if device is not None:
            cfg.train.device = device
        cfg = resolve(cfg)
        check_world(cfg)
        session = build_session(cfg)
        restore_session(session, tensors, meta, checkpoint)
        if session.step >= cfg.train.steps:
            raise GanforgeError(
                f"run {run.path} is already at step {session.step} of {cfg.train.steps}",
                f"pass --steps with a total above {session.step} to train further",
            )
        on_main(lambda: _restart_files(run, cfg, session.history))
        log.info("resuming %s from step %d to %d", run.path, session.step, cfg.train.steps)
        fit(session, run, progress=progress)
    return run.path


def _read_latest(path: str | os.PathLike) -> tuple:
    run = RunDir.open(path)
    return run, run.read_config(), *run.load_latest()


def _restart_files(run: RunDir, cfg: Config, history: list) -> None:
    run.write_config(cfg)
    run.write_metrics(history)  # the history as of the checkpoint: later lines came from lost steps


@dataclass
class TrainedGAN:
    """A trained generator (and discriminator) rebuilt from a run folder's config and checkpoint."""

    config: Config
    gan: GAN
    step: int
    data_shape: tuple[int, ...]
    path: Path

    @property
    def device(self) -> torch.device:
        return next(self.gan.G.parameters()).device

    def latents(self, n: int, seed: int = 0) -> torch.Tensor:
        """n latents from the prior, reproducible by ``seed``."""
        if self.config.task.name is not None:  # sample, interpolate and serve all start here
            raise GanforgeError(
                f"{self.path} is a {self.config.task.name} run: it maps images to images and has no latent space",
                f"use 'ganforge translate {self.path} --input IMAGES --out OUT'",
            )
        return self.gan.sample_latent(n, torch.Generator(self.device).manual_seed(seed))

    @property
    def num_classes(self) -> int:
        """The classes a conditional run generates (0 for an unconditional one)."""
        return self.gan.num_classes

    def generate(self, z: torch.Tensor, batch_size: int = 500, labels: torch.Tensor | None = None) -> torch.Tensor:
        """G(z) on the CPU, in batches of ``batch_size``: (N, C, H, W) in [-1, 1] for images, (N, 2) for points.

        A conditional run takes ``labels`` (N,), the class of each sample; without them it draws the classes
        0..K-1 in turn. The result must fit in host memory, and each batch on the device; either failing is a
        clear error.
        """
        n = len(z)
        labels = self._check_labels(labels, n)
        check_fits(n * math.prod(self.data_shape) * 4, torch.device("cpu"), f"{n:,} samples",
                   "ask for fewer samples, or draw them in several calls with different seeds")  # fmt: skip
        z = z.to(self.device)
        if labels is None and self.num_classes:  # classes in turn over the whole batch, whatever batch_size
            labels = torch.arange(n) % self.num_classes
        z_chunks = z.split(batch_size)
        label_chunks = [None] * len(z_chunks) if labels is None else labels.to(self.device).split(batch_size)
        with out_of_memory_as_error(f"generating batches of {batch_size} on {self.device}", "lower --batch-size"):
            return torch.cat([render(self.gan, chunk, y) for chunk, y in zip(z_chunks, label_chunks, strict=True)])

    def sample(self, n: int, seed: int = 0, batch_size: int = 500, class_: int | None = None) -> torch.Tensor:
        """n samples of G, reproducible by ``seed`` (whatever the batch size); ``class_``: all of that class."""
        check_class(self.gan, class_)
        labels = None if class_ is None else torch.full((n,), class_, dtype=torch.int64)
        return self.generate(self.latents(n, seed), batch_size, labels)

    def _check_labels(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        if labels is None:
            return None
        if not self.num_classes:
            raise GanforgeError(f"{self.path} is not class-conditional, so it takes no labels", "leave labels out")
        labels = torch.as_tensor(labels)
        if labels.shape != (n,) or labels.is_floating_point():
            raise GanforgeError(f"labels of shape {tuple(labels.shape)} do not fit {n} latents",
                                f"pass {n} integer class indices")  # fmt: skip
        if n and not 0 <= int(labels.min()) <= int(labels.max()) < self.num_classes:
            raise GanforgeError(f"labels must be classes from 0 to {self.num_classes - 1}",
                                f"this run has {self.num_classes} classes")  # fmt: skip
        return labels.long()

    def translate(self, images: torch.Tensor, reverse: bool = False, seed: int = 0) -> torch.Tensor:
        """An image-to-image run's G applied to ``images`` (N, C, H, W) in [-1, 1], on the CPU
        (docs/applications.md); ``reverse`` translates B -> A (cyclegan), ``seed`` draws inpainting boxes."""
        from ganforge.translate import translate_tensor

        return translate_tensor(self, images, reverse, seed)[0]


def load(path: str | os.PathLike, device: str = "auto", checkpoint: str | os.PathLike | None = None) -> TrainedGAN:
    """Load a run folder's latest checkpoint (or ``checkpoint``) for sampling. Nothing is unpickled."""
    run = RunDir.open(path)
    cfg = run.read_config()
    torch_device = pick_device(resolve(Config.from_dict({"train": {"device": device}})).train.device)
    if checkpoint is None:
        source, tensors, meta = run.load_latest()
    else:
        source = Path(checkpoint)
        tensors, meta = load_checkpoint_file(source)
    gan = rebuild_gan(cfg, tensors, meta, torch_device, source)
    return TrainedGAN(cfg, gan, int(meta["step"]), tuple(meta["data_shape"]), run.path)


def sample(
    path: str | os.PathLike, n: int, seed: int = 0, device: str = "auto", class_: int | None = None
) -> torch.Tensor:
    """n samples from a trained run (see ``TrainedGAN.sample``); ``class_`` for a conditional run."""
    return load(path, device=device).sample(n, seed, class_=class_)
