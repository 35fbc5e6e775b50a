"""Attributes a machine can measure offline on a generated image, in the spirit of Morpho-MNIST.

Castro et al. (2019, "Morpho-MNIST", section 3.1) measure a digit on its binarised stroke: the stroke's
*thickness* is twice the mean distance transform along the skeleton (the distance from the skeleton to the
background is half the stroke's width), its *slant* is the horizontal shear of the stroke found from image
moments, and *width*, *height* and *area* come from the stroke's pixels. Garments have no skeleton worth
measuring; for them (and for any other grey or colour image) area, brightness, width and height are measured.

Images are upsampled ``UPSCALE`` times (bilinear) before they are thresholded, as Morpho-MNIST does, so a
stroke two pixels wide is measured to a fraction of a pixel; every length is reported in the image's own
pixels. Class comes from the shipped classifier of the run's dataset (``mnist-cnn``, ``fashion-cnn``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.errors import GanforgeError, check_choice
from ganforge.metrics.extractors import get_extractor

UPSCALE = 4  # Morpho-MNIST measures on 4x upsampled images: sub-pixel thickness without a sub-pixel method
THRESHOLD = 0.5  # of intensity in [0, 1]: the stroke's pixels
DIGITS = "mnist", "stacked-mnist"
GARMENTS = "fashion-mnist",
DIGIT_ATTRIBUTES = ("thickness", "slant", "width", "height", "area")
GARMENT_ATTRIBUTES = ("area", "brightness", "width", "height")
CLASSIFIERS = {"mnist": "mnist-cnn", "stacked-mnist": "mnist-cnn", "fashion-mnist": "fashion-cnn"}
CLASS_NAMES = {
    "mnist": [str(digit) for digit in range(10)],
    "fashion-mnist": ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
                      "ankle-boot"],
}  # fmt: skip
UNITS = {"thickness": "px", "slant": "rad", "width": "px", "height": "px", "area": "px^2", "brightness": "[0,1]"}


def attribute_names(dataset: str) -> tuple[str, ...]:
    """The measured attributes of images of ``dataset`` (digits: Morpho-MNIST's; anything else: garments')."""
    return DIGIT_ATTRIBUTES if dataset in DIGITS else GARMENT_ATTRIBUTES


def class_names(dataset: str) -> list[str] | None:
    """The names of ``dataset``'s classes when a shipped classifier reads it, else None."""
    return CLASS_NAMES.get("mnist" if dataset in DIGITS else dataset) if dataset in CLASSIFIERS else None


def check_attribute(name: str, dataset: str, flag: str = "--attribute") -> None:
    """A one-line error unless ``name`` is an attribute measured on ``dataset``'s images."""
    check_choice(f"attribute for {dataset} images", flag, name, attribute_names(dataset))


@dataclass
class Measurements:
    """Per-image attributes: ``values[name]`` is a float array (N,); ``classes`` (N,) and ``confidence`` (N,)
    come from the dataset's classifier (None without one)."""

    values: dict[str, np.ndarray]
    classes: np.ndarray | None = None
    confidence: np.ndarray | None = None

    def __len__(self) -> int:
        return len(next(iter(self.values.values())))

    def subset(self, index: np.ndarray) -> Measurements:
        """The measurements of the images at ``index``."""
        pick = None if self.classes is None else self.classes[index]
        sure = None if self.confidence is None else self.confidence[index]
        return Measurements({name: value[index] for name, value in self.values.items()}, pick, sure)


def check_images(images: Tensor, what: str = "images") -> Tensor:
    """``images`` as (N, C, H, W) float with C = 1 or 3, or a one-line error naming the shape."""
    if not isinstance(images, Tensor) or images.dim() != 4 or images.shape[1] not in (1, 3):
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise GanforgeError(f"{what} of shape {shape} cannot be measured", "give N x C x H x W images, C = 1 or 3")
    return images.float()


def grey_unit(images: Tensor) -> Tensor:
    """(N, C, H, W) in [-1, 1] -> (N, H, W) intensity in [0, 1]; colour is read as its luminance."""
    images = (check_images(images).clamp(-1, 1) + 1) / 2
    if images.shape[1] == 3:
        images = torch.einsum("nchw,c->nhw", images, images.new_tensor((0.299, 0.587, 0.114))).unsqueeze(1)
    return images[:, 0]


def stroke_masks(images: Tensor, upscale: int = UPSCALE) -> np.ndarray:
    """The foreground of each image, ``upscale`` times upsampled (bilinear) and thresholded: (N, sH, sW) bool."""
    grey = grey_unit(images)[:, None]
    if upscale > 1:
        grey = F.interpolate(grey, scale_factor=upscale, mode="bilinear", align_corners=False)
    return (grey[:, 0] > THRESHOLD).numpy()


def thickness(mask: np.ndarray, upscale: int = UPSCALE) -> float:
    """Twice the mean distance transform along the skeleton (Morpho-MNIST), in the image's pixels; 0 if empty."""
    if not mask.any():
        return 0.0
    ndimage, skeletonize = _morphology()
    distance = ndimage.distance_transform_edt(mask)
    skeleton = skeletonize(mask)
    return float(2 * distance[skeleton].mean() / upscale) if skeleton.any() else 0.0


def _morphology() -> tuple[Any, Any]:
    """scipy.ndimage and scikit-image's skeletonize, imported when first needed: the 'latent' extra, which the
    rest of ganforge (and its command line, which lists these commands) does without."""
    try:
        from scipy import ndimage
        from skimage.morphology import skeletonize
    except ImportError as error:
        raise GanforgeError(f"measuring stroke thickness needs scikit-image ({error})",
                            "pip install 'ganforge[latent]'") from None  # fmt: skip
    return ndimage, skeletonize


def slant(mask: np.ndarray) -> float:
    """The stroke's horizontal shear as an angle in radians from its second moments; positive leans right.

    With y pointing up, x = x0 + s * y is the shear that would make the stroke upright, s = cov(x, y) / var(y)
    (Morpho-MNIST's slant, section 3.1), and the slant is arctan(s).
    """
    rows, cols = np.nonzero(mask)
    if len(rows) < 2:
        return 0.0
    y = -(rows - rows.mean())  # image rows grow downwards; y grows upwards
    x = cols - cols.mean()
    variance = float((y * y).mean())
    return float(np.arctan((x * y).mean() / variance)) if variance > 0 else 0.0


def extent(mask: np.ndarray, upscale: int = UPSCALE) -> tuple[float, float]:
    """(width, height) of the stroke's bounding box, in the image's pixels; (0, 0) if empty."""
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return 0.0, 0.0
    return (cols.max() - cols.min() + 1) / upscale, (rows.max() - rows.min() + 1) / upscale


def measure_images(images: Tensor, dataset: str, with_classes: bool = True, device: str = "cpu") -> Measurements:
    """Measure every attribute of ``dataset`` on ``images`` (N, C, H, W) in [-1, 1], and their classes."""
    images = check_images(images)
    names = attribute_names(dataset)
    masks = stroke_masks(images)
    brightness = grey_unit(images).mean(dim=(1, 2)).numpy()
    rows: dict[str, list[float]] = {name: [] for name in names}
    for index, mask in enumerate(masks):
        width, height = extent(mask)
        value = {"width": width, "height": height, "area": mask.sum() / UPSCALE**2,
                 "brightness": float(brightness[index])}  # fmt: skip
        if "thickness" in rows:
            value["thickness"] = thickness(mask)
        if "slant" in rows:
            value["slant"] = slant(mask)
        for name in names:
            rows[name].append(float(value[name]))
    values = {name: np.asarray(column, dtype=np.float64) for name, column in rows.items()}
    classes = confidence = None
    if with_classes and dataset in CLASSIFIERS:
        probabilities = get_extractor(CLASSIFIERS[dataset], device).probabilities(images)
        best = probabilities.max(dim=1)
        classes, confidence = best.indices.numpy(), best.values.numpy()
    return Measurements(values, classes, confidence)


def summary_table(measurements: Measurements, dataset: str) -> list[dict[str, object]]:
    """One row per attribute: mean, standard deviation and the 5th, 25th, 50th, 75th and 95th percentiles."""
    rows: list[dict[str, object]] = []
    for name, value in measurements.values.items():
        quantiles = np.percentile(value, [5, 25, 50, 75, 95])
        rows.append({"attribute": name, "unit": UNITS[name], "mean": float(value.mean()), "std": float(value.std()),
                     **{f"p{q}": float(v) for q, v in zip((5, 25, 50, 75, 95), quantiles, strict=True)}})  # fmt: skip
    if measurements.classes is not None:
        names = class_names(dataset) or []
        counts = np.bincount(measurements.classes, minlength=len(names))
        shares = {name: float(count / len(measurements)) for name, count in zip(names, counts, strict=True)}
        rows.append({"attribute": "class", "unit": "share", **shares})
    return rows
