"""Datasets: the registry, and ``load_dataset`` turning a ``DataConfig`` into batches on a device.

Image datasets come back as an ``ImageData`` (every image in one uint8 tensor on the device), the 2-D
mixtures as a ``PointData`` (sampled fresh per batch). Both answer ``batch(n, generator)`` and ``real(n)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganforge.config import image_shape
from ganforge.data import captions, cifar, folder, idx, sources, stacked, toy
from ganforge.data.images import ImageData
from ganforge.data.toy import PointData
from ganforge.errors import GanforgeError

if TYPE_CHECKING:
    from ganforge.config import DataConfig

__all__ = [
    "DATASETS", "SPLITS", "DatasetInfo", "ImageData", "PointData", "data_kind", "describe_datasets", "load_dataset",
]  # fmt: skip

SPLITS = ("train", "test")  # image datasets only; the 2-D mixtures are drawn fresh and have no split


Loader = Callable[["DataConfig", "Path | None"], "ImageData | PointData"]  # (config, data folder) -> data
Source = Callable[["Path | None"], tuple[str, bool]]  # data folder -> (where it would load from, offline?)


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's registry entry: its name, ``kind`` ("image", "points" or "clips"), a one-line description, its
    loader (images on the CPU, before ``data.limit``, the device and ``data.image_size``), its source, and
    ``preset``: the settings that suit it (a ``ganforge.presets`` name), which a run that names neither a
    preset nor a network trains with."""

    name: str
    kind: str
    description: str
    load: Loader
    source: Source
    preset: str | None = None


def _idx(dataset: idx.IdxDataset) -> tuple[Loader, Source]:
    def load(cfg: DataConfig, folder: Path | None) -> ImageData:
        return idx.load_idx_dataset(dataset, folder, cfg.download, cfg.split)

    return load, lambda folder: idx.describe_source(dataset, folder)


def _stacked(cfg: DataConfig, folder: Path | None) -> ImageData:
    return stacked.stack_digits(idx.load_idx_dataset(idx.MNIST, folder, cfg.download, cfg.split), cfg.split)


def _captioned(base: str, dataset: idx.IdxDataset) -> tuple[Loader, Source]:
    """A captioned data set (data/captions.py) as plain images labelled by class, for unconditional models;
    ``--task text2image`` reads its captions too."""

    def load(cfg: DataConfig, folder: Path | None) -> ImageData:
        sources = idx.load_idx_dataset(dataset, folder, cfg.download, cfg.split)
        made = captions.generate_captioned(base, sources, cfg.split, cfg.image_size or 32)
        return ImageData(made.name, made.images, made.attributes[:, 0].clone(), 10, made.source, sources.class_names)

    return load, lambda folder: idx.describe_source(dataset, folder)


def _generated(folder: Path | None) -> tuple[str, bool]:
    return sources.SOURCE_GENERATED, True


def _video_only(cfg: DataConfig, folder: Path | None) -> ImageData:
    raise GanforgeError(f"--dataset {cfg.name} holds clips, which the video task trains on",
                        "train it with --preset video-gan (or --task video)")  # fmt: skip


def _moving_mnist_source(folder: Path | None) -> tuple[str, bool]:
    digits, available = idx.describe_source(idx.MNIST, folder)
    return f"generated from MNIST digits ({digits})", available


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo("mnist", "image", "handwritten digits, 60,000 x 1 x 28 x 28, 10 classes (LeCun et al., 1998)",
                    *_idx(idx.MNIST), preset="fast"),
        DatasetInfo("fashion-mnist", "image", "clothing photos, 60,000 x 1 x 28 x 28, 10 classes (Xiao et al., 2017)",
                    *_idx(idx.FASHION_MNIST), preset="fast"),
        DatasetInfo("stacked-mnist", "image", "3 random MNIST digits as RGB channels, 1,000 modes (Metz et al., 2017)",
                    _stacked, _idx(idx.MNIST)[1], preset="fast"),
        DatasetInfo("cifar10", "image", "small photos, 50,000 x 3 x 32 x 32, 10 classes (Krizhevsky, 2009)",
                    lambda cfg, folder: cifar.load_cifar10(folder, cfg.download, cfg.split), cifar.describe_source,
                    preset="fast"),
        DatasetInfo("moving-mnist", "clips", "2 bouncing digits, 64 x 64, 10 frames in, 10 out (Srivastava et al., "
                    "2015); generated", _video_only, _moving_mnist_source, preset="video-gan"),
        DatasetInfo("moving-mnist-small", "clips", "1 bouncing 14 px digit, 32 x 32, 4 frames in, 4 out (CPU-sized)",
                    _video_only, _moving_mnist_source, preset="video-gan"),
        DatasetInfo("captioned-fashion", "image", "Fashion-MNIST garments coloured and placed on canvases, 4 captions "
                    "each, some (class, colour) pairs held out (docs/applications.md)",
                    *_captioned("fashion-mnist", idx.FASHION_MNIST), preset="stackgan-stage1"),
        DatasetInfo("captioned-mnist", "image", "MNIST digits coloured, placed and thickened on canvases, 4 captions "
                    "each, some (class, colour) pairs held out (docs/applications.md)",
                    *_captioned("mnist", idx.MNIST), preset="stackgan-stage1"),
        DatasetInfo("ring", "points", "8 Gaussians on a circle of radius 1, std 0.01 (PacGAN's mode-collapse test)",
                    lambda cfg, folder: toy.make_ring(cfg.modes, cfg.radius, cfg.std), _generated, preset="ring"),
        DatasetInfo("grid", "points", "25 Gaussians on a 5 x 5 grid, spacing 2, std 0.05 (PacGAN's mode-collapse test)",
                    lambda cfg, folder: toy.make_grid(cfg.modes, cfg.spacing, cfg.std), _generated, preset="grid"),
    ]
}  # fmt: skip


def data_kind(name: str) -> str:
    """'points' for the 2-D mixtures, else 'image' (registered image sets, folders and task data)."""
    info = DATASETS.get(name)
    return info.kind if info is not None else "image"


def load_dataset(cfg: DataConfig, device: torch.device | str = "cpu") -> ImageData | PointData:
    """Load the ``cfg.split`` of the dataset ``cfg`` names onto ``device``, resizing images once if asked.

    For the 2-D mixtures the split makes no difference: every draw is fresh from the same distribution.
    """
    if cfg.name.startswith(folder.PREFIX):  # any folder of images: decoded once at the size asked
        data = folder.load_folder(cfg.name, cfg.image_size, cfg.fit)
        return (data if cfg.limit is None else data.first(cfg.limit)).to(device)
    if cfg.name not in DATASETS:
        raise GanforgeError(f"unknown dataset '{cfg.name}'", f"choose one of: {', '.join(DATASETS)}")
    if cfg.split not in SPLITS:
        raise GanforgeError(f"data.split='{cfg.split}' is not a split", f"choose one of: {', '.join(SPLITS)}")
    info = DATASETS[cfg.name]
    if info.kind == "points":
        return info.load(cfg, None).to(device)
    size = image_shape(cfg.image_size)
    data = info.load(cfg, _folder(cfg.data_dir))
    if cfg.limit is not None:
        data = data.first(cfg.limit)
    data = data.to(device)
    if size is not None:
        data = data.resized(size)  # on the device, once; batches then only index
    return data


def describe_datasets(data_dir: str | None = None) -> list[dict[str, Any]]:
    """One dict per dataset (name, kind, description, source, available, preset) for ``ganforge datasets``.

    ``source`` is where it would load from now; ``available`` says whether it loads without the network.
    Nothing is downloaded or read beyond checking which files exist.
    """
    root = _folder(data_dir)
    rows = []
    for info in DATASETS.values():
        try:
            source, available = info.source(root)
        except GanforgeError as error:  # e.g. half a pair of IDX files: show the problem, keep listing
            source, available = f"broken: {error.message}", False
        rows.append(
            {
                "name": info.name,
                "kind": info.kind,
                "description": info.description,
                "source": source,
                "available": available,
                "preset": info.preset,
            }
        )
    return rows


def _folder(data_dir: str | None) -> Path | None:
    return None if data_dir is None else Path(data_dir).expanduser()
