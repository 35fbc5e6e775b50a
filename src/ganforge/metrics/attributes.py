"""Attributes of captioned pictures measured from their pixels (``data/captions.py`` draws them).

The pictures are procedural, so colour, size, position and stroke thickness need no learned judge: the
background is the median colour of the border, the object is every pixel far from it, its colour the
palette colour whose ray from the background best explains the object's pixels, its size the longer side of
its bounding box, its position the box's centre. The class is read by the shipped grey classifier
(``mnist-cnn`` / ``fashion-cnn``) from the object's ink, cropped and centred as in the source data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.data.captions import ATTRIBUTES, BACKGROUNDS, COLOURS, POSITIONS, SIZES

INK = 0.3  # a pixel is object when its RGB distance from the background exceeds this (in [0, 1] units)
CENTRE_BAND = 0.055  # a box centre within this of the middle (as a fraction of the side) is "center" on that axis
LARGE_FROM = 0.6  # a bounding box whose longer side exceeds this fraction of the canvas is "large"
THICK_FROM = 3.0  # mean stroke half-width (ink area / outline pixels, at 64 px) above which a digit is "thick"


def measure(images: Tensor) -> dict[str, Tensor]:
    """Colour, background, size and position of ``images`` (N, 3, H, W) in [-1, 1], as indices into the
    tables of ``data/captions.py`` (-1: not recognisable, e.g. no object at all), plus the ink maps."""
    pixels = (images.float().cpu().clamp(-1, 1) + 1) / 2  # (N, 3, H, W) in [0, 1]
    n, _, side, _ = pixels.shape
    border = torch.cat([pixels[:, :, 0], pixels[:, :, -1], pixels[:, :, :, 0], pixels[:, :, :, -1]], dim=2)
    ground = border.median(dim=2).values  # (N, 3)
    grounds = torch.tensor([rgb for rgb, _ in BACKGROUNDS.values()])  # (B, 3)
    background = torch.cdist(ground, grounds).argmin(1)  # (N,)
    offset = pixels - grounds[background][:, :, None, None]  # (N, 3, H, W): each pixel's step from the ground
    distance = offset.norm(dim=1)  # (N, H, W)
    mask = distance > INK
    colour = _colour(offset, distance, mask, grounds[background])
    size, position, box = _geometry(mask, side)
    found = mask.flatten(1).sum(1) > 0
    colour[~found], size[~found], position[~found] = -1, -1, -1
    return {"colour": colour, "background": background, "size": size, "position": position, "box": box,
            "ink": _ink(offset, grounds[background], colour), "mask": mask}  # fmt: skip


def _colour(offset: Tensor, distance: Tensor, mask: Tensor, ground: Tensor) -> Tensor:
    """The palette colour c (not the background's) whose ray ground + a (c - ground) best fits the mean step
    of the object's strongest pixels (the upper half of its distances: edges blend with the ground)."""
    n = offset.shape[0]
    flat_distance = torch.where(mask, distance, torch.zeros_like(distance)).flatten(1)  # (N, HW)
    threshold = flat_distance.max(1, keepdim=True).values * 0.5
    strong = (flat_distance >= threshold) & mask.flatten(1)
    weights = strong.float() / strong.float().sum(1, keepdim=True).clamp(min=1)
    step = torch.einsum("ncp,np->nc", offset.flatten(2), weights)  # (N, 3)
    palette = torch.tensor([rgb for rgb, _ in COLOURS.values()])  # (K, 3)
    rays = palette[None] - ground[:, None]  # (N, K, 3)
    length = rays.pow(2).sum(-1)  # (N, K)
    along = (rays * step[:, None]).sum(-1) / length.clamp(min=1e-6)  # (N, K): the best a for each colour
    residual = (step[:, None] - along[..., None] * rays).norm(dim=-1)
    residual = torch.where((length > 1e-3) & (along > 0.2), residual, torch.full_like(residual, 1e9))
    return residual.argmin(1) if n else torch.zeros(0, dtype=torch.int64)


def _geometry(mask: Tensor, side: int) -> tuple[Tensor, Tensor, Tensor]:
    """Size and position indices from each mask's bounding box, and the boxes (N, 4) as (top, bottom, left, right)."""
    rows, columns = mask.any(2), mask.any(1)  # (N, H), (N, W)
    index = torch.arange(side)
    top = torch.where(rows, index, side).min(1).values
    bottom = torch.where(rows, index, -1).max(1).values
    left = torch.where(columns, index, side).min(1).values
    right = torch.where(columns, index, -1).max(1).values
    extent = torch.maximum(bottom - top + 1, right - left + 1).float() / side
    size = torch.where(extent > LARGE_FROM, list(SIZES).index("large"), list(SIZES).index("small"))
    centre_x = (left + right + 1).float() / (2 * side)
    centre_y = (top + bottom + 1).float() / (2 * side)

    def axis(centre: Tensor) -> Tensor:  # -1 before, 0 in the middle band, 1 after
        return torch.where(centre < 0.5 - CENTRE_BAND, -1, torch.where(centre > 0.5 + CENTRE_BAND, 1, 0))

    horizontal, vertical = axis(centre_x), axis(centre_y)
    names = list(POSITIONS)
    position = torch.full_like(horizontal, -1)  # one axis central and the other not: no named position
    position[(horizontal == 0) & (vertical == 0)] = names.index("center")
    for name, (x, y) in ((name, POSITIONS[name][0]) for name in names if name != "center"):
        hit = (horizontal == (1 if x > 0.5 else -1)) & (vertical == (1 if y > 0.5 else -1))
        position[hit] = names.index(name)
    return size, position, torch.stack([top, bottom, left, right], 1)


def _ink(offset: Tensor, ground: Tensor, colour: Tensor) -> Tensor:
    """The object's alpha (N, H, W) in [0, 1]: each pixel's step along its measured colour's ray."""
    palette = torch.tensor([rgb for rgb, _ in COLOURS.values()])
    rays = palette[colour.clamp(min=0)] - ground  # (N, 3)
    along = torch.einsum("nchw,nc->nhw", offset, rays) / rays.pow(2).sum(1).clamp(min=1e-6)[:, None, None]
    return along.clamp(0, 1)


def stroke_width(ink: Tensor, mask: Tensor) -> Tensor:
    """Mean stroke half-width (N,): ink area over outline pixels (mask pixels with a 4-neighbour off the mask),
    scaled to a 64-pixel canvas. A stroke of width w and length L has area w L and about 2 L outline pixels."""
    side = mask.shape[-1]
    padded = F.pad(mask.float()[:, None], (1, 1, 1, 1))
    inner = -F.max_pool2d(-padded, 3, stride=1, padding=0)[:, 0] > 0.5  # (N, H, W): all 3 x 3 neighbours set
    outline = (mask & ~inner).flatten(1).sum(1).float()
    return ink.flatten(1).sum(1) / outline.clamp(min=1) * (64 / side)


def glyphs(ink: Tensor, box: Tensor, side: int = 28, inner: int = 22) -> Tensor:
    """Each object's ink cropped to its box and centred, its longer side ``inner`` pixels, on a ``side``-pixel
    grey canvas in [-1, 1] (N, 1, side, side): what the shipped 28 px classifiers read."""
    out = torch.full((len(ink), 1, side, side), -1.0)
    for row, (top, bottom, left, right) in enumerate(box.tolist()):
        if bottom < top or right < left:
            continue
        crop = ink[row, top : bottom + 1, left : right + 1][None, None]
        height, width = crop.shape[-2:]
        scale = inner / max(height, width)
        new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
        crop = F.interpolate(crop, size=(new_h, new_w), mode="bilinear", align_corners=False, antialias=True)
        y, x = (side - new_h) // 2, (side - new_w) // 2
        out[row, 0, y : y + new_h, x : x + new_w] = crop[0, 0] * 2 - 1
    return out


def attribute_accuracy(measured: dict[str, Tensor], attributes: Tensor, classes: Tensor | None,
                       thickness: Tensor | None = None) -> dict[str, float]:  # fmt: skip
    """How often each measured attribute equals the caption's (``attributes`` (N, 6) as ``Item.as_indices``);
    ``classes``: the classifier's reading of each picture (None: not measured)."""
    wanted = {name: attributes[:, index] for index, name in enumerate(ATTRIBUTES)}
    result = {}
    for name in ("colour", "background", "size", "position"):
        result[name] = float((measured[name] == wanted[name].cpu()).float().mean())
    if classes is not None:
        result["class"] = float((classes.cpu() == wanted["class"].cpu()).float().mean())
    if thickness is not None:
        known = wanted["thickness"].cpu() >= 0
        if known.any():
            result["thickness"] = float((thickness.cpu()[known] == wanted["thickness"].cpu()[known]).float().mean())
    return result


def thickness_index(ink: Tensor, mask: Tensor) -> Tensor:
    """0 (thin) or 1 (thick) from ``stroke_width`` (``data/captions.THICKNESS`` order)."""
    return (stroke_width(ink, mask) > THICK_FROM).long()
