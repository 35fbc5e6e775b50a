import math

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.classes import class_statistics, stacked_mnist_modes

FAKE = torch.tensor([0] * 5 + [1] * 3 + [2] * 2)  # 10 samples over 4 classes: histogram 0.5, 0.3, 0.2, 0
ENTROPY = -(0.5 * math.log(0.5) + 0.3 * math.log(0.3) + 0.2 * math.log(0.2))


def test_histogram_coverage_entropy_and_kl_to_uniform_without_real_labels():
    stats = class_statistics(FAKE, num_classes=4)
    assert stats["histogram"] == pytest.approx([0.5, 0.3, 0.2, 0.0], abs=1e-15)
    assert stats["classes_covered"] == 3
    assert stats["entropy"] == pytest.approx(ENTROPY, rel=1e-12)
    assert stats["kl_to_real"] == pytest.approx(math.log(4) - ENTROPY, rel=1e-12)


def test_kl_to_the_real_class_histogram():
    real = np.array([0] * 4 + [1] * 4 + [2] + [3])  # 0.4, 0.4, 0.1, 0.1
    expected = 0.5 * math.log(0.5 / 0.4) + 0.3 * math.log(0.3 / 0.4) + 0.2 * math.log(0.2 / 0.1)
    stats = class_statistics(FAKE, num_classes=4, real_labels=real)
    assert stats["kl_to_real"] == pytest.approx(expected, rel=1e-6)  # the 1e-10 smoothing is far below this


def test_a_class_missing_from_the_real_labels_gives_a_large_but_finite_kl():
    stats = class_statistics(torch.tensor([0, 1]), num_classes=2, real_labels=torch.tensor([0, 0]))
    assert 5 < stats["kl_to_real"] < math.inf  # 0.5 log(0.5 / 1e-10) ~ 11


def test_a_class_is_covered_from_one_tenth_of_the_uniform_share():
    # 10 classes: the uniform share is 0.1, the threshold 0.01, i.e. 1 sample in 100.
    predictions = torch.tensor([0] * 98 + [1] + [2])
    assert class_statistics(predictions, num_classes=10)["classes_covered"] == 3
    predictions = torch.tensor([0] * 200 + [1])  # 1 in 201 is under 0.01
    assert class_statistics(predictions, num_classes=10)["classes_covered"] == 1


def test_uniform_predictions_have_maximal_entropy_and_no_kl():
    stats = class_statistics(torch.arange(10).repeat(3), num_classes=10)
    assert stats["classes_covered"] == 10
    assert stats["entropy"] == pytest.approx(math.log(10))
    assert stats["kl_to_real"] == pytest.approx(0.0, abs=1e-12)


def test_stacked_mnist_counts_each_digit_triple_as_a_mode():
    triples = torch.tensor([[1, 2, 3], [1, 2, 3], [3, 2, 1]])  # 123 twice, 321 once: channel order matters
    result = stacked_mnist_modes(triples)
    assert (result["modes_covered"], result["modes_total"]) == (2, 1000)
    expected = (2 / 3) * math.log((2 / 3) * 1000) + (1 / 3) * math.log((1 / 3) * 1000)
    assert result["kl_to_uniform"] == pytest.approx(expected, rel=1e-12)


def test_stacked_mnist_with_every_mode_once_and_with_one_mode():
    digits = torch.arange(1000)
    every = torch.stack([digits // 100, digits // 10 % 10, digits % 10], dim=1)
    assert stacked_mnist_modes(every) == {"modes_covered": 1000, "modes_total": 1000, "kl_to_uniform": 0.0}
    collapsed = stacked_mnist_modes(torch.tensor([[7, 7, 7]] * 50))
    assert collapsed["modes_covered"] == 1
    assert collapsed["kl_to_uniform"] == pytest.approx(math.log(1000))


def test_bad_predictions_are_reported():
    with pytest.raises(GanforgeError, match="0..3"):
        class_statistics(torch.tensor([0, 4]), num_classes=4)
    with pytest.raises(GanforgeError, match="dtype"):
        class_statistics(torch.tensor([0.2, 0.8]), num_classes=2)
    with pytest.raises(GanforgeError, match=r"\(N, 3\)"):
        stacked_mnist_modes(torch.tensor([[1, 2]]))
