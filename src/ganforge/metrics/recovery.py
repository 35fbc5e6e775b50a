"""Does a generator obey what it is given? The class of a conditional G, the codes of an InfoGAN G.

- ``class_accuracy``: the share of samples generated for class k that a classifier trained on the real data
  reads as k, per class and overall (the "classification accuracy" of AC-GAN, Odena et al. 2017, sec. 4.1).
  A G that ignores its label scores chance (1 / K); a G that draws real images of the class asked scores
  the classifier's own accuracy.
- ``code_recovery``: how well InfoGAN's Q (Chen et al. 2016) recovers the codes G was given: the share of
  samples whose category Q reads back, and the Pearson correlation of Q's mean with each continuous code.
- ``category_purity``: whether InfoGAN's categorical code means what a classifier means (digit identity, as
  in the paper's MNIST figure), against what one class for every sample would score.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ganforge.errors import GanforgeError


@dataclass(frozen=True)
class ClassAccuracy:
    """Accuracy of a conditional G as a classifier reads its samples: overall and per class asked for."""

    accuracy: float  # over all samples
    per_class: tuple[float, ...]  # accuracy of the samples asked for class k, for k = 0..K-1 (nan if none asked)

    @property
    def worst(self) -> int:
        """The class whose samples are read correctly least often."""
        return min(self._asked(), key=lambda k: self.per_class[k])

    @property
    def best(self) -> int:
        """The class whose samples are read correctly most often."""
        return max(self._asked(), key=lambda k: self.per_class[k])

    def _asked(self) -> list[int]:
        return [k for k, value in enumerate(self.per_class) if value == value]  # value == value: not nan


def class_accuracy(predicted: torch.Tensor, asked: torch.Tensor, num_classes: int) -> ClassAccuracy:
    """``predicted`` (N,) the classes a classifier reads, ``asked`` (N,) the classes G was given."""
    predicted, asked = torch.as_tensor(predicted).long().flatten(), torch.as_tensor(asked).long().flatten()
    if predicted.shape != asked.shape or predicted.numel() == 0:
        raise GanforgeError(f"{predicted.numel()} predictions for {asked.numel()} asked classes",
                            "pass one prediction per generated sample, at least one")  # fmt: skip
    if int(asked.min()) < 0 or int(asked.max()) >= num_classes:
        raise GanforgeError(f"asked classes {int(asked.min())}..{int(asked.max())}",
                            f"use classes in 0..{num_classes - 1}")  # fmt: skip
    correct = (predicted == asked).double()
    hits = torch.bincount(asked, weights=correct, minlength=num_classes)
    counts = torch.bincount(asked, minlength=num_classes).double()
    per_class = tuple(float(h / c) if c else float("nan") for h, c in zip(hits, counts, strict=True))
    return ClassAccuracy(float(correct.mean()), per_class)


@dataclass(frozen=True)
class CodeRecovery:
    """How well Q reads back InfoGAN's codes: categorical accuracy, one correlation per continuous code."""

    accuracy: float | None  # share of samples whose category Q's argmax recovers; None without a categorical code
    correlations: tuple[float, ...]  # Pearson r of Q's mean mu_i(G(z, c)) with c_i, per continuous code


def code_recovery(codes: torch.Tensor, recovered: torch.Tensor, categories: int) -> CodeRecovery:
    """``codes`` (N, categories + C): the codes G was given, [one-hot | continuous];
    ``recovered`` (N, categories + C): Q's outputs for G's samples, [category logits | means]."""
    if codes.shape != recovered.shape or codes.dim() != 2 or len(codes) < 2:
        raise GanforgeError(f"codes of shape {tuple(codes.shape)} and Q's outputs of shape {tuple(recovered.shape)}",
                            "pass both as (N, categories + continuous codes), N >= 2")  # fmt: skip
    codes, recovered = codes.double(), recovered.double()
    accuracy = None
    if categories:
        hits = recovered[:, :categories].argmax(1) == codes[:, :categories].argmax(1)
        accuracy = float(hits.double().mean())
    correlations = tuple(_pearson(codes[:, i], recovered[:, i]) for i in range(categories, codes.shape[1]))
    return CodeRecovery(accuracy, correlations)


def _pearson(x: torch.Tensor, y: torch.Tensor) -> float:
    """Pearson's r; 0 when either side is constant (a Q that outputs one value recovers nothing)."""
    x, y = x - x.mean(), y - y.mean()
    norm = float(x.norm() * y.norm())
    return float((x * y).sum()) / norm if norm > 0 else 0.0


def category_purity(categories: torch.Tensor, predicted: torch.Tensor) -> tuple[float, float]:
    """(purity, baseline): the share of samples whose predicted class is the most common one within their
    category (``categories`` (N,) the code G was given, ``predicted`` (N,) a classifier's reading), and the
    share of the most common predicted class overall, which a code unrelated to the classes scores about."""
    categories, predicted = torch.as_tensor(categories).long(), torch.as_tensor(predicted).long()
    if categories.shape != predicted.shape or categories.numel() == 0:
        raise GanforgeError(f"{categories.numel()} categories for {predicted.numel()} predictions",
                            "pass one category and one prediction per sample")  # fmt: skip
    classes = int(predicted.max()) + 1
    joint = torch.bincount(categories * classes + predicted, minlength=(int(categories.max()) + 1) * classes)
    purity = float(joint.view(-1, classes).max(1).values.sum()) / len(predicted)
    baseline = float(torch.bincount(predicted).max()) / len(predicted)
    return purity, baseline
