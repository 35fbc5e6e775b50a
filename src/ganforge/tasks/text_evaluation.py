"""Measuring a text2image run (``ganforge eval RUN``): is each picture what its caption says?

- attribute accuracy: colour, background, size, position (and digits' stroke thickness) measured from the
  pixels (``metrics/attributes.py``); the class read from the object's ink by a shipped judge trained on the
  source images drawn as these pictures draw them (``fashion-glyphs``, ``mnist-glyphs``);
- R-precision (top-1 of 100): with the separately trained ``retrieval`` encoder pair, how often a picture's
  own caption scores highest among its own and 99 other test captions (one with the same attributes counts);
- FID in the ``retrieval`` image encoder's features (trained on these pictures, never seen by G);
- diversity: mean RMS pixel distance between pictures of one caption;

each on the test items whose (class, colour) training saw, and on the held-out ones, beside two controls
measured the same way: the real pictures, and the generated ones scored against shuffled captions (chance).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.data.captions import CaptionedData, TextBatch
from ganforge.metrics import attributes
from ganforge.metrics.extractors import get_extractor
from ganforge.metrics.fid import fid
from ganforge.models import text
from ganforge.tasks.text_render import render_text

# the class judges: trained on the source images as these pictures draw them (scripts/train_classifiers.py); the
# plain 28 px classifiers read real 32 px garments at 0.69, these at 0.86 (docs/applications.md)
CLASSIFIERS = {"fashion-mnist": "fashion-glyphs", "mnist": "mnist-glyphs"}
POOL = 100  # R-precision: the caption ranked among this many
DIVERSITY_CAPTIONS, DIVERSITY_SAMPLES = 20, 8


def evaluate_text_run(gan: Any, data: CaptionedData, n: int, batch_size: int) -> dict[str, Any]:
    """The measurements above on the first ``n`` items of ``data`` (the test split, true captions)."""
    items = data.first(min(n, len(data)))
    z = gan.sample_latent(len(items), torch.Generator().manual_seed(0))
    captions = items.examples(len(items))
    lows, highs = [], []
    for start in range(0, len(items), batch_size):
        low, high = render_text(gan, z[start : start + batch_size], captions[start : start + batch_size], stages=True)
        lows.append(low)
        highs.append(high)
    low, high = torch.cat(lows), torch.cat(highs)
    result: dict[str, Any] = {"n": len(items), "side": int(high.shape[-1])}
    result["extractor"] = "pixel" if items.base is None else f"pixel, {CLASSIFIERS[items.base]} and retrieval"
    if items.base is None:  # user data: no attributes to check
        result["metrics"] = {"diversity": diversity(gan, items, batch_size)}
        return result
    held_out = items.held_out_mask()
    measures = Measures(items.base)
    real = items.real()
    metrics: dict[str, Any] = {}
    for name, pictures in (("model", high), ("real", real)):
        metrics[name] = measures.all(pictures, items.attributes, held_out, real, captions.text)
    metrics["shuffled"] = measures.accuracy(high, items.attributes.roll(1, 0), ~held_out)
    if high.shape[-1] != low.shape[-1]:  # a two-stage run: stage I's own pictures, measured alike
        metrics["stage1"] = measures.all(low, items.attributes, held_out, real, captions.text)
    metrics["model"]["diversity"] = diversity(gan, items, batch_size)
    result.update({"held_out_items": int(held_out.sum()), "metrics": metrics})
    return result


class Measures:
    """Attribute accuracy, R-precision and FID for pictures of one base data set."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.classifier = get_extractor(CLASSIFIERS[base], "cpu")
        self.retrieval_text, self.retrieval_image = text.load_encoders("retrieval", base)

    def accuracy(self, pictures: Tensor, wanted: Tensor, keep: Tensor) -> dict[str, float]:
        """Attribute accuracy of ``pictures`` against ``wanted`` (N, 6) on the rows ``keep``."""
        pictures, wanted = pictures[keep], wanted[keep]
        measured = attributes.measure(pictures)
        glyphs = attributes.glyphs(measured["ink"], measured["box"])
        classes = self.classifier.probabilities(glyphs).argmax(1)
        thickness = attributes.thickness_index(measured["ink"], measured["mask"]) if self.base == "mnist" else None
        return attributes.attribute_accuracy(measured, wanted, classes, thickness)

    def all(self, pictures: Tensor, wanted: Tensor, held_out: Tensor, real: Tensor, ids: Tensor) -> dict[str, Any]:
        """Accuracy on seen and held-out items, R-precision of the captions ``ids`` and FID (against ``real``)."""
        values: dict[str, Any] = {"seen": self.accuracy(pictures, wanted, ~held_out)}
        if held_out.any():
            values["held_out"] = self.accuracy(pictures, wanted, held_out)
        values["r_precision"] = r_precision(self.retrieval_text, self.retrieval_image, pictures, ids, wanted)
        values["fid"] = fid(self.features(real), self.features(pictures))
        return values

    @torch.no_grad()
    def features(self, pictures: Tensor) -> Tensor:
        """The retrieval image encoder's 128-d features before normalisation (at 32 px)."""
        x = pictures if pictures.shape[-1] == 32 else F.interpolate(pictures, size=(32, 32), mode="bilinear",
                                                                   align_corners=False, antialias=True)  # fmt: skip
        return torch.cat([self.retrieval_image.body(chunk) for chunk in x.split(500)])


def r_precision(text_encoder: Any, image_encoder: Any, pictures: Tensor, ids: Tensor, wanted: Tensor) -> float:
    """Top-1 retrieval of each picture's caption ``ids`` among ``POOL`` captions (its own and the following
    items', wrapping); a winning caption whose item has the same attributes counts as right."""
    with torch.no_grad():
        images = torch.cat([image_encoder(chunk) for chunk in pictures.split(500)])
        texts = torch.cat([text_encoder(chunk) for chunk in ids.split(500)])
    n = len(images)
    pool = min(POOL, n)
    others = (torch.arange(n)[:, None] + torch.arange(pool)[None]) % n  # (N, pool): own caption first
    scores = torch.einsum("nd,npd->np", images, texts[others])
    best = others[torch.arange(n), scores.argmax(1)]
    return float((wanted[best] == wanted).all(1).float().mean())


@torch.no_grad()
def diversity(gan: Any, items: CaptionedData, batch_size: int) -> float:
    """Mean RMS distance (pixels in [0, 1]) between ``DIVERSITY_SAMPLES`` pictures of each of the first
    ``DIVERSITY_CAPTIONS`` captions: 0 when G ignores its noise."""
    count = min(DIVERSITY_CAPTIONS, len(items))
    ids = items.text[:count, 0].repeat_interleave(DIVERSITY_SAMPLES, 0)
    z = gan.sample_latent(len(ids), torch.Generator().manual_seed(1))
    pictures = render_text(
        gan, z, TextBatch(ids, ids, items.attributes[:count].repeat_interleave(DIVERSITY_SAMPLES, 0))
    )
    groups = ((pictures + 1) / 2).flatten(1).view(count, DIVERSITY_SAMPLES, -1)  # (count, samples, pixels)
    distance = torch.cdist(groups, groups) / groups.shape[-1] ** 0.5  # RMS distances
    pairs = DIVERSITY_SAMPLES * (DIVERSITY_SAMPLES - 1)
    return float(distance.sum((1, 2)).div(pairs).mean())
