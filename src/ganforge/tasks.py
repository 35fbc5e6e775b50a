"""Image-to-image tasks on the training engine: pix2pix, CycleGAN/DiscoGAN, SRGAN and context encoders.

A task is a GAN variant (``gans/pix2pix.py``, ``cyclegan.py``, ``srgan.py``, ``inpaint.py``) whose "labels"
are a ``data.pairs.Pair``: the source image G reads and the target it should produce. The loop of
``train.py`` runs unchanged (d_steps D updates, then one G update, its two optimisers over ``gan.G`` and
``gan.D``); this module gives the loop its data and networks, and pictures and measures the results.

    ganforge train --task srgan                      # = --preset srgan: x4 super-resolution of Fashion-MNIST
    ganforge translate RUN --input lr.npy --out sr.npy
    ganforge eval RUN                                # PSNR and SSIM against bicubic upsampling
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from ganforge.data import DATASETS, load_dataset, pairs
from ganforge.data.folder import PREFIX as FOLDER_PREFIX
from ganforge.data.pairs import Pair, PairedData, UnpairedData, make_masks, with_hole
from ganforge.errors import GanforgeError
from ganforge.gans.adversarial import FORMS
from ganforge.gans.base import GAN
from ganforge.gans.cyclegan import CycleGAN
from ganforge.gans.inpaint import ContextEncoder
from ganforge.gans.pix2pix import Pix2Pix
from ganforge.gans.srgan import SRGAN
from ganforge.models import translation

if TYPE_CHECKING:
    from ganforge.config import Config

log = logging.getLogger("ganforge")

FRAME_EXAMPLES = 16  # examples in a progress picture: 8 rows of two input | output | target triplets
CYCLE_BLOCKS = 3  # residual blocks in each CycleGAN generator (the paper: 6 at 128 px, 9 at 256 px)
SR_BLOCKS = 4  # residual blocks in SRResNet (the paper: 16)
SCALES = (2, 4)
MASKS = ("center", "boxes")
DOMAIN_EXTRACTORS = {"mnist": "mnist-cnn", "fashion-mnist": "fashion-cnn"}  # shipped 28 px classifiers
CLASS_CHANGING = ("tops2shoes", "mnist2inverted")  # translations the shipped classifiers cannot check for class


@dataclass(frozen=True)
class Task:
    """A task's registry entry: its paper, network name, variant, what data it reads and its CPU defaults."""

    paper: str
    networks: tuple[str, ...]  # the model.name values it trains, the first by default (D_NORMS has each)
    variant: type[GAN]
    data: str  # which --dataset values it reads, for error messages
    steps: int  # default training length: a recognisable result in minutes on two CPU cores


TASKS: dict[str, Task] = {
    "pix2pix": Task(
        "Isola, Zhu, Zhou and Efros (2017), Image-to-Image Translation with Conditional Adversarial Networks",
        ("unet",),
        Pix2Pix,
        f"paired data: {', '.join(pairs.PAIRED)} or pairs:A_DIR,B_DIR",
        2000,
    ),
    "cyclegan": Task(
        "Zhu, Park, Isola and Efros (2017), Unpaired Image-to-Image Translation using Cycle-Consistent "
        "Adversarial Networks",
        ("resnet", "unet"),  # CycleGAN's code offers both generators
        CycleGAN,
        f"two domains: {', '.join(pairs.UNPAIRED)} or unpaired:A_DIR,B_DIR",
        2000,
    ),
    "srgan": Task(
        "Ledig et al. (2017), Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial Network",
        ("srresnet",),
        SRGAN,
        "images: mnist, fashion-mnist, cifar10 or folder:PATH (downscaled by task.scale)",
        1500,
    ),
    "inpaint": Task(
        "Pathak, Krahenbuhl, Donahue, Darrell and Efros (2016), Context Encoders: Feature Learning by Inpainting",
        ("context-encoder",),
        ContextEncoder,
        "images: mnist, fashion-mnist, cifar10 or folder:PATH (holes cut by task.mask)",
        2000,
    ),
}


# -- configuration -----------------------------------------------------------------------------------


def task_preset(name: str) -> str:
    """The preset ``--task NAME`` brings: the task's own (same name), after checking the name."""
    from ganforge.config import _choice

    _choice("task", "--task", name, TASKS)
    return name


def resolve_task(cfg: Config) -> dict[str, Any]:
    """Check a task run's settings (``cfg`` is edited in place) and return its defaults in the layout of
    ``config.MODEL_DEFAULTS``: the optimisers' settings and the training cadence."""
    from ganforge.config import _choice

    task, train = cfg.task, cfg.train
    _choice("task", "--task", task.name, TASKS)
    entry = TASKS[task.name]
    if cfg.model.name == "mlp":  # the built-in default: the task picks its network
        cfg.model.name = entry.networks[0]
    if cfg.model.name not in entry.networks:
        raise GanforgeError(
            f"--model {cfg.model.name} is not a network of the {task.name} task, which trains "
            + " or ".join(f"'{name}'" for name in entry.networks),
            f"leave --model out for --task {task.name}",
        )
    _check_task_data(task.name, cfg.data.name, entry)
    _choice(f"adversarial loss for --task {task.name}", "--loss", train.loss, FORMS)
    _choice("upsampling factor", "task.scale", str(task.scale), [str(scale) for scale in SCALES])
    _choice("mask", "task.mask", task.mask, MASKS)
    if not 0 < task.hole < 1:
        raise GanforgeError(f"task.hole={task.hole} must be between 0 and 1", "e.g. 0.5: a hole half the image's side")
    for key in ("l1_weight", "cycle_weight", "identity_weight", "adversarial_weight", "rec_weight", "feature_weight"):
        if getattr(task, key) < 0:
            raise GanforgeError(f"task.{key}={getattr(task, key)} must be 0 or more", "see docs/applications.md")
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
    adam = {"lr": 2e-4, "betas": [0.5, 0.999]}  # all four papers train with Adam near these values
    every = max(1, entry.steps // 20)
    return {
        "adam": adam,
        "sgd": {"lr": 0.02, "momentum": 0.5},
        "rmsprop": {"lr": 5e-5, "momentum": 0.0},
        "train": {"steps": entry.steps, "sample_every": every, "checkpoint_every": 500, "health_every": 0},
    }


def _check_task_data(name: str, dataset: str, entry: Task) -> None:
    if name == "pix2pix":
        ok = dataset in pairs.PAIRED or dataset.startswith(pairs.PAIRS_PREFIX)
    elif name == "cyclegan":
        ok = dataset in pairs.UNPAIRED or dataset.startswith(pairs.UNPAIRED_PREFIX)
    else:
        ok = dataset.startswith(FOLDER_PREFIX) or DATASETS.get(dataset, None) is not None
        ok = ok and dataset not in ("ring", "grid", "stacked-mnist")
    if not ok:
        raise GanforgeError(f"--dataset {dataset} does not fit --task {name}", f"{name} reads {entry.data}")


# -- data and networks -------------------------------------------------------------------------------


def load_task_data(cfg: Config, device: torch.device | str = "cpu") -> Any:
    """The task's dataset on ``device``: ``PairedData``, ``UnpairedData`` or ``MaskedData`` (see data/pairs.py)."""
    task = cfg.task

    def load_base(base: str) -> Any:  # mnist / fashion-mnist with the run's split, limit, size and data_dir
        return load_dataset(dataclasses.replace(cfg.data, name=base), device)

    if task.name == "pix2pix":
        data = pairs.load_paired(cfg.data.name, load_base, cfg.data.image_size)
    elif task.name == "cyclegan":
        data = pairs.load_unpaired(cfg.data.name, load_base, cfg.data.image_size)
    else:
        images = load_dataset(cfg.data, device)
        data = _restoration_data(cfg, images)
    if cfg.data.limit is not None and cfg.data.name.startswith((pairs.PAIRS_PREFIX, pairs.UNPAIRED_PREFIX)):
        data = data.first(cfg.data.limit)
    _check_side(cfg, data.shape)
    return data.to(device)


def _restoration_data(cfg: Config, images: Any) -> Any:
    task = cfg.task
    if task.name == "srgan":
        _channels, height, width = images.shape
        if height % task.scale or width % task.scale:
            raise GanforgeError(
                f"{cfg.data.name}'s {height} x {width} images do not divide by task.scale={task.scale}",
                f"set --image-size to a multiple of {task.scale}, e.g. {4 * task.scale * 2}",
            )
        lows = pairs.downscale(images.images, task.scale)
        return PairedData(cfg.data.name, lows, images.images, f"x{task.scale} downscaled; {images.source}")
    return pairs.MaskedData(cfg.data.name, images.images, images.source, task.mask, task.hole)


def _check_side(cfg: Config, shape: tuple[int, int, int]) -> None:
    _channels, height, width = shape
    need = 4 if cfg.task.name == "cyclegan" else 2
    if height != width or height % need or translation.unet_depth(height) == 0:
        raise GanforgeError(
            f"--task {cfg.task.name} takes square images whose side divides by {need} (at least 8), "
            f"not {height} x {width}",
            "set --image-size, e.g. 28, 32 or 64",
        )


def build_networks(cfg: Config, shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """The task's (G, D) for targets of ``shape`` (C, H, W)."""
    channels, side, _ = shape
    width, norm = cfg.model.width, cfg.model.d_norm or "batch"
    name = cfg.task.name
    if name == "cyclegan":
        G = translation.CycleGenerators(_cycle_generator(cfg, channels, side), _cycle_generator(cfg, channels, side))
        D = translation.CycleDiscriminators(
            translation.PatchGAN(channels, width, side, norm), translation.PatchGAN(channels, width, side, norm)
        )
        return G, D
    if name == "srgan":  # D judges high-resolution images alone
        G = translation.SRResNet(channels, width, SR_BLOCKS, cfg.task.scale)
        return G, translation.PatchGAN(channels, width, side, norm)
    depth = translation.unet_depth(side)
    if name == "pix2pix":  # D reads the input beside the image it judges: 2C channels
        G = translation.UNet(channels, channels, width, depth)
        return G, translation.PatchGAN(2 * channels, width, side, norm)
    G = translation.UNet(channels + 1, channels, width, depth)  # inpaint: the image with its hole, and the mask
    return G, translation.PatchGAN(channels, width, side, norm)


def _cycle_generator(cfg: Config, channels: int, side: int) -> nn.Module:
    """CycleGAN's ResNet generator, or with ``--model unet`` a U-Net whose skips keep the input's layout."""
    if cfg.model.name == "unet":
        return translation.UNet(channels, channels, cfg.model.width, translation.unet_depth(side), norm="instance")
    return translation.ResnetGenerator(channels, cfg.model.width, CYCLE_BLOCKS)


def make_task_gan(cfg: Config, G: nn.Module, D: nn.Module) -> GAN:
    """The task's variant around G and D."""
    return TASKS[cfg.task.name].variant.from_config(cfg, G, D)


def source_shape(cfg: Config, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """What G reads, (C, H, W), for targets of ``shape``: the same, 1/scale the side (srgan), or one more
    channel for the mask (inpaint)."""
    channels, height, width = shape
    if cfg.task.name == "srgan":
        return channels, height // cfg.task.scale, width // cfg.task.scale
    if cfg.task.name == "inpaint":
        return channels + 1, height, width
    return channels, height, width


def translate_images(
    cfg: Config, gan: GAN, data_shape: tuple[int, ...], images: Tensor, reverse: bool, seed: int, batch_size: int,
    where: str, run: Any,
) -> tuple[Tensor, Tensor]:  # fmt: skip
    """A trained task's (outputs, inputs as pictured) for ``images`` (N, C, H, W) in [-1, 1], on the CPU; for
    inpainting, holes are cut by the run's mask rule (random boxes drawn from ``seed``)."""
    task = cfg.task.name
    if reverse and task != "cyclegan":
        raise GanforgeError(f"--reverse translates B -> A, which only cyclegan runs learn ({run} is {task})", "drop it")
    expected = tuple(data_shape) if task == "inpaint" else source_shape(cfg, tuple(data_shape))
    if images.dim() != 4 or tuple(images.shape[1:]) != expected:
        raise GanforgeError(
            f"{where} holds images of {_shape(images.shape[1:])}, but {run} ({task}) reads {_shape(expected)}",
            "resize or convert them first (e.g. with PIL), or translate with a run trained at that size",
        )
    images = images.detach().float().cpu()
    if task == "inpaint":  # the run's hole rule; random boxes come from ``seed``
        generator = torch.Generator().manual_seed(seed)
        pair = with_hole(images, make_masks(len(images), images.shape[-2:], cfg.task.mask, cfg.task.hole, generator))
    else:
        pair = Pair(images, images)
    outputs = apply_generator(gan, pair, batch_size, reverse=reverse)
    return outputs, visible_input(task, pair.source, tuple(outputs.shape[-2:]))


def _shape(shape: tuple[int, ...]) -> str:
    return " x ".join(str(side) for side in shape)


# -- pictures ----------------------------------------------------------------------------------------


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


def visible_input(cfg_task: str, source: Tensor, size: tuple[int, int]) -> Tensor:
    """A source as a picture of the target's size: low resolution enlarged by pixel repetition, the mask
    channel dropped (the hole shows as mid-grey)."""
    if cfg_task == "inpaint":
        return source[:, :-1]
    if source.shape[-2:] != size:
        return torch.nn.functional.interpolate(source, size=size, mode="nearest")
    return source


def frame_images(task: str, gan: GAN, examples: Pair) -> Tensor:
    """Input | output | target triplets, one after another (for cyclegan: a | G(a) | F(G(a)), then
    b | F(b) | G(F(b)))."""
    output = apply_generator(gan, examples)
    source, target = examples.source.float().cpu(), examples.target.float().cpu()
    if task == "cyclegan":
        back = apply_generator(gan, Pair(output, output), reverse=True)
        fake_a = apply_generator(gan, Pair(target, target), reverse=True)
        again = apply_generator(gan, Pair(fake_a, fake_a))
        half = len(source)
        triplets = [torch.stack([source, output, back], 1), torch.stack([target, fake_a, again], 1)]
        return torch.stack(triplets, 1).reshape(half * 6, *target.shape[1:])  # (n * 6, C, H, W)
    shown = visible_input(task, source, tuple(target.shape[-2:]))
    return torch.stack([shown, output, target], 1).flatten(0, 1)  # (n * 3, C, H, W)


def save_task_frame(cfg: Config, gan: GAN, data: Any, path: Any) -> None:
    """A progress picture of a task run: rows of input | output | target (two triplets per row)."""
    from ganforge.viz.grid import save_image_grid

    examples = data.examples(FRAME_EXAMPLES if cfg.task.name != "cyclegan" else FRAME_EXAMPLES // 2)
    save_image_grid(frame_images(cfg.task.name, gan, examples), path, nrow=6)


# -- measurement -------------------------------------------------------------------------------------


def evaluate_task(trained: Any, n: int, split: str, batch_size: int) -> dict[str, Any]:
    """The task's metrics on the first ``n`` examples of ``split`` (built-in data; folders have no split),
    each beside the baseline it must beat (see docs/applications.md)."""
    cfg = trained.config
    data = load_task_data(_with_split(cfg, split), "cpu")
    examples = data.examples(n)
    output = apply_generator(trained.gan, examples, batch_size)
    if cfg.task.name == "cyclegan":
        train_data = data if split == "train" else load_task_data(_with_split(cfg, "train"), "cpu")
        classifier = _domain_classifier(train_data, cfg.train.seed)
        metrics = _cycle_metrics(trained.gan, classifier, examples, output, batch_size)
    else:
        metrics = _paired_metrics(cfg.task.name, examples, output, data.real())
    base = _base_dataset(cfg)
    measured_by = "none (pixel metrics)"
    if base in DOMAIN_EXTRACTORS and tuple(output.shape[1:]) == (1, 28, 28):
        measured_by = DOMAIN_EXTRACTORS[base]
        # the class of the output against its reference's: the target's, or for cyclegan the input's
        reference = examples.source if cfg.task.name == "cyclegan" else examples.target
        metrics.update(_domain_metrics(measured_by, output, reference, examples.target, batch_size, cfg))
        if cfg.task.name in ("srgan", "inpaint"):  # the same for the baseline: does G look more real than it?
            baseline, images = _baseline(cfg.task.name, examples, data.real())
            measured = _domain_metrics(measured_by, images, reference, examples.target, batch_size, cfg)
            metrics.update({f"{name}_{baseline}": value for name, value in measured.items()})
    return {
        "step": trained.step,
        "n": len(examples),
        "extractor": measured_by,
        "reference": {"dataset": cfg.data.name, "split": split, "n": len(examples)},
        "metrics": metrics,
    }


def _with_split(cfg: Config, split: str) -> Config:
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, split=split, limit=None))


def _paired_metrics(task: str, examples: Pair, output: Tensor, images: Tensor) -> dict[str, float]:
    """pix2pix: L1 to the target against G = identity and G = the mean image; srgan: PSNR and SSIM against
    bicubic upsampling; inpaint: PSNR on the hole against filling it with the mean image."""
    from ganforge.metrics import restoration

    target = examples.target
    if task == "pix2pix":
        mean = images.float().mean(0, keepdim=True).expand_as(target)
        return {
            "l1": restoration.l1(output, target),
            "l1_identity": restoration.l1(examples.source, target),
            "l1_mean": restoration.l1(mean, target),
            "psnr": restoration.psnr(output, target),
            "ssim": restoration.ssim(output, target),
        }
    if task == "srgan":
        bicubic = pairs.upscale_bicubic(examples.source, tuple(target.shape[-2:]))
        return {
            "psnr": restoration.psnr(output, target),
            "psnr_bicubic": restoration.psnr(bicubic, target),
            "ssim": restoration.ssim(output, target),
            "ssim_bicubic": restoration.ssim(bicubic, target),
        }
    mean_fill = mean_filled(examples, images)
    return {
        "psnr_hole": restoration.psnr(output, target, examples.mask),
        "psnr_hole_mean_fill": restoration.psnr(mean_fill, target, examples.mask),
        "l1_hole": restoration.l1(output, target, examples.mask),
        "l1_hole_mean_fill": restoration.l1(mean_fill, target, examples.mask),
        "ssim": restoration.ssim(output, target),
        "ssim_mean_fill": restoration.ssim(mean_fill, target),
    }


def _baseline(task: str, examples: Pair, images: Tensor) -> tuple[str, Tensor]:
    """The output of the method a task must beat: bicubic upsampling (srgan) or mean fill (inpaint)."""
    if task == "srgan":
        return "bicubic", pairs.upscale_bicubic(examples.source, tuple(examples.target.shape[-2:]))
    return "mean_fill", mean_filled(examples, images)


def mean_filled(examples: Pair, images: Tensor) -> Tensor:
    """The inpainting baseline: every hole filled with the mean of ``images``."""
    mean = images.float().mean(0, keepdim=True)
    return examples.mask * mean + (1 - examples.mask) * examples.target


def _domain_classifier(train_data: UnpairedData, seed: int) -> nn.Module:
    """A classifier of A versus B, trained on real training images of both (``metrics/domains.py``)."""
    from ganforge.metrics import domains

    train = train_data.examples(domains.TRAIN_IMAGES)
    return domains.train_domain_classifier(train.source, train.target, seed=seed)


def _cycle_metrics(gan: GAN, classifier: Any, examples: Pair, output: Tensor, batch_size: int) -> dict[str, float]:
    """Cycle error both ways, and how often the domain classifier puts translations in the other domain:
    G(a) in B, F(b) in A."""
    from ganforge.metrics import domains, restoration

    a, b = examples.source, examples.target
    fake_a = apply_generator(gan, Pair(b, b), batch_size, reverse=True)
    back_a = apply_generator(gan, Pair(output, output), batch_size, reverse=True)  # F(G(a))
    back_b = apply_generator(gan, Pair(fake_a, fake_a), batch_size)  # G(F(b))
    in_b = domains.fraction_in_b
    return {
        "cycle_error": (restoration.l1(back_a, a) + restoration.l1(back_b, b)) / 2,
        "domain_accuracy_ab": in_b(classifier, output),
        "domain_accuracy_ba": 1 - in_b(classifier, fake_a),
        "domain_accuracy_real": (1 - in_b(classifier, a) + in_b(classifier, b)) / 2,
    }


class TaskEvaluator:
    """The task's pixel metrics during training (``--eval-every``): the same held-out test examples at every
    measurement, and for cyclegan a domain classifier trained once. FID and class agreement are left to
    ``ganforge eval``."""

    def __init__(self, cfg: Config, gan: GAN) -> None:
        self.cfg, self.gan = cfg, gan
        data = load_task_data(_with_split(cfg, "test"), "cpu")
        self.examples = data.examples(cfg.train.eval_samples)
        self.images = data.real()
        self.classifier = None
        if cfg.task.name == "cyclegan":
            train_data = load_task_data(_with_split(cfg, "train"), "cpu")
            self.classifier = _domain_classifier(train_data, cfg.train.seed)

    def __call__(self, generate: Any = None) -> dict[str, float]:
        """Measure G now; ``generate`` (the loop's sampler from noise) is not used by tasks."""
        output = apply_generator(self.gan, self.examples)
        if self.classifier is not None:
            values = _cycle_metrics(self.gan, self.classifier, self.examples, output, 500)
        else:
            values = _paired_metrics(self.cfg.task.name, self.examples, output, self.images)
        return {f"eval/{name}": value for name, value in values.items()}


def _base_dataset(cfg: Config) -> str:
    name = cfg.data.name
    if name in pairs.PAIRED:
        return pairs.PAIRED[name].base
    if name in pairs.UNPAIRED:
        return pairs.UNPAIRED[name].base
    return name


def _domain_metrics(
    extractor_name: str, output: Tensor, reference: Tensor, target: Tensor, batch_size: int, cfg: Config
) -> dict[str, float]:
    """FID of the outputs against the targets, and (where the class should survive) how often the shipped
    classifier gives the output its reference's class."""
    from ganforge.metrics.extractors import get_extractor
    from ganforge.metrics.fid import fid

    extractor = get_extractor(extractor_name, "cpu", batch_size)
    features, probabilities = extractor.features_and_probabilities(output)
    metrics = {"fid": fid(extractor.features(target), features)}
    if cfg.data.name not in CLASS_CHANGING:
        agree = probabilities.argmax(1) == extractor.probabilities(reference).argmax(1)
        metrics["class_agreement"] = float(agree.float().mean())
    return metrics
