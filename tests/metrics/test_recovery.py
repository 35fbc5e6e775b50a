"""Class accuracy of a conditional G and InfoGAN's code recovery, on predictions whose answer is known."""

import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.recovery import category_purity, class_accuracy, code_recovery


def test_class_accuracy_is_the_share_read_as_the_class_asked_overall_and_per_class():
    asked = torch.tensor([0, 0, 0, 0, 1, 1, 2, 2])
    predicted = torch.tensor([0, 0, 0, 1, 1, 0, 2, 2])  # class 0: 3 of 4, class 1: 1 of 2, class 2: 2 of 2
    result = class_accuracy(predicted, asked, num_classes=3)
    assert result.accuracy == pytest.approx(6 / 8)
    assert result.per_class == pytest.approx((0.75, 0.5, 1.0))
    assert (result.worst, result.best) == (1, 2)


def test_a_class_never_asked_for_is_left_out_of_the_min_and_max():
    result = class_accuracy(torch.tensor([0, 1]), torch.tensor([0, 0]), num_classes=3)
    assert math.isnan(result.per_class[1]) and result.worst == result.best == 0


def test_labels_ignored_score_chance_and_labels_obeyed_score_one():
    generator = torch.Generator().manual_seed(0)
    asked = torch.arange(10_000) % 10
    assert class_accuracy(torch.randint(10, (10_000,), generator=generator), asked, 10).accuracy == pytest.approx(
        0.1, abs=0.01
    )
    assert class_accuracy(asked, asked, 10).accuracy == 1.0


def test_class_accuracy_refuses_mismatched_or_out_of_range_classes():
    with pytest.raises(GanforgeError, match="3 predictions for 2"):
        class_accuracy(torch.zeros(3), torch.zeros(2), 10)
    with pytest.raises(GanforgeError, match="classes in 0..9"):
        class_accuracy(torch.zeros(2), torch.tensor([0, 10]), 10)


def _codes(n: int, categories: int, continuous: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    one_hot = torch.nn.functional.one_hot(torch.randint(categories, (n,), generator=generator), categories).float()
    return torch.cat([one_hot, torch.rand(n, continuous, generator=generator) * 2 - 1], dim=1)


def test_a_Q_that_reads_the_codes_back_recovers_them_all():
    codes = _codes(1000, 10, 2)
    recovered = torch.cat([5 * codes[:, :10], 0.5 * codes[:, 10:] + 3], dim=1)  # logits, and means up to scale
    result = code_recovery(codes, recovered, categories=10)
    assert result.accuracy == 1.0 and result.correlations == pytest.approx((1.0, 1.0))


def test_a_Q_that_reads_nothing_scores_chance_and_no_correlation():
    codes, noise = _codes(10_000, 10, 2, seed=0), _codes(10_000, 10, 2, seed=1)
    result = code_recovery(codes, noise, categories=10)
    assert result.accuracy == pytest.approx(0.1, abs=0.01)
    assert all(abs(r) < 0.05 for r in result.correlations), result.correlations
    constant = code_recovery(codes, torch.zeros_like(codes), categories=10)
    assert constant.correlations == (0.0, 0.0)


def test_codes_without_a_category_give_only_correlations():
    codes = _codes(100, 1, 1)[:, 1:]
    result = code_recovery(codes, -codes, categories=0)
    assert result.accuracy is None and result.correlations == pytest.approx((-1.0,))


def test_category_purity_is_one_when_each_category_is_one_class_and_the_baseline_when_unrelated():
    categories = torch.arange(1000) % 10
    assert category_purity(categories, (categories + 3) % 10) == (1.0, 0.1)
    unrelated = torch.randint(10, (10_000,), generator=torch.Generator().manual_seed(0))
    purity, baseline = category_purity(torch.arange(10_000) % 10, unrelated)
    assert baseline == pytest.approx(0.1, abs=0.01) and purity == pytest.approx(baseline, abs=0.03)
