"""Measuring a task run: its own pixel metrics beside the baselines, and FID and class agreement where a
shipped 28 px classifier knows the data (docs/applications.md). Shared by every task; what differs is asked
of the task (``Task.metrics``, ``baseline``, ``class_reference``, and cyclegan's domain classifier)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from torch import Tensor

from ganforge.data import pairs
from ganforge.data.pairs import Pair
from ganforge.gans.base import GAN
from ganforge.metrics.extractors import get_extractor
from ganforge.metrics.fid import fid
from ganforge.tasks.base import Task, apply_generator

if TYPE_CHECKING:
    from ganforge.config import Config

DOMAIN_EXTRACTORS = {"mnist": "mnist-cnn", "fashion-mnist": "fashion-cnn"}  # shipped 28 px classifiers
CLASS_CHANGING = ("tops2shoes", "mnist2inverted")  # translations the shipped classifiers cannot check for class


def evaluate_task(task: Task, trained: Any, n: int, split: str, batch_size: int) -> dict[str, Any]:
    """The task's metrics on the first ``n`` examples of ``split`` (built-in data; folders have no split),
    each beside the baseline it must beat (see docs/applications.md)."""
    cfg = trained.config
    own = task.evaluate(trained.gan, cfg, split, n, batch_size)
    if own is not None:  # a task measured its own way (video: per predicted frame; text2image)
        return {"step": trained.step, **own}
    data = task.load_data(_with_split(cfg, split), "cpu")
    examples = data.examples(n)
    output = apply_generator(trained.gan, examples, batch_size)
    classifier = None
    if task.needs_domain_classifier:
        train_data = data if split == "train" else task.load_data(_with_split(cfg, "train"), "cpu")
        classifier = task.domain_classifier(train_data, cfg.train.seed)
    metrics = _pixel_metrics(task, trained.gan, classifier, examples, output, data.real(), batch_size)
    metrics.update(held_out_metrics(task, cfg, trained.gan, classifier, examples, data.real(), batch_size))
    base = _base_dataset(cfg)
    measured_by = "none (pixel metrics)"
    if base in DOMAIN_EXTRACTORS and tuple(output.shape[1:]) == (1, 28, 28):
        measured_by = DOMAIN_EXTRACTORS[base]
        reference = task.class_reference(examples)
        metrics.update(_domain_metrics(measured_by, output, reference, examples.target, batch_size, cfg))
        baseline = task.baseline(examples, data.real())
        if baseline is not None:  # the same for the baseline: does G look more real than it?
            name, images = baseline
            measured = _domain_metrics(measured_by, images, reference, examples.target, batch_size, cfg)
            metrics.update({f"{metric}_{name}": value for metric, value in measured.items()})
    return {
        "step": trained.step,
        "n": len(examples),
        "held_out_filter": cfg.task.held_out_filter,
        "extractor": measured_by,
        "reference": {"dataset": cfg.data.name, "split": split, "n": len(examples)},
        "metrics": metrics,
    }


class TaskEvaluator:
    """The task's pixel metrics during training (``--eval-every``): the same held-out test examples at every
    measurement, and for cyclegan a domain classifier trained once. FID and class agreement are left to
    ``ganforge eval``."""

    def __init__(self, task: Task, cfg: Config, gan: GAN) -> None:
        self.task, self.cfg, self.gan = task, cfg, gan
        data = task.load_data(_with_split(cfg, "test"), "cpu")
        self.examples = data.examples(cfg.train.eval_samples)
        self.images = data.real()
        self.classifier = None
        if task.needs_domain_classifier:
            train_data = task.load_data(_with_split(cfg, "train"), "cpu")
            self.classifier = task.domain_classifier(train_data, cfg.train.seed)

    def __call__(self, generate: Any = None) -> dict[str, float]:
        """Measure G now; ``generate`` (the loop's sampler from noise) is not used by tasks."""
        own = self.task.evaluate(self.gan, self.cfg, "test", len(self.examples), 500)
        if own is not None:
            shown = own.get("training_metrics", own["metrics"])  # a task may log fewer during training
            return {f"eval/{name}": value for name, value in shown.items()}
        output = apply_generator(self.gan, self.examples)
        values = _pixel_metrics(self.task, self.gan, self.classifier, self.examples, output, self.images, 500)
        values.update(held_out_metrics(self.task, self.cfg, self.gan, self.classifier, self.examples, self.images))
        return {f"eval/{name}": value for name, value in values.items()}


def held_out_metrics(
    task: Task, cfg: Config, gan: GAN, classifier: Any, examples: Pair, images: Tensor, batch_size: int = 500
) -> dict[str, float]:
    """The task's metrics on ``examples`` whose inputs ``task.held_out_filter`` made (``Task.held_out``): how
    the task holds up on inputs made by a filter it did not train on; named ``held_out/<metric>``."""
    held_out = task.held_out(cfg, examples)
    output = apply_generator(gan, held_out, batch_size)
    values = _pixel_metrics(task, gan, classifier, held_out, output, images, batch_size)
    return {f"held_out/{name}": value for name, value in values.items()}


def _pixel_metrics(
    task: Task, gan: GAN, classifier: Any, examples: Pair, output: Tensor, images: Tensor, batch_size: int
) -> dict[str, float]:
    if classifier is not None:  # an unpaired task: measured by its domain classifier
        return task.cycle_metrics(gan, classifier, examples, output, batch_size)
    return task.metrics(examples, output, images)


def _with_split(cfg: Config, split: str) -> Config:
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, split=split, limit=None))


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
    extractor = get_extractor(extractor_name, "cpu", batch_size)
    features, probabilities = extractor.features_and_probabilities(output)
    metrics = {"fid": fid(extractor.features(target), features)}
    if cfg.data.name not in CLASS_CHANGING:
        agree = probabilities.argmax(1) == extractor.probabilities(reference).argmax(1)
        metrics["class_agreement"] = float(agree.float().mean())
    return metrics
