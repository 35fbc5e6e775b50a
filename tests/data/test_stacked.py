import torch

from ganforge import evaluate
from ganforge.config import DataConfig
from ganforge.data import DATASETS, load_dataset
from ganforge.metrics.extractors import default_extractor, get_extractor


def test_each_image_stacks_three_mnist_digits_and_is_labelled_by_them():
    mnist = load_dataset(DataConfig(name="mnist"))
    stacked = load_dataset(DataConfig(name="stacked-mnist"))
    assert "stacked-mnist" in DATASETS
    assert stacked.shape == (3, 28, 28) and stacked.num_classes == 1000 and len(stacked) == 50_000
    for i in range(5):  # every channel is one MNIST image, and the label spells its digits
        digits = []
        for channel in stacked.images[i]:
            match = (mnist.images[:, 0] == channel).flatten(1).all(dim=1).nonzero()
            assert len(match) >= 1
            digits.append(int(mnist.labels[match[0, 0]]))
        assert stacked.labels[i] == 100 * digits[0] + 10 * digits[1] + digits[2]
    again = load_dataset(DataConfig(name="stacked-mnist"))
    assert torch.equal(again.images, stacked.images)  # the same triples every time


def test_real_stacked_digits_cover_almost_all_1000_modes():
    assert default_extractor("stacked-mnist") == "mnist-cnn"
    test = load_dataset(DataConfig(name="stacked-mnist", split="test"))
    result = evaluate.compute(["stacked-modes"], None, evaluate.embed(test.real(), get_extractor("mnist-cnn")))
    # 10,000 uniform draws over 1,000 modes leave about 1000 * exp(-10) = 0.05 modes empty; the
    # classifier's errors (about 2% a digit) move a few samples between modes but lose almost none.
    assert result["stacked_modes"] >= 990 and result["stacked_kl"] < 0.1
