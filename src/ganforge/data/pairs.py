"""Data for the image-to-image tasks: paired and unpaired domains, low-resolution copies and holes.

Every task dataset answers ``batch(n, generator)`` like ``ImageData`` does, with ``(target, Pair)`` where
``ImageData`` gives ``(images, labels)``: the loop passes the ``Pair`` on to the GAN variant as its
"labels", so the variant sees the source G maps from and the target it should produce.

- ``PairedData``: aligned (source, target) images: pix2pix (Isola et al. 2017) and super-resolution.
- ``UnpairedData``: two domains A and B with no alignment: CycleGAN and DiscoGAN (Zhu et al. 2017;
  Kim et al. 2017). A batch holds independent draws from each.
- ``MaskedData``: images with a hole (centre square or random boxes): context encoders (Pathak et al. 2016).

Built-in data derives from MNIST and Fashion-MNIST, so every task works offline; ``pairs:A_DIR,B_DIR``
and ``unpaired:A_DIR,B_DIR`` read user folders through ``data/folder.py`` (decoded once, cached).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.data import folder
from ganforge.data.images import ImageData, to_unit_range
from ganforge.errors import GanforgeError

PAIRS_PREFIX = "pairs:"
UNPAIRED_PREFIX = "unpaired:"
FASHION_TOPS = (0, 2, 4, 6)  # T-shirt/top, pullover, coat, shirt
FASHION_SHOES = (5, 7, 9)  # sandal, sneaker, ankle boot
BOXES = 3  # random boxes per image in the "boxes" mask


@dataclass
class Pair:
    """A task minibatch's conditioning, passed to the variant as its ``labels``.

    ``source`` is what G reads; ``target`` what it should produce (for unpaired data, an independent draw
    from domain B, not aligned with ``source``); ``mask`` is 1 on the hole for inpainting, else None.
    """

    source: Tensor  # (N, C_source, H_source, W_source) in [-1, 1]
    target: Tensor  # (N, C, H, W) in [-1, 1]
    mask: Tensor | None = None  # (N, 1, H, W), 1 = missing pixel

    def __len__(self) -> int:
        return int(self.source.shape[0])

    def __getitem__(self, index: slice) -> Pair:
        """The pairs at ``index`` (a slice), e.g. one batch of a long set."""
        return Pair(self.source[index], self.target[index], None if self.mask is None else self.mask[index])

    def to(self, device: torch.device | str) -> Pair:
        mask = None if self.mask is None else self.mask.to(device)
        return Pair(self.source.to(device), self.target.to(device), mask)


@dataclass
class PairedData:
    """Aligned uint8 ``sources`` and ``targets`` on one device; ``batch`` draws the same index from both."""

    name: str
    sources: Tensor  # (N, C, h, w) uint8
    targets: Tensor  # (N, C, H, W) uint8
    source: str  # where the images came from, for people
    num_classes: int = 0
    kind: ClassVar[str] = "image"

    @property
    def shape(self) -> tuple[int, int, int]:
        """One target image's shape, ``(C, H, W)``: what G produces."""
        return tuple(int(side) for side in self.targets.shape[1:])  # type: ignore[return-value]

    @property
    def source_shape(self) -> tuple[int, int, int]:
        return tuple(int(side) for side in self.sources.shape[1:])  # type: ignore[return-value]

    @property
    def device(self) -> torch.device:
        return self.targets.device

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def batch(self, n: int, generator: torch.Generator) -> tuple[Tensor, Pair]:
        """``n`` pairs drawn with replacement: (targets in [-1, 1], their ``Pair``)."""
        indices = torch.randint(len(self), (n,), generator=generator, device=self.device)
        return self._pair(indices)

    def examples(self, n: int) -> Pair:
        """The first ``n`` pairs, the same every call (progress pictures, metrics)."""
        return self._pair(torch.arange(min(n, len(self)), device=self.device))[1]

    def real(self, n: int | None = None) -> Tensor:
        return to_unit_range(self.targets if n is None else self.targets[:n])

    def first(self, n: int) -> PairedData:
        return dataclasses.replace(self, sources=self.sources[:n], targets=self.targets[:n])

    def to(self, device: torch.device | str) -> PairedData:
        return dataclasses.replace(self, sources=self.sources.to(device), targets=self.targets.to(device))

    def _pair(self, indices: Tensor) -> tuple[Tensor, Pair]:
        target = to_unit_range(self.targets[indices])
        return target, Pair(to_unit_range(self.sources[indices]), target)


@dataclass
class UnpairedData:
    """Two unaligned domains as uint8 tensors; a batch draws from each independently."""

    name: str
    domain_a: Tensor  # (N_A, C, H, W) uint8
    domain_b: Tensor  # (N_B, C, H, W) uint8
    source: str
    num_classes: int = 0
    kind: ClassVar[str] = "image"

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(side) for side in self.domain_b.shape[1:])  # type: ignore[return-value]

    @property
    def source_shape(self) -> tuple[int, int, int]:
        return tuple(int(side) for side in self.domain_a.shape[1:])  # type: ignore[return-value]

    @property
    def device(self) -> torch.device:
        return self.domain_b.device

    def __len__(self) -> int:
        return min(int(self.domain_a.shape[0]), int(self.domain_b.shape[0]))

    def batch(self, n: int, generator: torch.Generator) -> tuple[Tensor, Pair]:
        """``n`` images of B (the "real" batch) and a ``Pair`` of n independent images of A and those of B."""
        index_a = torch.randint(int(self.domain_a.shape[0]), (n,), generator=generator, device=self.device)
        index_b = torch.randint(int(self.domain_b.shape[0]), (n,), generator=generator, device=self.device)
        b = to_unit_range(self.domain_b[index_b])
        return b, Pair(to_unit_range(self.domain_a[index_a]), b)

    def examples(self, n: int) -> Pair:
        n = min(n, len(self))
        return Pair(to_unit_range(self.domain_a[:n]), to_unit_range(self.domain_b[:n]))

    def real(self, n: int | None = None) -> Tensor:
        return to_unit_range(self.domain_b if n is None else self.domain_b[:n])

    def first(self, n: int) -> UnpairedData:
        return dataclasses.replace(self, domain_a=self.domain_a[:n], domain_b=self.domain_b[:n])

    def to(self, device: torch.device | str) -> UnpairedData:
        return dataclasses.replace(self, domain_a=self.domain_a.to(device), domain_b=self.domain_b.to(device))


@dataclass
class MaskedData:
    """Whole images and a rule for holes: the source is the image with the hole blanked, plus the mask."""

    name: str
    targets: Tensor  # (N, C, H, W) uint8
    source: str
    mask: str = "center"  # center | boxes
    hole: float = 0.5  # centre: the hole's side as a fraction of the image's; boxes: twice each box's side
    num_classes: int = 0
    kind: ClassVar[str] = "image"

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(side) for side in self.targets.shape[1:])  # type: ignore[return-value]

    @property
    def source_shape(self) -> tuple[int, int, int]:
        channels, height, width = self.shape
        return channels + 1, height, width  # the mask rides along as one more channel

    @property
    def device(self) -> torch.device:
        return self.targets.device

    def __len__(self) -> int:
        return int(self.targets.shape[0])

    def batch(self, n: int, generator: torch.Generator) -> tuple[Tensor, Pair]:
        """``n`` images with replacement, each with a hole drawn from ``generator`` (for random boxes)."""
        indices = torch.randint(len(self), (n,), generator=generator, device=self.device)
        target = to_unit_range(self.targets[indices])
        return target, with_hole(target, make_masks(n, self.shape[1:], self.mask, self.hole, generator))

    def examples(self, n: int) -> Pair:
        target = self.real(min(n, len(self)))
        generator = torch.Generator(self.device).manual_seed(0)  # the same holes every call
        return with_hole(target, make_masks(len(target), self.shape[1:], self.mask, self.hole, generator))

    def real(self, n: int | None = None) -> Tensor:
        return to_unit_range(self.targets if n is None else self.targets[:n])

    def first(self, n: int) -> MaskedData:
        return dataclasses.replace(self, targets=self.targets[:n])

    def to(self, device: torch.device | str) -> MaskedData:
        return dataclasses.replace(self, targets=self.targets.to(device))


# -- degradations -----------------------------------------------------------------------------------


# How a low-resolution image can be made (``downscale``): each with and without antialiasing. "area" averages
# each scale x scale block (the box filter, antialiased by construction); "nearest" is the same grid without
# it, keeping one pixel of each block; bilinear and bicubic sample the image at the block centres, with
# ("-aa": the filter widened by the scale, as PIL and torch's antialias do) or without antialiasing.
DOWNSCALE_FILTERS = ("area", "nearest", "bilinear", "bilinear-aa", "bicubic", "bicubic-aa")


def downscale(images: Tensor, scale: int, filter: str = "bilinear-aa") -> Tensor:
    """uint8 images (N, C, H, W) -> (N, C, H/scale, W/scale) uint8, by one of ``DOWNSCALE_FILTERS``.

    Ledig et al. (2017) made their low-resolution inputs by bicubic downsampling by 4. A model trained on one
    filter learns that filter's blur, and does worse on inputs another one made (docs/applications.md).
    """
    pixels = images.float()
    if filter in ("area", "nearest"):
        pixels = F.interpolate(pixels, scale_factor=1 / scale, mode=filter)
    else:
        mode, _, antialias = filter.partition("-")
        pixels = F.interpolate(pixels, scale_factor=1 / scale, mode=mode, antialias=bool(antialias),
                               align_corners=False)  # fmt: skip
    return pixels.round_().clamp_(0, 255).to(torch.uint8)


def same_filter(first: str, second: str, scale: int) -> bool:
    """Whether two filters make the same images at ``scale``: at 2, bilinear sampling without antialiasing
    reads each 2 x 2 block's centre, which is its average, as "area" makes it."""
    probe = torch.randint(0, 256, (1, 1, 4 * scale, 4 * scale), generator=torch.Generator().manual_seed(0),
                          dtype=torch.uint8)  # fmt: skip
    return torch.equal(downscale(probe, scale, first), downscale(probe, scale, second))


def downscale_mix(
    images: Tensor, scale: int, filters: tuple[str, ...], generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """Each image downscaled by a filter drawn for it from ``filters`` (uniformly, from ``generator``):
    (low-resolution uint8 images, the index into ``filters`` of each one's filter)."""
    choice = torch.randint(len(filters), (len(images),), generator=generator, device=generator.device)
    choice = choice.to(images.device)
    channels, height, width = images.shape[1:]
    lows = torch.empty(len(images), channels, height // scale, width // scale, dtype=torch.uint8,
                       device=images.device)  # fmt: skip
    for index, name in enumerate(filters):
        chosen = choice == index
        if chosen.any():
            lows[chosen] = downscale(images[chosen], scale, name)
    return lows, choice


def resample_through(images: Tensor, scale: int, filter: str) -> Tensor:
    """Float images in [-1, 1], shrunk by ``scale`` with ``filter`` (in uint8, as stored data is) and enlarged
    back by bicubic interpolation: the same images as a different filter would have left them."""
    pixels = ((images.float() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    side = images.shape[-2] // scale * scale, images.shape[-1] // scale * scale
    low = to_unit_range(downscale(pixels[..., : side[0], : side[1]], scale, filter))
    return upscale_bicubic(low, tuple(images.shape[-2:]))


def upscale_bicubic(images: Tensor, size: tuple[int, int]) -> Tensor:
    """Float images in [-1, 1] -> bicubic upsampling to ``size``, clamped to [-1, 1]: the SR baseline."""
    return F.interpolate(images, size=size, mode="bicubic", align_corners=False).clamp(-1, 1)


def make_masks(n: int, size: tuple[int, int], kind: str, hole: float, generator: torch.Generator) -> Tensor:
    """(n, 1, H, W) float masks, 1 on the hole: one centre square, or ``BOXES`` random squares per image."""
    height, width = size
    device = generator.device
    rows = torch.arange(height, device=device).view(1, height, 1)
    cols = torch.arange(width, device=device).view(1, 1, width)
    if kind == "center":  # Pathak et al. (2016): the central square of side hole * H
        side_h, side_w = max(1, round(hole * height)), max(1, round(hole * width))
        top = torch.full((n, 1, 1), (height - side_h) // 2, device=device)
        left = torch.full((n, 1, 1), (width - side_w) // 2, device=device)
        square = (rows >= top) & (rows < top + side_h) & (cols >= left) & (cols < left + side_w)
        return square[:, None].float()
    side_h, side_w = max(1, round(hole * height / 2)), max(1, round(hole * width / 2))
    masks = torch.zeros(n, height, width, dtype=torch.bool, device=device)
    for _ in range(BOXES):  # their "random block" masks: several squares anywhere, overlaps allowed
        top = torch.randint(height - side_h + 1, (n, 1, 1), generator=generator, device=device)
        left = torch.randint(width - side_w + 1, (n, 1, 1), generator=generator, device=device)
        masks |= (rows >= top) & (rows < top + side_h) & (cols >= left) & (cols < left + side_w)
    return masks[:, None].float()


def with_hole(images: Tensor, mask: Tensor) -> Pair:
    """The inpainting ``Pair``: source = (image with the hole set to 0, mid-grey) ++ mask, target = image."""
    return Pair(torch.cat([images * (1 - mask), mask], dim=1), images, mask)


# -- built-in pairs and domains, derived from MNIST and Fashion-MNIST --------------------------------


def edges(images: Tensor) -> Tensor:
    """uint8 images -> uint8 edge maps: the Sobel gradient magnitude, thresholded at a quarter of its peak.

    A stand-in for the HED edges of pix2pix's edges2shoes: white outlines on black.
    """
    x = images.float() / 255
    sobel = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=images.device)
    kernels = torch.stack([sobel, sobel.T])[:, None]  # (2, 1, 3, 3): d/dx and d/dy
    channels = images.shape[1]
    gradient = F.conv2d(x.flatten(0, 1)[:, None], kernels, padding=1)  # (N * C, 2, H, W)
    magnitude = gradient.pow(2).sum(1).sqrt().view(images.shape[0], channels, *images.shape[2:]).amax(1, True)
    peak = magnitude.flatten(1).amax(1).clamp_min(1e-6).view(-1, 1, 1, 1)
    outline = (magnitude > 0.25 * peak).to(torch.uint8) * 255
    return outline.expand(-1, channels, -1, -1).contiguous()


def silhouettes(images: Tensor) -> Tensor:
    """uint8 images -> uint8 silhouettes: every pixel brighter than 10/255 becomes white (a label map)."""
    return ((images > 10).to(torch.uint8) * 255).contiguous()


def thicken(images: Tensor) -> Tensor:
    """uint8 images -> strokes dilated by one pixel each way (a 3 x 3 max filter): "bold" digits."""
    return F.max_pool2d(images.float(), 3, stride=1, padding=1).to(torch.uint8)


def invert(images: Tensor) -> Tensor:
    return 255 - images


@dataclass(frozen=True)
class BuiltinPairs:
    """A built-in task dataset: the image set it derives from, what it is, and how to derive it."""

    base: str  # mnist | fashion-mnist
    description: str
    make: Callable[[ImageData], tuple[Tensor, Tensor]]  # images -> (sources or domain A, targets or domain B)


def _split_halves(images: Tensor, map_b: Callable[[Tensor], Tensor]) -> tuple[Tensor, Tensor]:
    """Unpaired domains from one image set: A the even-numbered images, B the odd ones mapped by ``map_b``, so
    no image of A has its counterpart in B."""
    return images[0::2], map_b(images[1::2])


def _class_groups(data: ImageData, group_a: tuple[int, ...], group_b: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    in_a = torch.isin(data.labels, torch.tensor(group_a, device=data.labels.device))
    in_b = torch.isin(data.labels, torch.tensor(group_b, device=data.labels.device))
    return data.images[in_a], data.images[in_b]


PAIRED: dict[str, BuiltinPairs] = {
    "edges2fashion": BuiltinPairs(
        "fashion-mnist", "Fashion-MNIST: Sobel edges -> the photo", lambda d: (edges(d.images), d.images)
    ),
    "edges2mnist": BuiltinPairs("mnist", "MNIST: Sobel edges -> the digit", lambda d: (edges(d.images), d.images)),
    "silhouette2fashion": BuiltinPairs(
        "fashion-mnist",
        "Fashion-MNIST: silhouette (a label map) -> the photo",
        lambda d: (silhouettes(d.images), d.images),
    ),
}

UNPAIRED: dict[str, BuiltinPairs] = {
    "mnist2thick": BuiltinPairs(
        "mnist", "MNIST digits <-> bold digits (disjoint halves)", lambda d: _split_halves(d.images, thicken)
    ),
    "mnist2inverted": BuiltinPairs(
        "mnist", "MNIST digits <-> colour-inverted digits (disjoint halves)", lambda d: _split_halves(d.images, invert)
    ),
    "tops2shoes": BuiltinPairs(
        "fashion-mnist",
        "Fashion-MNIST tops (T-shirt, pullover, coat, shirt) <-> shoes (sandal, sneaker, boot)",
        lambda d: _class_groups(d, FASHION_TOPS, FASHION_SHOES),
    ),
}


def load_paired(name: str, load_base: Callable[[str], ImageData], size: int | None) -> PairedData:
    """A built-in paired dataset (``PAIRED``) or ``pairs:A_DIR,B_DIR``; ``load_base(name)`` loads mnist or
    fashion-mnist with the run's split and limit."""
    if name.startswith(PAIRS_PREFIX):
        (dir_a, files_a), (dir_b, files_b) = _two_folders(name, PAIRS_PREFIX)
        _check_aligned(dir_a, files_a, dir_b, files_b)
        sources, targets = _same_channels(_decode_all(dir_a, files_a, size), _decode_all(dir_b, files_b, size))
        return PairedData(name, sources, targets, f"{dir_a} -> {dir_b}")
    builtin = PAIRED[name]
    base = load_base(builtin.base)
    sources, targets = builtin.make(base)
    return PairedData(name, sources, targets, f"{builtin.description}; {base.source}", base.num_classes)


def load_unpaired(name: str, load_base: Callable[[str], ImageData], size: int | None) -> UnpairedData:
    """A built-in pair of domains (``UNPAIRED``) or ``unpaired:A_DIR,B_DIR``."""
    if name.startswith(UNPAIRED_PREFIX):
        (dir_a, files_a), (dir_b, files_b) = _two_folders(name, UNPAIRED_PREFIX)
        domain_a, domain_b = _same_channels(_decode_all(dir_a, files_a, size), _decode_all(dir_b, files_b, size))
        return UnpairedData(name, domain_a, domain_b, f"{dir_a} <-> {dir_b}")
    builtin = UNPAIRED[name]
    base = load_base(builtin.base)
    domain_a, domain_b = builtin.make(base)
    return UnpairedData(name, domain_a, domain_b, f"{builtin.description}; {base.source}", base.num_classes)


def _two_folders(name: str, prefix: str) -> tuple[tuple[Path, list[Path]], tuple[Path, list[Path]]]:
    parts = name[len(prefix) :].split(",")
    if len(parts) != 2 or not all(part.strip() for part in parts):
        raise GanforgeError(f"--dataset {name} must name two folders", f"write {prefix}A_DIR,B_DIR")
    found = []
    for part in parts:
        root = Path(part.strip()).expanduser()
        if not root.is_dir():
            raise GanforgeError(f"image folder {root} (in --dataset {name}) does not exist", "check the path")
        files = sorted(p for p in root.rglob("*") if p.suffix.lower() in folder.EXTENSIONS and p.is_file())
        if not files:
            raise GanforgeError(f"image folder {root} holds no images", f"add {', '.join(sorted(folder.EXTENSIONS))}")
        found.append((root, files))
    return found[0], found[1]


def _check_aligned(dir_a: Path, files_a: list[Path], dir_b: Path, files_b: list[Path]) -> None:
    """pix2pix's convention: A/x.png pairs with B/x.png (any extension); every file needs its partner."""
    names_a = [path.relative_to(dir_a).with_suffix("").as_posix() for path in files_a]
    names_b = [path.relative_to(dir_b).with_suffix("").as_posix() for path in files_b]
    if names_a != names_b:
        only_a = sorted(set(names_a) - set(names_b))
        only_b = sorted(set(names_b) - set(names_a))
        detail = (
            f"{dir_a / only_a[0]} has no partner in {dir_b}" if only_a else f"{dir_b / only_b[0]} has none in {dir_a}"
        )
        raise GanforgeError(
            f"paired folders differ: {detail}", "give both folders the same file names (A/x.png, B/x.png)"
        )


def _decode_all(root: Path, files: list[Path], size: int | None) -> Tensor:
    data = folder.load_folder(f"{folder.PREFIX}{root}", size)
    if len(data) != len(files):  # folder.py skipped unreadable files, which would misalign pairs
        raise GanforgeError(
            f"image folder {root}: {len(files) - len(data)} of {len(files)} files could not be decoded",
            "remove or fix the unreadable files (the log names how many and why)",
        )
    return data.images


def _same_channels(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """Grey and colour folders meet in colour: a grey side is repeated to three channels."""
    if a.shape[1] != b.shape[1]:
        a, b = (a.expand(-1, 3, -1, -1) if a.shape[1] == 1 else a), (b.expand(-1, 3, -1, -1) if b.shape[1] == 1 else b)
    return a.contiguous(), b.contiguous()
