"""How generated samples spread over classes, as judged by a classifier trained on the real data.

``class_statistics`` summarises the predicted class histogram of generated samples (mode dropping shows up as
uncovered classes and a large KL). ``stacked_mnist_modes`` counts the 1,000 modes of Stacked MNIST, three MNIST
digits stacked as colour channels (Metz et al., 2017, "Unrolled GANs"; used by VEEGAN and PacGAN): a mode is a
triple of digits, and the KL of the sample mode histogram to the uniform one is reported beside the count.
"""

from __future__ import annotations

import numpy as np
import torch

from ganforge.errors import GanforgeError

MIN_SHARE_OF_UNIFORM = 0.1  # a class is covered when it holds >= 10% of the share 1/K a uniform generator gives it
SMOOTHING = 1e-10  # added to every bin before KL(fake || real), so a class missing from the real labels stays finite
STACKED_MNIST_MODES = 1000


def _labels(array: torch.Tensor | np.ndarray, name: str, num_classes: int) -> torch.Tensor:
    labels = torch.as_tensor(array).detach().cpu()
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise GanforgeError(f"{name} has dtype {labels.dtype}", "pass integer class indices, e.g. logits.argmax(1)")
    labels = labels.long()
    if labels.numel() == 0:
        raise GanforgeError(f"{name} is empty", "pass at least one prediction")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise GanforgeError(
            f"{name} holds classes {int(labels.min())}..{int(labels.max())}", f"use indices in 0..{num_classes - 1}"
        )
    return labels


def _kl(p: torch.Tensor, q: torch.Tensor) -> float:
    """KL(p || q) in nats, with 0 log 0 = 0."""
    return float((torch.xlogy(p, p) - torch.xlogy(p, q)).sum())


def _smooth(histogram: torch.Tensor) -> torch.Tensor:
    return (histogram + SMOOTHING) / (1 + len(histogram) * SMOOTHING)


def class_statistics(
    fake_predictions: torch.Tensor | np.ndarray, num_classes: int, real_labels: torch.Tensor | np.ndarray | None = None
) -> dict:
    """Class histogram of generated samples and how far it is from the real (or uniform) class distribution.

    Returns a dict with
    - ``histogram``: fraction of samples predicted as each class (K floats summing to 1);
    - ``classes_covered``: classes holding at least 10% of the uniform share, i.e. a fraction >= 0.1 / K;
    - ``entropy``: entropy of the histogram in nats (log K when uniform, 0 when collapsed to one class);
    - ``kl_to_real``: KL(fake histogram || real histogram) in nats, both smoothed by adding 1e-10 to every bin and
      renormalising; when ``real_labels`` is None, KL to the uniform distribution (log K - entropy).
    """
    if num_classes < 1:
        raise GanforgeError(f"num_classes={num_classes}", "use the number of classes the classifier predicts")
    fake = _labels(fake_predictions, "fake_predictions", num_classes)
    histogram = torch.bincount(fake.reshape(-1), minlength=num_classes).double() / fake.numel()
    entropy = -float(torch.xlogy(histogram, histogram).sum()) + 0.0  # + 0.0: a collapsed histogram gives 0, not -0
    if real_labels is None:
        kl = _kl(histogram, torch.full_like(histogram, 1.0 / num_classes))
    else:
        real = _labels(real_labels, "real_labels", num_classes)
        real_histogram = torch.bincount(real.reshape(-1), minlength=num_classes).double() / real.numel()
        kl = _kl(_smooth(histogram), _smooth(real_histogram))
    return {
        "histogram": histogram.tolist(),
        "classes_covered": int((histogram >= MIN_SHARE_OF_UNIFORM / num_classes).sum()),
        "entropy": entropy,
        "kl_to_real": kl,
    }


def stacked_mnist_modes(digit_predictions: torch.Tensor | np.ndarray) -> dict:
    """Modes of Stacked MNIST covered by generated samples, from the digit predicted in each of the 3 channels.

    ``digit_predictions`` is ``(N, 3)`` integers in 0..9; the mode of a sample is ``100 d0 + 10 d1 + d2``. Returns
    ``modes_covered`` (modes with at least one sample, out of 1,000), ``modes_total`` (1,000) and ``kl_to_uniform``:
    KL(sample mode histogram || uniform over 1,000) in nats, 0 when every mode is equally frequent, log 1000 = 6.91
    when all samples share one mode. Draw tens of thousands of samples (about 25 a mode) so that an unlucky
    draw does not look like a dropped mode.
    """
    digits = _labels(digit_predictions, "digit_predictions", 10)
    if digits.ndim != 2 or digits.shape[1] != 3:
        raise GanforgeError(f"digit_predictions has shape {tuple(digits.shape)}", "expected (N, 3): a digit a channel")
    modes = digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2]  # (N,)
    histogram = torch.bincount(modes, minlength=STACKED_MNIST_MODES).double() / modes.numel()
    return {
        "modes_covered": int((histogram > 0).sum()),
        "modes_total": STACKED_MNIST_MODES,
        "kl_to_uniform": _kl(histogram, torch.full_like(histogram, 1.0 / STACKED_MNIST_MODES)),
    }
