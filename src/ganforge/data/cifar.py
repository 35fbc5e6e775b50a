"""CIFAR-10 (Krizhevsky, 2009): 3 x 32 x 32 photos from the "python version" batches.

The "train" split is the five ``data_batch_*`` files (50,000 images), the "test" split ``test_batch``
(10,000).

The batches are pickles of numpy arrays. They are read with an unpickler that can build arrays and
nothing else, so a tampered file fails to load instead of running code.
"""

from __future__ import annotations

import codecs
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ganforge.data import sources
from ganforge.data.images import ImageData
from ganforge.errors import GanforgeError

BASE_FOLDER = "cifar-10-batches-py"  # what the official tarball (and torchvision) unpacks to
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCHES = ("test_batch",)
BATCHES = {"train": TRAIN_BATCHES, "test": TEST_BATCHES}
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
HINT_MISSING = (
    f"pass --data-dir FOLDER holding {BASE_FOLDER}/ (from https://www.cs.toronto.edu/~kriz/cifar.html), "
    "or run once with network access (and GANFORGE_OFFLINE unset) to download it"
)

# The only globals a CIFAR batch may name: how numpy pickles an array (numpy 1 and 2 module paths),
# and the codec that protocol-2 pickles written by Python 3 use to store bytes.
_reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
_frombuffer = np.ndarray.__reduce_ex__(np.zeros(1), 5)[0]
_ALLOWED: dict[tuple[str, str], Any] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    ("numpy.core.numeric", "_frombuffer"): _frombuffer,
    ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    ("_codecs", "encode"): codecs.encode,
}


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a data file")
        return _ALLOWED[(module, name)]


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR-10 batch file: ``(n, 3, 32, 32)`` uint8 images and ``(n,)`` int64 labels."""
    try:
        with path.open("rb") as file:
            # latin1: the batches were pickled by Python 2, whose byte strings must decode 1:1.
            entry = _ArrayUnpickler(file, encoding="latin1").load()
        images = np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(entry["labels"], dtype=np.int64)
    except (OSError, EOFError, pickle.UnpicklingError, KeyError, TypeError, ValueError) as error:
        raise GanforgeError(
            f"{path} is not a readable CIFAR-10 batch ({type(error).__name__}: {error})",
            "the file is damaged: delete the folder and download it again",
        ) from None
    if len(images) != len(labels) or (len(labels) and not 0 <= labels.min() <= labels.max() < 10):
        raise GanforgeError(f"{path} has mismatched or out-of-range labels", "delete the folder and download it again")
    return images, labels


def find_cifar10(folder: Path, split: str = "train") -> Path | None:
    """The folder holding the batches of ``split`` (the five training batches, or the test batch).

    Looks in ``<folder>/cifar-10-batches-py``, ``<folder>/cifar10/cifar-10-batches-py``, then ``folder``.
    """
    for candidate in (folder / BASE_FOLDER, folder / "cifar10" / BASE_FOLDER, folder):
        if all((candidate / batch).is_file() for batch in BATCHES[split]):
            return candidate
    return None


def _locate(data_dir: Path | None, split: str = "train") -> Path | None:
    for root in sources.search_roots(data_dir):
        found = find_cifar10(root, split)
        if found:
            return found
    return None


def load_cifar10(data_dir: Path | None, download: bool, split: str = "train") -> ImageData:
    """Load a CIFAR-10 split from a local folder, else a torchvision download (images on the CPU)."""
    if split not in BATCHES:
        raise GanforgeError(f"unknown split '{split}'", f"choose one of: {', '.join(BATCHES)}")
    folder = _locate(data_dir, split)
    blocker = sources.download_blocker(download)
    if folder is None and blocker is None:
        root = sources.download_root(data_dir)
        if _download(root, split):
            folder = find_cifar10(root, split)
            blocker = "the download left no batches"
        else:
            blocker = "download failed"
    if folder is None:
        looked = ", ".join(str(path) for path in sources.search_roots(data_dir))
        what = "no local copy" if split == "train" else "no local copy of the test split (test_batch)"
        raise GanforgeError(f"cifar10: {what} found (looked in {looked}) and {blocker}", HINT_MISSING)
    batches = [read_batch(folder / batch) for batch in BATCHES[split]]
    images = torch.from_numpy(np.concatenate([images for images, _ in batches]))  # (50000 or 10000, 3, 32, 32)
    labels = torch.from_numpy(np.concatenate([labels for _, labels in batches]))
    return ImageData("cifar10", images, labels, len(CLASS_NAMES), str(folder), list(CLASS_NAMES))


def describe_source(data_dir: Path | None) -> tuple[str, bool]:
    """Where CIFAR-10 would load from now, and whether it can without the network."""
    folder = _locate(data_dir)
    if folder:
        return str(folder), True
    return (sources.SOURCE_DOWNLOAD if sources.download_blocker(True) is None else "not found"), False


def _download(root: Path, split: str) -> bool:
    import torchvision.datasets

    cifar = torchvision.datasets.CIFAR10
    train = split == "train"
    return sources.try_download("CIFAR-10", [cifar.url], lambda: cifar(str(root), train=train, download=True))
