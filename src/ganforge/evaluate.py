"""Evaluation: named metrics of generated samples against real data, in a frozen feature space.

    ganforge eval RUN [--metrics fid,kid] [--n 10000] [--extractor NAME]

Real features are computed once per dataset, split, size and extractor (keyed by the extractor's
weights hash) and cached under ``~/.cache/ganforge/reference``. Images are compared in the space of
a feature extractor (``metrics/extractors.py``); 2-D points are compared as they are.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from ganforge import engine
from ganforge.atomic import atomic_path, write_text_atomic
from ganforge.config import DataConfig
from ganforge.data import load_dataset, sources
from ganforge.errors import GanforgeError, excerpt
from ganforge.limits import load_npy
from ganforge.metrics import classes, fid, inception_score, kid, modes, parzen, prdc, recovery
from ganforge.metrics.extractors import Extractor, default_extractor, get_extractor
from ganforge.output import check_output, writing
from ganforge.tasks import Task, task_of
from ganforge.tasks.evaluation import evaluate_task
from ganforge.trained import load

log = logging.getLogger("ganforge")
EVAL_FILE = "the evaluation file"

DEFAULT_N = 10_000


@dataclass
class SampleSet:
    """Samples seen through an extractor: features (N, D), class probabilities (N, K) or None, raw samples."""

    features: torch.Tensor
    probabilities: torch.Tensor | None
    samples: torch.Tensor | None = None  # kept for metrics that need the samples themselves (2-D, stacked)
    labels: torch.Tensor | None = None  # (N,) the class G was asked for, in a class-conditional run
    codes: torch.Tensor | None = None  # (N, categories + C) InfoGAN's codes G was given, [one-hot | continuous]
    recovered: torch.Tensor | None = None  # (N, categories + C) Q's outputs for the samples, [logits | means]
    categories: int = 0  # columns of ``codes`` that are the categorical code


Compute = Callable[[SampleSet, SampleSet, Any], dict[str, float]]


@dataclass(frozen=True)
class Metric:
    """A registered metric: the sample kinds ("image", "points") and datasets it applies to, and its values."""

    name: str
    compute: Compute  # (real, fake, the real dataset or None) -> {value name: float}
    kinds: tuple[str, ...]
    default: bool = True  # measured when --metrics is left out (for its kinds)
    datasets: tuple[str, ...] | None = None  # only for runs on these datasets; their default is this metric first
    wrong_kind: tuple[str, str] | None = None  # (message, fix) for a kind it does not apply to
    wrong_dataset: tuple[str, str] | None = None  # (message, fix) for a dataset it does not apply to
    needs: str | None = None  # what the run must give beside samples ("labels", "codes"); default where given
    wrong_run: tuple[str, str] | None = None  # (message, fix) for a run that does not give it
    pixels: bool = False  # compares the images themselves, not their features: both SampleSets keep .samples


METRICS: dict[str, Metric] = {}  # in registration order: the order of the defaults and of the choices listed


def register_metric(name: str, kinds: tuple[str, ...] = ("image",), **options: Any) -> Callable[[Compute], Compute]:
    """Register ``compute(real, fake, data)`` as the metric ``name`` (the StyleGAN2-ADA pattern)."""

    def register(compute: Compute) -> Compute:
        METRICS[name] = Metric(name, compute, kinds, **options)
        return compute

    return register


# 2-D points first: the points runs' defaults are modes, precision-recall, density-coverage in that order.
@register_metric(
    "modes", kinds=("points",),
    wrong_kind=("metric 'modes' counts the modes of the 2-D mixtures", "use it on ring or grid runs"),
)  # fmt: skip
def _modes(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    coverage = modes.mode_coverage(fake.samples, data.centers, data.std)
    return {
        "modes_captured": float(coverage.modes_covered),
        "modes_total": float(coverage.modes_total),
        "high_quality": coverage.high_quality,
    }


@register_metric("fid")
def _fid(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    return {"fid": fid.fid(real.features, fake.features)}


@register_metric("kid")
def _kid(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    subset = min(1000, len(real.features), len(fake.features))
    value, std = kid.kid(real.features, fake.features, subset_size=subset)
    return {"kid": value, "kid_std": std}


@register_metric("is")
def _inception_score(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    _need_probabilities(fake, "is")
    value, std = inception_score.inception_score(fake.probabilities, splits=10)
    return {"is": value, "is_std": std}


@register_metric("precision-recall", kinds=("image", "points"))
def _precision_recall(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    precision, recall = prdc.precision_recall(real.features, fake.features, k=3)
    return {"precision": precision, "recall": recall}


@register_metric("density-coverage", kinds=("image", "points"))
def _density_coverage(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    density, coverage = prdc.density_coverage(real.features, fake.features, k=5)
    return {"density": density, "coverage": coverage}


@register_metric("classes")
def _classes(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    _need_probabilities(fake, "classes")
    real_labels = real.probabilities.argmax(1) if real.probabilities is not None else None
    stats = classes.class_statistics(fake.probabilities.argmax(1), fake.probabilities.shape[1], real_labels)
    return {
        "classes_covered": float(stats["classes_covered"]),
        "class_entropy": stats["entropy"],
        "class_kl": stats["kl_to_real"],
    }


@register_metric(
    "class-accuracy", needs="labels",
    wrong_run=("metric 'class-accuracy' needs a class-conditional run and a classifier of its classes",
               "train with model.condition on mnist or fashion-mnist, whose classifiers read the classes"),
)  # fmt: skip
def _class_accuracy(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    _need_probabilities(fake, "class-accuracy")
    result = recovery.class_accuracy(fake.probabilities.argmax(1), fake.labels, fake.probabilities.shape[1])
    return {
        "class_accuracy": result.accuracy,
        "class_accuracy_min": result.per_class[result.worst],
        "class_accuracy_max": result.per_class[result.best],
        "class_accuracy_worst": float(result.worst),  # the class of the min
        "class_accuracy_best": float(result.best),  # the class of the max
    }


@register_metric(
    "info-codes", needs="codes",
    wrong_run=("metric 'info-codes' needs an InfoGAN run", "train with --preset infogan (model.info_categorical)"),
)  # fmt: skip
def _info_codes(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    result = recovery.code_recovery(fake.codes, fake.recovered, fake.categories)
    values = {} if result.accuracy is None else {"info_accuracy": result.accuracy}
    for index, correlation in enumerate(result.correlations):
        values[f"info_correlation_{index}"] = correlation  # Pearson r of Q's mean with continuous code i
    if fake.categories and fake.probabilities is not None:  # does the category mean the classifier's class?
        given = fake.codes[:, : fake.categories].argmax(1)
        purity, baseline = recovery.category_purity(given, fake.probabilities.argmax(1))
        values.update(info_category_purity=purity, info_purity_baseline=baseline)
    return values


@register_metric(
    "stacked-modes", default=False, datasets=("stacked-mnist",),
    wrong_dataset=("metric 'stacked-modes' needs a stacked-mnist run", "use 'classes' for other data"),
)  # fmt: skip
def _stacked_modes(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    stacked = classes.stacked_mnist_modes(fake.samples)
    return {"stacked_modes": float(stacked["modes_covered"]), "stacked_kl": stacked["kl_to_uniform"]}


@register_metric("parzen", default=False, pixels=True)
def _parzen(real: SampleSet, fake: SampleSet, data: Any) -> dict[str, float]:
    # Goodfellow et al. (2014), Table 1: sigma chosen on the first half of the held-out real images, the
    # log-likelihood of the second half reported; pixels in [0, 1] as in the paper.
    held_out, samples = _unit_pixels(real.samples, "the real images"), _unit_pixels(fake.samples, "the samples")
    half = len(held_out) // 2
    if half < 2:
        raise GanforgeError(f"metric 'parzen' got {len(held_out)} real images", "give at least 4 (--n, --real)")
    result = parzen.parzen(samples, held_out[:half], held_out[half : 2 * half])
    return {"parzen_ll": result.log_likelihood, "parzen_ll_se": result.standard_error, "parzen_sigma": result.sigma}


def _unit_pixels(samples: torch.Tensor | None, name: str) -> torch.Tensor:
    """Images in [-1, 1] (clamped, as saving them would) -> pixels in [0, 1], the Parzen paper's scale."""
    if samples is None or samples.ndim != 4 or not samples.is_floating_point():
        raise GanforgeError(f"metric 'parzen' needs {name} as (N, C, H, W) floats", "use it on image runs")
    return (samples.clamp(-1, 1) + 1) / 2


STACKED_DEFAULTS = ("fid", "kid")  # measured after a dataset's own metric (stacked-modes) by default


def parse_metrics(names: str | list[str] | None, kind: str, dataset: str, gives: tuple[str, ...] = ()) -> list[str]:
    """Check metric names for a dataset kind and what the run ``gives`` beside samples ("labels" of a
    conditional run, InfoGAN's "codes"); None gives the defaults: the kind's, and those the run gives for."""
    if names is None:
        own = [name for name, metric in METRICS.items() if metric.datasets and dataset in metric.datasets]
        if own:
            return [*own, *STACKED_DEFAULTS]
        return [
            name for name, metric in METRICS.items()
            if metric.default and kind in metric.kinds and (metric.needs is None or metric.needs in gives)
        ]  # fmt: skip
    if isinstance(names, str):
        names = [name.strip() for name in names.split(",") if name.strip()]
    for name in names:
        metric = METRICS.get(name)
        if metric is None:
            raise GanforgeError(f"unknown metric '{name}'", f"choose from: {', '.join(METRICS)}")
        if kind not in metric.kinds:
            if kind == "points":
                on_points = [other for other, entry in METRICS.items() if "points" in entry.kinds]
                raise GanforgeError(f"metric '{name}' needs images, not 2-D points", f"use {', '.join(on_points)}")
            raise GanforgeError(*(metric.wrong_kind or (f"metric '{name}' does not apply to {kind}", "drop it")))
        if metric.datasets is not None and dataset not in metric.datasets:
            raise GanforgeError(*(metric.wrong_dataset or (f"metric '{name}' does not apply here", "drop it")))
        if metric.needs is not None and metric.needs not in gives:
            raise GanforgeError(*(metric.wrong_run or (f"metric '{name}' does not apply to this run", "drop it")))
    if not names:
        raise GanforgeError("--metrics names no metric", f"choose from: {', '.join(METRICS)}")
    return names


def embed(samples: torch.Tensor, extractor: Extractor | None, keep_samples: bool = False) -> SampleSet:
    """Samples -> their features (the samples themselves for 2-D points); ``keep_samples`` keeps the images too."""
    if extractor is None:
        return SampleSet(samples.float().cpu(), None, samples.float().cpu())
    if extractor.name == "mnist-cnn" and samples.shape[1] == 3:
        # Stacked MNIST: each channel is a digit. Features are the three digits' features side by side
        # (3 x 128), and the digits themselves, as classified, name the mode.
        per_channel = [extractor.features_and_probabilities(samples[:, c : c + 1]) for c in range(3)]
        features = torch.cat([channel_features for channel_features, _ in per_channel], dim=1)
        digits = torch.stack([probabilities.argmax(1) for _, probabilities in per_channel], dim=1)
        return SampleSet(features, None, digits)
    features, probabilities = extractor.features_and_probabilities(samples)
    return SampleSet(features, probabilities, samples.float().cpu() if keep_samples else None)


def needs_pixels(names: list[str]) -> bool:
    """Whether any of the metrics ``names`` compares the images themselves (``Metric.pixels``)."""
    return any(METRICS[name].pixels for name in names)


def space_of(names: list[str], net: Extractor | None) -> str:
    """Where the metrics ``names`` compare samples, for the report's header: the images themselves when every one
    is a pixel metric (``parzen``), else the extractor's feature space (none for 2-D points)."""
    if all(METRICS[name].pixels for name in names):
        return "pixel space"
    return f"the {net.name} feature space" if net else "the plane of the 2-D points"


def with_real_images(real: SampleSet, data: Any) -> SampleSet:
    """``real`` with its images (the first ones of ``data``, as many as it has features) for pixel metrics."""
    return dataclasses.replace(real, samples=data.real(len(real.features)).cpu())


def compute(names: list[str], real: SampleSet, fake: SampleSet, data: Any = None) -> dict[str, float]:
    """The metrics ``names`` of ``fake`` against ``real``, as one flat dict of floats."""
    out: dict[str, float] = {}
    for name in names:
        out.update(METRICS[name].compute(real, fake, data))
    return out


def _need_probabilities(samples: SampleSet, name: str) -> None:
    if samples.probabilities is None:
        raise GanforgeError(
            f"metric '{name}' needs a classifier as extractor", "use mnist-cnn, fashion-cnn or inception"
        )


def reference(data_cfg: DataConfig, extractor: Extractor | None, n: int, device: torch.device) -> SampleSet:
    """Features of the first ``n`` real samples of ``data_cfg`` (its split), cached on disk per extractor.

    The cache is keyed by a digest of the real samples themselves, not only by the settings that chose them:
    a data set cut by ``data.limit``, read from another ``data_dir`` (the full MNIST or the bundled subset) or
    fitted another way never reuses another's features. Loading the samples is cheap; embedding them is not."""
    data = load_dataset(data_cfg, device)
    real = data.real(n if data.kind == "points" else min(n, len(data))).cpu()
    if extractor is None:
        return embed(real, extractor)
    digest = hashlib.sha256(real.contiguous().numpy().tobytes()).hexdigest()[:16]
    key = (f"{data_cfg.name}-{data_cfg.split}-{data_cfg.image_size or 'native'}-{len(real)}-{digest}"
           f"-{extractor.name}-{extractor.weights_sha256[:16]}")  # fmt: skip
    cache = sources.cache_root() / "reference" / f"{key.replace('/', '_').replace(':', '_')}.safetensors"
    cached = _read_reference_cache(cache)
    if cached is not None:
        return cached
    result = embed(real, extractor)
    tensors = {k: v.contiguous() for k, v in dataclasses.asdict(result).items() if isinstance(v, torch.Tensor)}
    try:
        with atomic_path(cache) as tmp:
            save_file(tensors, str(tmp))
    except OSError as error:  # a cache is a convenience: measuring goes on without it
        log.warning("could not cache the reference features in %s (%s)", cache, error.strerror)
    return result


def _read_reference_cache(cache: Path) -> SampleSet | None:
    """The cached reference features, or None (to compute them afresh) when the cache is missing or damaged:
    a truncated or foreign file is replaced, never a reason for every later evaluation to fail."""
    if not cache.is_file():
        return None
    try:
        tensors = load_file(str(cache))
        features = tensors["features"]
        if features.ndim != 2 or not features.is_floating_point():
            raise ValueError(f"features of shape {tuple(features.shape)}")
        return SampleSet(features, tensors.get("probabilities"), tensors.get("samples"))
    except (SafetensorError, OSError, ValueError, KeyError) as error:
        log.warning("reference cache %s is damaged (%s); computing the reference features again", cache,
                    excerpt(str(error)))  # fmt: skip
        return None


def evaluate_run(
    run: str | Path, metrics: str | list[str] | None = None, n: int = DEFAULT_N, extractor: str | None = None,
    split: str = "test", device: str = "auto", batch_size: int = 500, seed: int = 0, truncation: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Evaluate a run's latest checkpoint: ``n`` samples against ``n`` real ones; writes RUN/eval.json.

    Under torchrun each process generates and embeds its share of the samples; rank 0 gathers the
    features, compares them with the real ones and writes the file, and every process returns its result.
    """
    started = time.perf_counter()
    with engine.process_group(device):
        trained = load(run, device=device)
        engine.on_main(lambda: check_output(Path(run) / "eval.json", EVAL_FILE, (".json",), True, run=run,
                                            own=("eval.json",)))  # an unwritable run fails now, not after the work
        cfg = trained.config
        task = task_of(cfg)
        if task is not None:  # image-to-image runs: the task's own metrics (ganforge.tasks), on rank 0
            if truncation is not None:
                raise GanforgeError(f"{run} is a {task.name} run: it maps images to images, with no latents to "
                                    "truncate", "drop --truncation")  # fmt: skip
            return engine.on_main(
                lambda: _evaluate_task_run(task, run, trained, metrics, n, extractor, split, batch_size, started)
            )
        kind = "points" if len(trained.data_shape) == 1 else "image"
        net = _extractor(kind, cfg.data.name, extractor, trained.device, batch_size)
        names = parse_metrics(metrics, kind, cfg.data.name, _gives(trained, net))
        pixels = needs_pixels(names)
        fake = gather_sample_set(_generated(trained, net, n, seed, batch_size, pixels, truncation))

        def measure() -> dict[str, Any]:
            real_cfg = dataclasses.replace(cfg.data, split=split)
            real = reference(real_cfg, net, n, trained.device)
            data = load_dataset(real_cfg) if "modes" in names or pixels else None
            if pixels:
                real = with_real_images(real, data)
            result = {
                "step": trained.step,
                "n": n,
                "truncation": truncation,
                "extractor": net.name if net else "none (2-D points)",
                "space": space_of(names, net),
                "extractor_sha256": net.weights_sha256 if net else None,
                "reference": {"dataset": cfg.data.name, "split": split, "n": len(real.features)},
                "metrics": compute(names, real, fake, data),
                "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "seconds": round(time.perf_counter() - started, 2),
            }
            write_eval_json(run, result)
            return result

        return engine.on_main(measure)


def write_eval_json(run: str | Path, result: dict[str, Any]) -> None:
    """RUN/eval.json, atomically; a failure to write is one line naming the file."""
    with writing(Path(run) / "eval.json", EVAL_FILE):
        write_text_atomic(Path(run) / "eval.json", json.dumps(result, indent=2) + "\n")


def _gives(trained: Any, net: Extractor | None) -> tuple[str, ...]:
    """What a run gives the metrics beside its samples: the classes asked for, where the extractor is a
    classifier of the run's classes, and InfoGAN's codes."""
    gives = []
    if trained.num_classes and net is not None and net.num_classes == trained.num_classes:
        gives.append("labels")
    if trained.gan.codes is not None:
        gives.append("codes")
    return tuple(gives)


def _generated(
    trained: Any, net: Extractor | None, n: int, seed: int, batch_size: int, pixels: bool, truncation: float | None
) -> SampleSet:
    """This process's share of ``n`` samples, embedded (with the images too when ``pixels``), with the classes
    asked for and InfoGAN's codes."""
    rows = engine.rows_of_rank(n)
    latents = trained.latents(n, seed, truncation)[rows]  # the same samples whatever the processes
    labels = (torch.arange(n) % trained.num_classes)[rows] if trained.num_classes else None  # classes in turn
    samples = trained.generate(latents, batch_size, labels)
    result = embed(samples, net, pixels)
    result.labels = labels
    codes = trained.gan.codes
    if codes is not None:  # InfoGAN: the codes G was given, and what Q reads back from its samples
        _, one_hot, continuous = codes.split(latents)
        result.codes = torch.cat([one_hot, continuous], dim=1).float().cpu()
        result.recovered = trained.recognise(samples, batch_size)
        result.categories = codes.categorical
    return result


def _evaluate_task_run(
    task: Task, run: str | Path, trained: Any, metrics: Any, n: int, extractor: str | None, split: str, batch_size: int,
    started: float,
) -> dict[str, Any]:  # fmt: skip
    if metrics is not None or extractor is not None:
        raise GanforgeError(
            f"{run} is a {task.name} run, measured by its task's own metrics",
            "drop --metrics and --extractor (see docs/applications.md for what is reported)",
        )
    result = evaluate_task(task, trained, n, split, batch_size)
    result["created"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    result["seconds"] = round(time.perf_counter() - started, 2)
    write_eval_json(run, result)
    return result


def evaluate_arrays(
    real_path: str | Path, fake_path: str | Path, metrics: str | list[str] | None = None,
    extractor: str | None = None, device: str = "cpu", batch_size: int = 500,
) -> dict[str, Any]:  # fmt: skip
    """Compare two ``.npy`` sample sets in the layout ``ganforge sample`` writes."""
    real_samples, fake_samples = _read_npy(real_path), _read_npy(fake_path)
    if real_samples.shape[1:] != fake_samples.shape[1:]:
        raise GanforgeError(
            f"{real_path} holds samples of shape {tuple(real_samples.shape[1:])}, "
            f"{fake_path} of {tuple(fake_samples.shape[1:])}",
            "compare sample sets of the same shape",
        )
    kind = "points" if real_samples.ndim == 2 else "image"
    names = parse_metrics(metrics or (["precision-recall", "density-coverage"] if kind == "points" else None),
                         kind, "")  # fmt: skip
    if extractor is None and kind == "image":
        extractor = "fashion-cnn" if real_samples.shape[1] == 1 else "inception"
        log.warning("no --extractor given: comparing in the %s feature space", extractor)
    net = _extractor(kind, "", extractor, torch.device(device), batch_size)
    pixels = needs_pixels(names)
    real, fake = embed(real_samples, net, pixels), embed(fake_samples, net, pixels)
    return {
        "n_real": len(real_samples), "n_fake": len(fake_samples), "extractor": net.name if net else "none",
        "space": space_of(names, net),
        "metrics": compute(names, real, fake),
    }  # fmt: skip


def _extractor(kind: str, dataset: str, name: str | None, device: torch.device, batch_size: int) -> Extractor | None:
    if kind == "points":
        if name is not None:
            raise GanforgeError(f"--extractor {name} is for images; 2-D points are compared as they are", "drop it")
        return None
    return get_extractor(name or default_extractor(dataset), device, batch_size)


def _read_npy(path: str | Path) -> torch.Tensor:
    path = Path(path)
    if not path.is_file():
        raise GanforgeError(f"{path} does not exist", "write one with 'ganforge sample RUN --out FILE.npy'")
    array = load_npy(path)  # its header checked first: shape against the file's size and the memory free
    if (
        array.ndim not in (2, 4)
        or (array.ndim == 2 and array.shape[1] != 2)
        or not np.issubdtype(array.dtype, np.floating)
    ):
        raise GanforgeError(
            f"{path} holds a {array.dtype} array of shape {array.shape}",
            "give float samples shaped N x C x H x W in [-1, 1] (or N x 2 points), as 'ganforge sample' writes",
        )
    return torch.from_numpy(array.astype(np.float32))


class TrainingEvaluator:
    """Metrics during training: fixed latents, real features computed once, a few named metrics.

    Under torchrun each process generates and embeds its share of the latents, and rank 0 gathers
    the features and computes the metrics (the other processes get an empty dict).
    """

    def __init__(self, cfg: Any, kind: str, device: torch.device, latents: torch.Tensor) -> None:
        default = "modes" if kind == "points" else "fid"
        self.names = parse_metrics(cfg.train.eval_metrics or default, kind, cfg.data.name)
        self.extractor = _extractor(kind, cfg.data.name, None, device, 500)
        real_cfg = dataclasses.replace(cfg.data, split="test")
        self.real, self.data = None, None
        self.pixels = needs_pixels(self.names)
        if engine.is_main():  # only rank 0 compares with real data
            self.real = reference(real_cfg, self.extractor, cfg.train.eval_samples, device)
            self.data = load_dataset(real_cfg) if "modes" in self.names or self.pixels else None
            if self.pixels:
                self.real = with_real_images(self.real, self.data)
        self.latents = latents  # (eval_samples, z_dim): the same latents at every measurement

    def __call__(self, generate: Any) -> dict[str, float]:
        """Measure ``generate(z)`` (which returns samples on the CPU) on the fixed latents."""
        mine = self.latents[engine.rows_of_rank(len(self.latents))]
        samples = torch.cat([generate(z) for z in mine.split(500)])
        fake = gather_sample_set(embed(samples, self.extractor, self.pixels))
        if fake is None:
            return {}
        values = compute(self.names, self.real, fake, self.data)
        return {f"eval/{name}": value for name, value in values.items()}


def gather_sample_set(part: SampleSet) -> SampleSet | None:
    """Every process's share of a sample set, in rank order, on rank 0 (None elsewhere)."""
    fields = {field.name: getattr(part, field.name) for field in dataclasses.fields(part)}
    gathered = {
        name: engine.gather_rows(value) if isinstance(value, torch.Tensor) else value for name, value in fields.items()
    }
    if not engine.is_main():
        return None
    return SampleSet(**gathered)
