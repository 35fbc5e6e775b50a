import math

import numpy as np
import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.inception_score import inception_score


def test_uniform_predictions_score_one():
    mean, std = inception_score(torch.full((100, 10), 0.1), splits=10)
    assert mean == pytest.approx(1.0, abs=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_confident_predictions_spread_evenly_over_k_classes_score_k():
    classes = 7
    probs = torch.eye(classes).repeat(20, 1)  # (140, 7): every split of 14 rows holds each class twice
    mean, std = inception_score(probs, splits=10)
    assert mean == pytest.approx(classes, rel=1e-12) and std == pytest.approx(0.0, abs=1e-12)


def test_confident_predictions_of_one_class_score_one():
    # Mode collapse: sharp but all the same class.
    probs = torch.zeros(50, 10)
    probs[:, 3] = 1
    assert inception_score(probs, splits=5)[0] == pytest.approx(1.0)


def test_matches_the_formula_with_zero_probabilities():
    probs = np.array([[0.5, 0.5, 0.0], [0.0, 0.2, 0.8], [1.0, 0.0, 0.0], [0.1, 0.0, 0.9]])
    marginal = probs.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(probs > 0, probs * np.log(probs / marginal), 0.0)
    expected = math.exp(terms.sum(axis=1).mean())
    mean, std = inception_score(probs, splits=1)
    assert mean == pytest.approx(expected, rel=1e-12) and std == 0.0
    assert 1.0 < mean < 3.0


def test_splits_give_a_spread():
    # One split is confident and even (score 2), the other uniform (score 1): mean 1.5, population std 0.5.
    probs = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.5, 0.5]])
    mean, std = inception_score(probs, splits=2)
    assert (mean, std) == (pytest.approx(1.5), pytest.approx(0.5))


def test_logits_and_bad_splits_are_reported():
    with pytest.raises(GanforgeError, match="softmax"):
        inception_score(torch.randn(10, 4, generator=torch.Generator().manual_seed(0)))
    with pytest.raises(GanforgeError, match="splits"):
        inception_score(torch.full((5, 2), 0.5), splits=6)
