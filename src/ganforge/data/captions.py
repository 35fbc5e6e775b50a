"""Captioned images for text-to-image synthesis, generated reproducibly from Fashion-MNIST and MNIST.

Each item is one garment (or digit) pasted on a coloured canvas, with attributes a sentence can name and a
picture can show: the class, the object's colour, the background's colour, the size, the position, and for
digits the stroke thickness. Captions come from a small grammar (``caption``) with synonyms, several word
orders and optional words::

    a small red sneaker in the top left corner on a white background
    top left: tiny sneaker, red, on a white background

Some (class, colour) combinations are held out of training entirely (``HELD_OUT``): no training image and no
training caption shows them, so the held-out split measures whether a model composes what it has seen.

``captions:DIR`` reads a user's own data: image files plus a ``captions.jsonl`` of ``{"file": ..., "text": ...}``
lines (several lines may name one file). Its items carry no attributes; the text encoder reads characters,
so any words encode.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor

from ganforge.data.images import ImageData, to_unit_range
from ganforge.errors import GanforgeError

PREFIX = "captions:"
CAPTIONS_FILE = "captions.jsonl"
BASES = {"captioned-fashion": "fashion-mnist", "captioned-mnist": "mnist"}
TRAIN_ITEMS = 8000  # generated items per split at most: 8,000 x 3 x 64 x 64 bytes = 98 MB at 64 px
TEST_ITEMS = 2000
CAPTIONS_PER_ITEM = 4  # captions drawn per item; a batch picks one of them
MAX_CHARS = 110  # the longest caption the encoder reads
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 -,.:;'"  # the encoder's characters; id 0 pads, the last id is "other"

# -- attributes: each value with its RGB colour or geometry, and the words that name it -----------------------

COLOURS = {  # object colours: RGB in [0, 1], then synonyms (the first is the canonical name)
    "red": ((1.0, 0.1, 0.1), ("red",)),
    "green": ((0.1, 0.85, 0.1), ("green",)),
    "blue": ((0.15, 0.3, 1.0), ("blue",)),
    "yellow": ((1.0, 0.9, 0.1), ("yellow",)),
    "magenta": ((0.95, 0.2, 0.9), ("magenta", "pink")),
    "cyan": ((0.1, 0.9, 0.95), ("cyan", "turquoise")),
    "white": ((1.0, 1.0, 1.0), ("white",)),
}
BACKGROUNDS = {
    "black": ((0.0, 0.0, 0.0), ("black", "dark")),
    "white": ((1.0, 1.0, 1.0), ("white", "light")),
    "gray": ((0.5, 0.5, 0.5), ("gray", "grey")),
}
SIZES = {"small": (0.42, ("small", "tiny", "little")), "large": (0.78, ("large", "big", "huge"))}
# Each position: the object's centre as a fraction of the canvas (for a small object; a large one sits nearer
# the middle), the phrases that place it, and the short forms that open a caption ("top left: ...").
POSITIONS = {
    "center": ((0.5, 0.5), ("in the center", "in the middle", "in the centre"), ("center", "middle")),
    "top left": ((0.25, 0.25), ("in the top left corner", "at the top left", "in the upper left"),
                 ("top left", "upper left")),
    "top right": ((0.75, 0.25), ("in the top right corner", "at the top right", "in the upper right"),
                  ("top right", "upper right")),
    "bottom left": ((0.25, 0.75), ("in the bottom left corner", "at the bottom left", "in the lower left"),
                    ("bottom left", "lower left")),
    "bottom right": ((0.75, 0.75), ("in the bottom right corner", "at the bottom right", "in the lower right"),
                     ("bottom right", "lower right")),
}  # fmt: skip
THICKNESS = {"thin": ("thin", "slim", "fine"), "thick": ("thick", "bold", "heavy")}  # digits only
CLASS_WORDS = {
    "fashion-mnist": (
        ("t-shirt", "tee", "top"), ("trousers", "pants"), ("pullover", "sweater", "jumper"), ("dress",),
        ("coat", "jacket"), ("sandal",), ("shirt",), ("sneaker", "trainer"), ("bag", "handbag"), ("ankle boot", "boot"),
    ),
    "mnist": tuple((f"digit {name}", name, f"number {digit}") for digit, name in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))),
}  # fmt: skip
HELD_OUT = {  # (class, object colour) never seen in training: the composition test
    "fashion-mnist": ((1, "green"), (7, "red"), (8, "blue"), (3, "yellow")),
    "mnist": ((3, "green"), (7, "red"), (0, "blue"), (5, "yellow")),
}
ATTRIBUTES = ("class", "colour", "background", "size", "position", "thickness")
LARGE_OFFSET = 0.12  # a large object's centre sits this far from the middle toward its corner


@dataclass(frozen=True)
class Item:
    """One captioned item's attributes, by name (``thickness`` None for garments)."""

    label: int
    colour: str
    background: str
    size: str
    position: str
    thickness: str | None = None

    def as_indices(self) -> list[int]:
        """(class, colour, background, size, position, thickness) as integers; thickness -1 when absent."""
        thick = -1 if self.thickness is None else list(THICKNESS).index(self.thickness)
        return [self.label, list(COLOURS).index(self.colour), list(BACKGROUNDS).index(self.background),
                list(SIZES).index(self.size), list(POSITIONS).index(self.position), thick]  # fmt: skip


def item_from_indices(row: list[int]) -> Item:
    """The inverse of ``Item.as_indices``."""
    label, colour, background, size, position, thick = (int(value) for value in row)
    return Item(label, list(COLOURS)[colour], list(BACKGROUNDS)[background], list(SIZES)[size],
                list(POSITIONS)[position], None if thick < 0 else list(THICKNESS)[thick])  # fmt: skip


def is_held_out(base: str, item: Item) -> bool:
    """Whether ``item``'s (class, colour) is one of ``base``'s held-out combinations."""
    return (item.label, item.colour) in HELD_OUT[base]


# -- the grammar ------------------------------------------------------------------------------------------------


def caption(base: str, item: Item, generator: torch.Generator) -> str:
    """One caption of ``item`` from the grammar: a template, synonyms and optional words drawn from ``generator``."""

    def pick(options: tuple[str, ...] | list[str]) -> str:
        return options[int(torch.randint(len(options), (1,), generator=generator))]

    noun = pick(CLASS_WORDS[base][item.label])
    colour = pick(COLOURS[item.colour][1])
    background = pick(BACKGROUNDS[item.background][1])
    size = pick(SIZES[item.size][1])
    where = pick(POSITIONS[item.position][1])
    where_short = pick(POSITIONS[item.position][2])
    stroke = "" if item.thickness is None else pick(THICKNESS[item.thickness]) + " "
    article = pick(["a", "one", "a", ""])
    on = pick(["on a", "on", "against a"])
    templates = [
        f"{article} {size} {colour} {stroke}{noun} {where} {on} {background} background",
        f"{where_short}: {size} {stroke}{noun}, {colour}, {on} {background} background",
        f"{size} {colour} {stroke}{noun} on {background}, {where}",
        f"there is {article} {colour} {stroke}{noun} {where}; it is {size}; the background is {background}",
        f"{background} background with {article} {size} {colour} {stroke}{noun} {where}",
        f"{pick(['a picture of', 'an image of', ''])} {article} {stroke}{noun}, {size} and {colour}, {where} {on} "
        f"{background} background",
    ]
    return re.sub(r"\s+", " ", pick(templates)).strip()


def vocabulary(base: str) -> set[str]:
    """Every word the grammar of ``base`` can write (what ``generate --text`` accepts for a built-in run)."""
    phrases: list[str] = ["a one there is it the background with on against picture of an image and"]
    phrases += [word for _, words in COLOURS.values() for word in words]
    phrases += [word for _, words in BACKGROUNDS.values() for word in words]
    phrases += [word for _, words in SIZES.values() for word in words]
    phrases += [phrase for _, long, short in POSITIONS.values() for phrase in (*long, *short)]
    phrases += [word for words in THICKNESS.values() for word in words] if base == "mnist" else []
    phrases += [noun for nouns in CLASS_WORDS[base] for noun in nouns]
    return {word for phrase in phrases for word in words_of(phrase)}


def words_of(text: str) -> list[str]:
    """The words of ``text``: lower-case runs of letters and digits ("t-shirt" is "t", "shirt")."""
    return re.findall(r"[a-z0-9]+", text.lower())


def encode_text(texts: list[str]) -> Tensor:
    """Captions as character ids (N, MAX_CHARS) int64: 0 pads, unknown characters share the last id."""
    ids = torch.zeros(len(texts), MAX_CHARS, dtype=torch.int64)
    for row, text in enumerate(texts):
        for column, char in enumerate(text.lower()[:MAX_CHARS]):
            found = ALPHABET.find(char)
            ids[row, column] = found + 1 if found >= 0 else len(ALPHABET) + 1
    return ids


def check_text(text: str, known: set[str] | None, where: str) -> str:
    """``text`` stripped, or a one-line error for empty text, a too-long one, or words outside ``known``."""
    stripped = " ".join(text.split())
    if not stripped:
        raise GanforgeError(f"{where} is empty", 'write a caption, e.g. "a small red sneaker on a white background"')
    if len(stripped) > MAX_CHARS:
        raise GanforgeError(f"{where} has {len(stripped)} characters, more than the {MAX_CHARS} the encoder reads",
                            "shorten the caption")  # fmt: skip
    unknown = sorted({word for word in words_of(stripped) if known is not None and word not in known})
    if unknown:
        raise GanforgeError(f"{where} has words this run never saw: {', '.join(unknown)}",
                            "use the grammar's words (docs/applications.md, 'Text to image')")  # fmt: skip
    return stripped


# -- rendering ----------------------------------------------------------------------------------------------------


def draw_items(base: str, labels: Tensor, split: str, seed: int) -> list[Item]:
    """Attributes for each source image of ``labels``: uniform draws, re-drawn off the held-out combinations
    for the train split (the test split keeps them, to measure composition)."""
    generator = torch.Generator().manual_seed(seed + (0 if split == "train" else 1))
    items = []
    for label in labels.tolist():
        while True:
            colour = list(COLOURS)[int(torch.randint(len(COLOURS), (1,), generator=generator))]
            backgrounds = [name for name in BACKGROUNDS if name != colour]  # a white object needs a coloured ground
            background = backgrounds[int(torch.randint(len(backgrounds), (1,), generator=generator))]
            size = list(SIZES)[int(torch.randint(len(SIZES), (1,), generator=generator))]
            position = list(POSITIONS)[int(torch.randint(len(POSITIONS), (1,), generator=generator))]
            thickness = list(THICKNESS)[int(torch.randint(2, (1,), generator=generator))] if base == "mnist" else None
            item = Item(int(label), colour, background, size, position, thickness)
            if split != "train" or not is_held_out(base, item):
                break
        items.append(item)
    return items


def object_box(side: int, item: Item) -> tuple[int, int, int]:
    """(left, top, extent) of ``item``'s square box on a canvas of ``side`` pixels."""
    extent = round(SIZES[item.size][0] * side)
    (x, y) = POSITIONS[item.position][0]
    if item.size == "large":  # a large object cannot reach the corners: it sits LARGE_OFFSET from the middle
        x, y = 0.5 + LARGE_OFFSET * (2 * x - 1) * 2, 0.5 + LARGE_OFFSET * (2 * y - 1) * 2
    left = min(max(round(x * side - extent / 2), 0), side - extent)
    top = min(max(round(y * side - extent / 2), 0), side - extent)
    return left, top, extent


def render(source: Tensor, item: Item, side: int) -> Tensor:
    """One grey (28, 28) uint8 source image as the (3, side, side) uint8 picture ``item`` describes: cropped to
    its ink, scaled (aspect kept) into its box, thickened or thinned (digits), coloured and laid on its ground."""
    ink = source.float() / 255  # (28, 28) in [0, 1]: the alpha of the object
    rows, columns = torch.nonzero(ink > 0.1, as_tuple=True)
    if len(rows):
        ink = ink[int(rows.min()) : int(rows.max()) + 1, int(columns.min()) : int(columns.max()) + 1]
    height, width = ink.shape
    left, top, extent = object_box(side, item)
    scale = extent / max(height, width)
    new_h, new_w = max(1, round(height * scale)), max(1, round(width * scale))
    alpha = F.interpolate(ink[None, None], size=(new_h, new_w), mode="bilinear", align_corners=False, antialias=True)
    if item.thickness == "thick":  # a 3 x 3 dilation thickens every stroke by about two pixels at 64 px
        radius = max(1, side // 32)
        alpha = F.max_pool2d(alpha, 2 * radius + 1, stride=1, padding=radius)
    canvas_alpha = torch.zeros(1, 1, side, side)
    y0, x0 = top + (extent - new_h) // 2, left + (extent - new_w) // 2
    canvas_alpha[..., y0 : y0 + new_h, x0 : x0 + new_w] = alpha.clamp(0, 1)
    colour = torch.tensor(COLOURS[item.colour][0]).view(1, 3, 1, 1)
    ground = torch.tensor(BACKGROUNDS[item.background][0]).view(1, 3, 1, 1)
    picture = ground * (1 - canvas_alpha) + colour * canvas_alpha  # (1, 3, side, side)
    return (picture[0] * 255).round().clamp(0, 255).to(torch.uint8)


# -- the dataset --------------------------------------------------------------------------------------------------


@dataclass
class TextBatch:
    """A text-to-image minibatch's conditioning, passed to the variant as its ``labels``.

    ``text`` are the captions as character ids; ``mismatched`` captions of other items in the batch (the
    matching-aware D's "real image, wrong text", Reed et al. 2016); ``attributes`` (N, 6) the items' attribute
    indices, -1 where unknown (user data)."""

    text: Tensor  # (N, MAX_CHARS) int64
    mismatched: Tensor  # (N, MAX_CHARS) int64
    attributes: Tensor  # (N, 6) int64

    def __len__(self) -> int:
        return int(self.text.shape[0])

    def __getitem__(self, index: slice) -> TextBatch:
        return TextBatch(self.text[index], self.mismatched[index], self.attributes[index])

    def to(self, device: torch.device | str) -> TextBatch:
        return TextBatch(self.text.to(device), self.mismatched.to(device), self.attributes.to(device))


@dataclass
class CaptionedData:
    """RGB uint8 images with ``CAPTIONS_PER_ITEM`` captions each (as character ids and as text) and attributes;
    ``batch`` returns ``(images in [-1, 1], TextBatch)`` like ``PairedData`` returns its pairs."""

    name: str
    images: Tensor  # (N, 3, H, W) uint8
    text: Tensor  # (N, CAPTIONS_PER_ITEM, MAX_CHARS) int64
    captions: list[list[str]]  # the same captions as strings, for people and pictures
    attributes: Tensor  # (N, 6) int64, -1 where unknown
    source: str
    base: str | None = None  # fashion-mnist / mnist for generated data, None for a captions:DIR folder
    num_classes: int = 0  # the loop's class conditioning: none (the text is the condition)
    kind: ClassVar[str] = "image"

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(side) for side in self.images.shape[1:])  # type: ignore[return-value]

    @property
    def device(self) -> torch.device:
        return self.images.device

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def batch(self, n: int, generator: torch.Generator) -> tuple[Tensor, TextBatch]:
        """``n`` items drawn with replacement, one of each item's captions, and mismatched captions: each row's
        caption of the item drawn next (the batch rolled by one), as StackGAN's code pairs wrong text."""
        device = self.device
        indices = torch.randint(len(self), (n,), generator=generator, device=device)
        which = torch.randint(self.text.shape[1], (n,), generator=generator, device=device)
        text = self.text[indices, which]
        return to_unit_range(self.images.index_select(0, indices)), TextBatch(
            text, text.roll(1, 0), self.attributes.index_select(0, indices)
        )

    def examples(self, n: int) -> TextBatch:
        """The first ``n`` items with their first captions, the same every call (pictures, metrics)."""
        text = self.text[:n, 0]
        return TextBatch(text, text.roll(1, 0), self.attributes[:n])

    def real(self, n: int | None = None) -> Tensor:
        return to_unit_range(self.images if n is None else self.images[:n])

    def first(self, n: int) -> CaptionedData:
        return dataclasses.replace(self, images=self.images[:n], text=self.text[:n], captions=self.captions[:n],
                                   attributes=self.attributes[:n])  # fmt: skip

    def select(self, keep: Tensor) -> CaptionedData:
        """The items where the boolean ``keep`` (N,) is true."""
        rows = torch.nonzero(keep.cpu()).flatten()
        return dataclasses.replace(self, images=self.images[rows.to(self.device)], text=self.text[rows.to(self.device)],
                                   captions=[self.captions[i] for i in rows.tolist()],
                                   attributes=self.attributes[rows.to(self.device)])  # fmt: skip

    def to(self, device: torch.device | str) -> CaptionedData:
        return dataclasses.replace(self, images=self.images.to(device), text=self.text.to(device),
                                   attributes=self.attributes.to(device))  # fmt: skip

    def held_out_mask(self) -> Tensor:
        """(N,) bool: items whose (class, colour) training never showed (all False for user data)."""
        if self.base is None:
            return torch.zeros(len(self), dtype=torch.bool)
        pairs = torch.tensor([[label, list(COLOURS).index(colour)] for label, colour in HELD_OUT[self.base]])
        found = (self.attributes[:, None, :2].cpu() == pairs[None]).all(-1).any(-1)
        return found


def generate_captioned(base: str, sources: ImageData, split: str, side: int, seed: int = 0,
                       limit: int | None = None) -> CaptionedData:  # fmt: skip
    """The captioned data set of ``base`` (fashion-mnist / mnist) from its grey ``sources``: the first
    ``TRAIN_ITEMS`` (``TEST_ITEMS`` for the test split, or ``limit``) images drawn on ``side``-pixel canvases."""
    count = min(len(sources), limit or (TRAIN_ITEMS if split == "train" else TEST_ITEMS))
    labels = sources.labels[:count].cpu()
    items = draw_items(base, labels, split, seed)
    images = torch.stack([render(sources.images[i, 0].cpu(), item, side) for i, item in enumerate(items)])
    generator = torch.Generator().manual_seed(seed + 2 + (0 if split == "train" else 1))
    captions = [[caption(base, item, generator) for _ in range(CAPTIONS_PER_ITEM)] for item in items]
    text = torch.stack([encode_text(texts) for texts in captions])
    attributes = torch.tensor([item.as_indices() for item in items], dtype=torch.int64)
    name = next(name for name, value in BASES.items() if value == base)
    return CaptionedData(name, images, text, captions, attributes, f"generated from {sources.source} ({split})", base)


# -- captions:DIR --------------------------------------------------------------------------------------------------


def load_caption_folder(name: str, side: int) -> CaptionedData:
    """``captions:DIR``: DIR's images named by ``DIR/captions.jsonl`` lines ``{"file": ..., "text": ...}``,
    decoded as RGB at ``side`` pixels; an image with several lines keeps up to ``CAPTIONS_PER_ITEM`` captions."""
    from PIL import Image, UnidentifiedImageError

    folder = Path(name[len(PREFIX) :]).expanduser()
    listing = folder / CAPTIONS_FILE
    if not listing.is_file():
        raise GanforgeError(f"{name}: no {CAPTIONS_FILE} in {folder}",
                            'write one line per caption: {"file": "0001.png", "text": "a red shoe"}')  # fmt: skip
    texts: dict[str, list[str]] = {}
    try:
        lines = listing.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise GanforgeError(f"{listing} is not UTF-8 text ({error.reason})", "write it as UTF-8 JSON lines") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            file, text = str(entry["file"]), str(entry["text"])
        except (json.JSONDecodeError, KeyError, TypeError):
            raise GanforgeError(f"{listing} line {number} is not a JSON object with 'file' and 'text'",
                                'write e.g. {"file": "0001.png", "text": "a red shoe"}') from None  # fmt: skip
        texts.setdefault(file, []).append(check_text(text, None, f"{listing} line {number}"))
    if not texts:
        raise GanforgeError(f"{listing} holds no captions", 'add lines like {"file": "0001.png", "text": "a red shoe"}')
    images, captions = [], []
    for file, found in texts.items():
        path = folder / file
        try:
            with Image.open(path) as picture:
                rgb = picture.convert("RGB").resize((side, side), Image.BILINEAR)
        except (FileNotFoundError, UnidentifiedImageError, OSError):
            raise GanforgeError(f"{listing} names {file}, which is not a readable image in {folder}",
                                "fix the line or add the image") from None  # fmt: skip
        images.append(
            torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8).view(side, side, 3).permute(2, 0, 1)
        )
        captions.append([found[i % len(found)] for i in range(CAPTIONS_PER_ITEM)])
    text = torch.stack([encode_text(row) for row in captions])
    attributes = torch.full((len(images), len(ATTRIBUTES)), -1, dtype=torch.int64)
    return CaptionedData(name, torch.stack(images), text, captions, attributes, str(folder), None)
