"""A trained model: rebuilt from a run folder's config and checkpoint, then sampled, rendered or applied.

    trained = ganforge.load(RUN)                  # the latest checkpoint; nothing is unpickled
    x = trained.sample(16, seed=0)                # (16, C, H, W) in [-1, 1], or (16, 2) for 2-D points
    y = trained.translate(images)                 # an image-to-image run's G on (N, C, H, W) images

Everything after training (evaluation, health probes, translation, the explorer, the pictures the loop
draws) uses this module, never the training loop: it depends only on the run folder, checkpoints and the
networks and variants they rebuild.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganforge.checkpoint import check_weights, has_weights, kind_mismatch, load_weights
from ganforge.config import Config
from ganforge.engine import pick_device
from ganforge.errors import GanforgeError, check_seed
from ganforge.gans import GAN, make_gan
from ganforge.gans.cgan import check_class
from ganforge.limits import check_sample_count
from ganforge.models import build_models
from ganforge.resolve import check_device
from ganforge.resources import check_fits, out_of_memory_as_error
from ganforge.run import RunDir, load_checkpoint_file
from ganforge.tasks import task_of, translate_images
from ganforge.tasks.text_render import text_to_images


@torch.no_grad()
def render(gan: GAN, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """G(z) in eval mode (batch norm uses its running statistics), on the CPU; G_ema's when one is kept."""
    with gan.sampling_generator() as G:
        was_training = G.training
        G.eval()
        try:
            return gan.generate(z, labels).float().cpu()
        finally:
            G.train(was_training)


def rebuild_gan(
    cfg: Config, tensors: dict[str, torch.Tensor], meta: dict[str, Any], device: torch.device, source: Any
) -> GAN:
    """A trained GAN from its config and checkpoint, in eval mode, without loading the dataset.

    When the run kept G_ema (``train.ema``), G holds G_ema's weights: sampling, interpolation and evaluation
    of a trained run all use the averaged generator.
    """
    shape, num_classes = tuple(meta["data_shape"]), int(meta.get("num_classes") or 0)
    task = task_of(cfg)
    weights_of_G = "G_ema" if cfg.train.ema is not None and has_weights(tensors, "G_ema.") else "G"
    # First on the meta device (shapes, no memory): networks sized by the metadata are checked against the
    # checkpoint's tensors before anything is allocated; a data shape edited to 1000 x 1000 costs nothing.
    G, D = _build_networks(cfg, shape, num_classes, torch.device("meta"))
    check_weights(G, tensors, weights_of_G, source)
    check_weights(D, tensors, "D", source)
    G, D = _build_networks(cfg, shape, num_classes, None)
    load_weights(G, tensors, weights_of_G, source)
    load_weights(D, tensors, "D", source)
    G, D = G.to(device).eval(), D.to(device).eval()
    return task.make_gan(cfg, G, D) if task is not None else make_gan(cfg, G, D, num_classes)


def _build_networks(
    cfg: Config, shape: tuple[int, ...], num_classes: int, device: torch.device | None
) -> tuple[torch.nn.Module, torch.nn.Module]:
    """(G, D) as the config builds them for data of ``shape``, on ``device`` (None: the default)."""
    task = task_of(cfg)
    with torch.random.fork_rng(devices=[]), torch.device(device) if device is not None else contextlib.nullcontext():
        if task is not None:  # image-to-image tasks build their own networks
            return task.build_networks(cfg, shape)
        return build_models(cfg.model, shape, num_classes, cfg.train.pack)


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

    def latents(self, n: int, seed: int = 0, truncation: float | None = None) -> torch.Tensor:
        """n latents from the prior, reproducible by ``seed``; ``truncation``: the truncation trick
        (``GAN.sample_latent``)."""
        task = task_of(self.config)
        if task is not None:  # sample, interpolate and serve all start here
            raise task.no_latent_space(self.path)
        check_seed("seed", seed)
        check_sample_count(n, self.gan.z_dim, "latents")
        check_truncation(truncation)
        return self.gan.sample_latent(n, torch.Generator(self.device).manual_seed(seed), truncation)

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

    def sample(
        self, n: int, seed: int = 0, batch_size: int = 500, class_: int | None = None, truncation: float | None = None
    ) -> torch.Tensor:
        """n samples of G, reproducible by ``seed`` (whatever the batch size); ``class_``: all of that class;
        ``truncation``: every latent value within [-t, t] (the truncation trick, ``GAN.sample_latent``)."""
        check_class(self.gan, class_)
        # Before a single latent is drawn: n itself may be absurd (10^12), and z costs memory too.
        check_sample_count(n, math.prod(self.data_shape) + self.gan.z_dim)
        labels = None if class_ is None else torch.full((n,), class_, dtype=torch.int64)
        return self.generate(self.latents(n, seed, truncation), batch_size, labels)

    @torch.no_grad()
    def recognise(self, samples: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
        """InfoGAN's Q on ``samples`` (N, C, H, W): (N, categories + continuous codes), the category logits
        and the continuous codes' means, on the CPU."""
        if self.gan.codes is None:
            raise GanforgeError(f"{self.path} has no InfoGAN codes for Q to recover", "use an InfoGAN run")
        heads = self.gan.D_heads  # in eval mode, as rebuild_gan leaves it
        return torch.cat([heads.q(chunk.to(self.device)).float().cpu() for chunk in samples.split(batch_size)])

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

    def generate_text(self, texts: list[str], n: int = 1, seed: int = 0, stages: bool = False) -> Any:
        """A text2image run's pictures of ``texts``, ``n`` each: (len(texts) * n, 3, H, W) in [-1, 1] on the CPU;
        with ``stages``, (stage I's pictures, the final ones) (docs/applications.md, "Text to image")."""
        return text_to_images(self, texts, n, seed, stages=stages)

    def translate(self, images: torch.Tensor, reverse: bool = False, seed: int = 0) -> torch.Tensor:
        """An image-to-image run's G applied to ``images`` (N, C, H, W) in [-1, 1], on the CPU
        (docs/applications.md); ``reverse`` translates B -> A (cyclegan), ``seed`` draws inpainting boxes."""
        return self.translate_with_inputs(images, reverse, seed)[0]

    def translate_with_inputs(
        self, images: torch.Tensor, reverse: bool = False, seed: int = 0, batch_size: int = 500,
        where: str = "the input",
    ) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
        """(outputs, inputs as pictured) for ``images`` (N, C, H, W) in [-1, 1]; both on the CPU."""
        if task_of(self.config) is None:
            raise GanforgeError(
                f"{self.path} generates from noise ({self.config.model.name}/{self.config.train.loss}); "
                "it has no input to translate",
                f"draw samples with 'ganforge sample {self.path} --out FILE'",
            )
        return translate_images(self.config, self.gan, self.data_shape, images, reverse, seed, batch_size,
                                where, run=self.path)  # fmt: skip


def load(path: str | os.PathLike, device: str = "auto", checkpoint: str | os.PathLike | None = None) -> TrainedGAN:
    """Load a run folder's latest checkpoint (or ``checkpoint``) for sampling. Nothing is unpickled."""
    run = RunDir.open(path)
    cfg = run.read_config()
    check_device(device)
    torch_device = pick_device(device)
    if checkpoint is None:
        source, tensors, meta = run.load_latest(cfg)
    else:
        source = Path(checkpoint)
        tensors, meta = load_checkpoint_file(source)
        mismatch = kind_mismatch(meta, cfg)
        if mismatch:
            raise GanforgeError(f"checkpoint {source} does not belong to {run.path}: {mismatch}",
                                "give a checkpoint of this run")  # fmt: skip
    gan = rebuild_gan(cfg, tensors, meta, torch_device, source)
    return TrainedGAN(cfg, gan, int(meta["step"]), tuple(meta["data_shape"]), run.path)


TRUNCATION_MIN = 0.05  # below this nearly every draw is rejected, and the samples are all one point anyway


def check_truncation(truncation: float | None) -> None:
    """A truncation threshold must be a number of at least ``TRUNCATION_MIN`` (None: no truncation)."""
    if truncation is not None and not truncation >= TRUNCATION_MIN:
        raise GanforgeError(
            f"--truncation {truncation} is too small or not a number",
            f"give a threshold of at least {TRUNCATION_MIN}, e.g. 1.0 or 0.7 (or leave it out)",
        )


def sample(
    path: str | os.PathLike, n: int, seed: int = 0, device: str = "auto", class_: int | None = None,
    truncation: float | None = None,
) -> torch.Tensor:
    """n samples from a trained run (see ``TrainedGAN.sample``); ``class_`` for a conditional run."""
    return load(path, device=device).sample(n, seed, class_=class_, truncation=truncation)
