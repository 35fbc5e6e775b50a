"""The spec every task implements, and what tasks share: applying G to pairs, and the progress picture.

A task (image-to-image translation, restoration, ...) is one file in ``ganforge/tasks/`` holding one ``Task``
subclass, registered by one line in ``tasks/__init__.py``. It owns everything that differs between tasks:
its networks, its data, its GAN variant (whose losses live in ``gans/``), how a trained run translates new
images, how a progress picture shows it, and which metrics measure it. The loop, the trained model, the
command line and evaluation ask the task; none of them names one.
"""

from __future__ import annotations

import abc
import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import Tensor, nn

from ganforge.data import DATASETS, load_dataset, pairs
from ganforge.data.folder import PREFIX as FOLDER_PREFIX
from ganforge.data.pairs import Pair
from ganforge.errors import GanforgeError
from ganforge.gans.base import GAN
from ganforge.models import translation

if TYPE_CHECKING:
    from ganforge.config import Config

FRAME_EXAMPLES = 16  # examples in a progress picture: 8 rows of two input | output | target triplets
PATCH_D_NORMS = ("batch", "instance", "spectral", "none")  # the PatchGAN D's normalisations, the first by default
RESTORATION_DATA = "mnist, fashion-mnist, cifar10 or folder:PATH"
NOT_RESTORABLE = ("ring", "grid", "stacked-mnist")  # 2-D points, and digits stacked as colour channels


class Task(abc.ABC):
    """A task's registry entry. Subclasses set the class attributes and override what differs."""

    name: ClassVar[str]
    paper: ClassVar[str]
    networks: ClassVar[dict[str, tuple[str, ...]]]  # model.name values it trains (the first by default): D norms
    variant: ClassVar[type[GAN]]  # the GAN variant of gans/ whose losses it trains
    data: ClassVar[str]  # which --dataset values it reads, for error messages
    steps: ClassVar[int]  # default training length: a recognisable result in minutes on two CPU cores
    side_multiple: ClassVar[int] = 2  # the image side must divide by this
    reversible: ClassVar[bool] = False  # G translates both ways (``--reverse``)
    frame_examples: ClassVar[int] = FRAME_EXAMPLES
    needs_domain_classifier: ClassVar[bool] = False  # measured by a classifier of its two domains (cyclegan)
    trains_on_filters: ClassVar[bool] = False  # its inputs are made by a mix of task.filters (srgan)
    distributed: ClassVar[bool] = False  # trains under torchrun (none does yet: docs/distributed.md)
    draws_captions: ClassVar[bool] = False  # G reads captions (text2image): generate --text, the explorer's text box
    keeps_ema: ClassVar[bool] = False  # G draws from noise too (text2image), so G_ema (train.ema) may sample for it

    @property
    def preset(self) -> str:
        """The preset ``--task NAME`` brings: the task's own, of the same name (``ganforge.presets``)."""
        return self.name

    # -- configuration
    def fits_data(self, dataset: str) -> bool:
        """Whether ``--dataset`` names data this task reads (restoration tasks: any registered image set)."""
        registered = DATASETS.get(dataset, None) is not None
        return (dataset.startswith(FOLDER_PREFIX) or registered) and dataset not in NOT_RESTORABLE

    def check_config(self, cfg: Config) -> None:
        """Fill and check the task's own ``task.*`` settings (``cfg`` edited in place); most tasks have none
        beyond the shared checks of ``resolve_task``."""
        return None

    # -- data and networks
    @abc.abstractmethod
    def load_data(self, cfg: Config, device: torch.device | str) -> Any:
        """The task's dataset: ``PairedData``, ``UnpairedData`` or ``MaskedData`` (see data/pairs.py)."""

    @abc.abstractmethod
    def build_networks(self, cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        """(G, D) for targets of ``shape`` (C, H, W)."""

    def make_gan(self, cfg: Config, G: nn.Module, D: nn.Module) -> GAN:
        """The task's variant around G and D, with the R2 penalty when ``train.r2_gamma`` asks (any loss)."""
        gan = self.variant.from_config(cfg, G, D)
        gan.r2_gamma = cfg.train.r2_gamma
        return gan

    def source_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, int, int]:
        """What G reads, (C, H, W), for targets of ``shape``."""
        channels, height, width = shape
        return channels, height, width

    # -- a trained run on new images
    def no_latent_space(self, run: Any) -> GanforgeError:
        """The error for sampling a trained run of this task from noise (sample, interpolate, serve)."""
        return GanforgeError(f"{run} is a {self.name} run: it maps images to images and has no latent space",
                             f"use 'ganforge translate {run} --input IMAGES --out OUT'")  # fmt: skip

    def input_shape(self, cfg: Config, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The images ``ganforge translate`` takes, (C, H, W), for a run trained on targets of ``shape``."""
        return self.source_shape(cfg, shape)

    def inputs(self, cfg: Config, images: Tensor, seed: int) -> Pair:
        """The pair G reads for new ``images`` (the target half is unused)."""
        return Pair(images, images)

    def visible_input(self, source: Tensor, size: tuple[int, int]) -> Tensor:
        """A source as a picture of the target's size: low resolution enlarged by pixel repetition."""
        if source.shape[-2:] != size:
            return torch.nn.functional.interpolate(source, size=size, mode="nearest")
        return source

    # -- pictures
    def frame_columns(self, cfg: Config) -> int:
        """Cells per row of a progress picture: two input | output | target triplets by default."""
        return 6

    def frame_images(self, gan: GAN, examples: Pair) -> Tensor:
        """Input | output | target triplets, one after another: (n * 3, C, H, W)."""
        output = apply_generator(gan, examples)
        source, target = examples.source.float().cpu(), examples.target.float().cpu()
        shown = self.visible_input(source, tuple(target.shape[-2:]))
        return torch.stack([shown, output, target], 1).flatten(0, 1)

    # -- measurement
    def metrics(self, examples: Pair, output: Tensor, images: Tensor) -> dict[str, float]:
        """The task's pixel metrics of ``output`` on ``examples``, each beside the baseline it must beat (paired
        tasks; an unpaired one sets ``needs_domain_classifier`` and is measured by ``cycle_metrics`` instead)."""
        raise NotImplementedError(f"the {self.name} task is measured by cycle_metrics, not pixel metrics")

    def evaluate(self, gan: GAN, cfg: Config, split: str, n: int, batch_size: int) -> dict[str, Any] | None:
        """The task's own measurement in place of the shared one of ``tasks/evaluation.py`` (None: the shared
        one, pixel metrics of translated pairs): a result with at least ``n`` and ``metrics`` (video: per
        predicted frame; text2image: attributes, retrieval and FID, nested)."""
        return None

    def baseline(self, examples: Pair, images: Tensor) -> tuple[str, Tensor] | None:
        """The output of the method the task must beat, by name, measured like G's (None: none)."""
        return None

    def class_reference(self, examples: Pair) -> Tensor:
        """The images whose class an output should keep."""
        return examples.target

    def held_out(self, cfg: Config, examples: Pair) -> Pair:
        """``examples`` with inputs made by ``task.held_out_filter``, a filter the task never trained on: by
        default each source shrunk by 2 with it and enlarged back by bicubic interpolation (the hole of an
        inpainting source stays as it was); super-resolution makes its low-resolution inputs with it."""
        source = examples.source
        images = source if examples.mask is None else source[:, :-1]  # inpainting: the mask channel rides along
        resampled = pairs.resample_through(images, 2, cfg.task.held_out_filter)
        if examples.mask is not None:
            resampled = torch.cat([resampled * (1 - examples.mask), examples.mask], dim=1)
        return Pair(resampled, examples.target, examples.mask)


def load_base(cfg: Config, device: torch.device | str) -> Any:
    """A loader of base datasets (mnist / fashion-mnist ...) with the run's split, limit, size and data_dir."""
    return lambda base: load_dataset(dataclasses.replace(cfg.data, name=base), device)


def finish_data(task: Task, cfg: Config, data: Any, device: torch.device | str) -> Any:
    """Cut folder pairs to ``data.limit``, check the image side and move the data to ``device``."""
    if cfg.data.limit is not None and cfg.data.name.startswith((pairs.PAIRS_PREFIX, pairs.UNPAIRED_PREFIX)):
        data = data.first(cfg.data.limit)
    _channels, height, width = data.shape
    need = task.side_multiple
    if height != width or height % need or translation.unet_depth(height) == 0:
        raise GanforgeError(
            f"--task {task.name} takes square images whose side divides by {need} (at least 8), not {height} x {width}",
            "set --image-size, e.g. 28, 32 or 64",
        )
    return data.to(device)


def patch_discriminator(cfg: Config, channels: int, side: int) -> nn.Module:
    """The PatchGAN D of pix2pix, reading ``channels`` channels."""
    return translation.PatchGAN(channels, cfg.model.width, side, cfg.model.d_norm or "batch")


@torch.no_grad()
def apply_generator(gan: GAN, pair: Pair, batch_size: int = 500, reverse: bool = False) -> Tensor:
    """G on every source of ``pair``, ``batch_size`` at a time on G's device, in eval mode; the outputs on the
    CPU. With ``reverse`` (cyclegan), F: B -> A instead of G: A -> B."""
    was_training = gan.G.training
    device = next(gan.G.parameters()).device
    gan.G.eval()
    try:
        outputs = []
        for start in range(0, len(pair), batch_size):
            chunk = pair[start : start + batch_size].to(device)
            output = gan.G(chunk.source, reverse=True) if reverse else gan.generate(None, chunk)  # type: ignore[arg-type]
            outputs.append(output.float().cpu())
        return torch.cat(outputs)
    finally:
        gan.G.train(was_training)
