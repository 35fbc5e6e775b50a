"""Metrics are registered by name: a new one is one decorated function, and ``--metrics`` knows it."""

import pytest
import torch

from ganforge import evaluate
from ganforge.errors import GanforgeError


@pytest.fixture
def mean_gap(monkeypatch):
    monkeypatch.setattr(evaluate, "METRICS", dict(evaluate.METRICS))

    @evaluate.register_metric("mean-gap", kinds=("image", "points"), default=False)
    def _mean_gap(real, fake, data):
        return {"mean_gap": float((real.features.mean(0) - fake.features.mean(0)).norm())}


def test_a_registered_metric_is_parsed_and_computed(mean_gap):
    assert evaluate.parse_metrics("mean-gap", "points", "ring") == ["mean-gap"]
    real = evaluate.SampleSet(torch.zeros(4, 2), None)
    fake = evaluate.SampleSet(torch.ones(4, 2), None)
    assert evaluate.compute(["mean-gap"], real, fake) == pytest.approx({"mean_gap": 2**0.5})
    assert "mean-gap" not in evaluate.parse_metrics(None, "points", "ring")  # default=False


def test_the_defaults_and_refusals_are_the_registered_metrics_own():
    assert evaluate.parse_metrics(None, "points", "ring") == ["modes", "precision-recall", "density-coverage"]
    assert evaluate.parse_metrics(None, "image", "stacked-mnist") == ["stacked-modes", "fid", "kid"]
    with pytest.raises(GanforgeError, match="counts the modes of the 2-D mixtures"):
        evaluate.parse_metrics("modes", "image", "mnist")
    with pytest.raises(GanforgeError, match="needs a stacked-mnist run"):
        evaluate.parse_metrics("stacked-modes", "image", "mnist")
    with pytest.raises(GanforgeError, match="needs images, not 2-D points"):
        evaluate.parse_metrics("fid", "points", "ring")
