"""``ganforge eval`` on conditional and InfoGAN runs: class accuracy and code recovery, on generators whose
answer is known (one that draws real digits of the class asked, one that ignores the label)."""

import pytest
import torch
from torch import nn

import ganforge
from ganforge import evaluate
from ganforge.config import Config, DataConfig, apply_overrides
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError

TINY = {"data.limit": 200, "model.g_hidden": [16], "model.d_hidden": [16], "train.batch_size": 16,
        "train.health_every": 0, "train.steps": 1}  # fmt: skip
N = 1000


def _train(tmp_path, name, **overrides):
    return ganforge.train(apply_overrides(Config(), {**TINY, **overrides, "out": str(tmp_path / name)}))


@pytest.fixture(scope="module")
def digits():
    """The real test digits and their labels (the classifier reads about 99% of them right)."""
    test = load_dataset(DataConfig(name="mnist", split="test"))
    return test.real(), test.labels


class Stub(nn.Module):
    """A hand-built network; its one parameter tells the trained model which device it is on."""

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))


class RealDigits(Stub):
    """A "generator" that draws a real test digit: of the class asked for, or (``obey=False``) of any class."""

    def __init__(self, images, labels, obey):
        super().__init__()
        self.images, self.labels, self.obey = images, labels, obey

    def forward(self, z, labels):
        pick = (z[:, 0].abs() * 1e4).long()  # a digit chosen by z
        if not self.obey:
            return self.images[pick % len(self.images)]
        by_class = [self.images[self.labels == k] for k in range(10)]
        return torch.stack(
            [by_class[k][i % len(by_class[k])] for k, i in zip(labels.tolist(), pick.tolist(), strict=True)]
        )


def _evaluate_with(monkeypatch, run, G=None, D=None, metrics=None):
    trained = ganforge.load(run)
    if G is not None:
        trained.gan.G = G
    if D is not None:
        trained.gan.D = D
    monkeypatch.setattr(evaluate, "load", lambda *args, **kwargs: trained)
    return evaluate.evaluate_run(run, metrics, n=N)["metrics"]


@pytest.fixture(scope="module")
def conditional_run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("conditional"), "concat", **{"model.condition": "concat"})


def test_a_generator_of_real_digits_of_the_class_asked_scores_the_classifier_accuracy(
    monkeypatch, conditional_run, digits
):
    values = _evaluate_with(monkeypatch, conditional_run, G=RealDigits(*digits, obey=True), metrics="class-accuracy")
    assert values["class_accuracy"] > 0.95 and values["class_accuracy_min"] > 0.85, values
    assert values["class_accuracy_min"] <= values["class_accuracy"] <= values["class_accuracy_max"] <= 1


def test_a_generator_that_ignores_the_label_scores_chance(monkeypatch, conditional_run, digits):
    values = _evaluate_with(monkeypatch, conditional_run, G=RealDigits(*digits, obey=False), metrics="class-accuracy")
    assert list(values) == ["class_accuracy", "class_accuracy_min", "class_accuracy_max", "class_accuracy_worst",
                            "class_accuracy_best"]  # fmt: skip
    assert 0.05 < values["class_accuracy"] < 0.16, values  # chance: 0.1 (1,000 samples: std 0.0095)


def test_class_accuracy_is_a_default_of_conditional_runs_only(conditional_run, tmp_path):
    gives = ("labels",)
    assert "class-accuracy" in evaluate.parse_metrics(None, "image", "mnist", gives)
    assert "class-accuracy" not in evaluate.parse_metrics(None, "image", "mnist")
    with pytest.raises(GanforgeError, match="needs a class-conditional run"):
        evaluate.evaluate_run(_train(tmp_path, "plain"), "class-accuracy", n=100)


class CodesInPixels(Stub):
    """A "generator" that writes its InfoGAN codes into the first pixels of a blank image."""

    def forward(self, latent):
        image = -torch.ones(len(latent), 1, 28, 28)
        image.view(len(latent), -1)[:, :12] = latent[:, -12:]  # 10 one-hot columns, 2 continuous codes
        return image


class PixelReader(Stub):
    """A Q that reads the codes back from those pixels (``exact``), or one that outputs noise."""

    def __init__(self, exact):
        super().__init__()
        self.exact = exact

    def q(self, x):
        if self.exact:
            return x.flatten(1)[:, :12] * 3
        return torch.randn(len(x), 12, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def infogan_run(tmp_path_factory):
    codes = {"model.info_categorical": 10, "model.info_continuous": 2}
    return _train(tmp_path_factory.mktemp("infogan"), "infogan", **codes)


def test_a_Q_that_reads_the_codes_recovers_them_all(monkeypatch, infogan_run):
    values = _evaluate_with(monkeypatch, infogan_run, G=CodesInPixels(), D=PixelReader(exact=True))
    assert values["info_accuracy"] == 1.0
    assert values["info_correlation_0"] == pytest.approx(1.0) and values["info_correlation_1"] == pytest.approx(1.0)
    assert "fid" in values  # the image defaults, and the codes beside them


def test_a_Q_that_reads_nothing_recovers_chance(monkeypatch, infogan_run):
    values = _evaluate_with(
        monkeypatch, infogan_run, G=CodesInPixels(), D=PixelReader(exact=False), metrics="info-codes"
    )
    assert 0.05 < values["info_accuracy"] < 0.16 and abs(values["info_correlation_0"]) < 0.15, values


def test_the_trained_Q_is_what_eval_measures(infogan_run, tmp_path):
    values = evaluate.evaluate_run(infogan_run, "info-codes", n=200)["metrics"]
    assert set(values) == {"info_accuracy", "info_correlation_0", "info_correlation_1", "info_category_purity",
                           "info_purity_baseline"}  # fmt: skip
    with pytest.raises(GanforgeError, match="needs an InfoGAN run"):
        evaluate.evaluate_run(_train(tmp_path, "plain"), "info-codes", n=100)
