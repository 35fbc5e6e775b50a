"""Moving MNIST (Srivastava, Mansimov and Salakhutdinov 2015), generated here from MNIST digits with a seed.

The protocol of the standard benchmark: a 64 x 64 black canvas, two 28 x 28 digits, each starting at a
uniform random place with a uniform random heading, moving at a constant speed (a tenth of the free room,
3.6 px, per frame) and bouncing off the walls; where digits overlap the canvas takes the pixel-wise maximum;
20 frames, the first 10 given and the last 10 predicted. Training clips are drawn fresh for every batch
from the *training* digits, so no clip is seen twice; the test set is a fixed, seeded set made from the
*held-out* (test-split) digits, the same at every evaluation.

The published test file ``mnist_test_seq.npy`` (10,000 clips, shape (20, 10000, 64, 64), uint8) cannot be
downloaded offline; when a user has it in ``--data-dir`` (or names it as ``--dataset video:PATH.npy``), it is
read instead of the generated test set. Our generated test set is therefore not the published one, and
figures are comparable with the literature's only in kind.

``moving-mnist-small`` is the CPU-sized variant for tests and quick runs: a 32 x 32 canvas, one digit
shrunk to 14 px, 4 frames given and 4 predicted.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
from torch import Tensor

from ganforge.data.images import resize_images, to_unit_range
from ganforge.data.pairs import Pair
from ganforge.data.video_clips import read_published_array

log = logging.getLogger("ganforge")

PUBLISHED_TEST_FILE = "mnist_test_seq.npy"
TEST_SEED = 20150101  # the fixed test set's seed (any fixed number; the year of Srivastava et al.)
EXAMPLES_SEED = 7  # clips of the training split shown in pictures, the same every call
STEP = 0.1  # displacement per frame as a fraction of the free room (Srivastava et al.'s step_length)


@dataclass(frozen=True)
class Protocol:
    """One Moving MNIST setting: canvas side, digit side and count, frames given and predicted, test size."""

    size: int
    digit_size: int
    digits: int
    context: int
    horizon: int
    test_clips: int


PROTOCOLS: dict[str, Protocol] = {
    "moving-mnist": Protocol(size=64, digit_size=28, digits=2, context=10, horizon=10, test_clips=1000),
    "moving-mnist-small": Protocol(size=32, digit_size=14, digits=1, context=4, horizon=4, test_clips=512),
}


def bouncing_paths(n: int, frames: int, digits: int, room: int, generator: torch.Generator) -> Tensor:
    """Top-left corners (n, digits, frames, 2) as (row, column) integers in [0, room]: each digit starts at a
    uniform place with a uniform heading, moves STEP * room per frame and reflects off the walls."""
    position = torch.rand(n, digits, 2, generator=generator)  # (row, column) in [0, 1]
    theta = torch.rand(n, digits, generator=generator) * 2 * math.pi
    velocity = torch.stack([torch.sin(theta), torch.cos(theta)], dim=-1)  # unit speed, uniform heading
    corners = []
    for _ in range(frames):
        corners.append((position * room).floor().long())
        position = position + STEP * velocity
        below, above = position < 0, position > 1
        velocity = torch.where(below | above, -velocity, velocity)  # bounce: that component turns around
        position = torch.where(below, -position, torch.where(above, 2 - position, position))
    return torch.stack(corners, dim=2)


def make_clips(
    digit_images: Tensor, n: int, frames: int, size: int, digits: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``n`` clips of ``frames`` frames, (n, frames, 1, size, size) uint8, each showing ``digits`` digits drawn
    (uniformly, with replacement) from ``digit_images`` (M, 1, d, d) uint8; and the chosen digits' indices
    (n, digits). Overlapping digits meet in their pixel-wise maximum."""
    digit_side = int(digit_images.shape[-1])
    chosen = torch.randint(len(digit_images), (n, digits), generator=generator)
    corners = bouncing_paths(n, frames, digits, size - digit_side, generator).numpy()  # (n, digits, frames, 2)
    pixels = digit_images[:, 0].numpy()
    canvas = np.zeros((n, frames, size, size), dtype=np.uint8)
    for clip in range(n):  # numpy slices: a few microseconds each, far cheaper than index tensors of every pixel
        for d in range(digits):
            patch = pixels[int(chosen[clip, d])]
            for t in range(frames):
                top, left = corners[clip, d, t]
                window = canvas[clip, t, top : top + digit_side, left : left + digit_side]
                np.maximum(window, patch, out=window)
    canvas = torch.from_numpy(canvas)
    return canvas[:, :, None], chosen


def prepare_digits(images: Tensor, protocol: Protocol) -> Tensor:
    """MNIST digits (M, 1, 28, 28) uint8 at the protocol's digit size."""
    return resize_images(images, protocol.digit_size)


def test_clips(digit_images: Tensor, protocol: Protocol, n: int | None = None) -> Tensor:
    """The fixed, seeded test set: (n, context + horizon, 1, H, W) uint8 from held-out digits."""
    generator = torch.Generator().manual_seed(TEST_SEED)
    frames = protocol.context + protocol.horizon
    clips, _ = make_clips(digit_images, n or protocol.test_clips, frames, protocol.size, protocol.digits, generator)
    return clips


@dataclass
class VideoData:
    """Clips of a video dataset, and the windows a task draws from them.

    A batch is ``(target, Pair)`` like every task dataset's: ``Pair.source`` is the ``context`` frames stacked
    along channels (N, context * C, H, W) and ``Pair.target`` the next ``future`` frames (N, future * C, H, W).
    ``examples(n)`` gives the first n fixed clips with all ``horizon`` frames to predict as the target.
    Generated data (``digits`` set, ``clips`` None) draws fresh clips per batch; stored clips (``clips``
    (N, T, C, H, W) uint8) are windowed at a random start.
    """

    name: str
    source: str  # where the frames came from, for people
    context: int
    future: int
    horizon: int
    clips: Tensor | None = None  # (N, T, C, H, W) uint8: stored clips, or the fixed (test / example) set
    digits: Tensor | None = None  # (M, 1, d, d) uint8: training digits to generate clips from
    protocol: Protocol | None = None
    num_classes: int = 0
    kind: ClassVar[str] = "image"

    @property
    def shape(self) -> tuple[int, int, int]:
        """One frame's shape, (C, H, W)."""
        if self.clips is not None:
            return tuple(int(side) for side in self.clips.shape[2:])  # type: ignore[return-value]
        assert self.protocol is not None  # generated data always has its protocol
        return 1, self.protocol.size, self.protocol.size

    @property
    def device(self) -> torch.device:
        return (self.clips if self.clips is not None else self.digits).device  # type: ignore[union-attr]

    def __len__(self) -> int:
        """Stored clips: how many; generated: the digits they are drawn from (clips never repeat)."""
        return int(len(self.clips) if self.clips is not None else len(self.digits))  # type: ignore[arg-type]

    def batch(self, n: int, generator: torch.Generator) -> tuple[Tensor, Pair]:
        """``n`` training windows of context + future frames: (target frames, their ``Pair``), in [-1, 1]."""
        frames = self.context + self.future
        if self.clips is None:  # fresh Moving MNIST clips from the seeded data stream
            protocol = self.protocol
            seed = int(torch.randint(2**62, (1,), generator=generator, device=generator.device))  # one host sync
            cpu = torch.Generator().manual_seed(seed)  # clips are drawn on the CPU whatever the device
            clips, _ = make_clips(self.digits.cpu(), n, frames, protocol.size, protocol.digits, cpu)  # type: ignore
            clips = clips.to(self.device)
        else:
            index = torch.randint(len(self.clips), (n,), generator=generator, device=generator.device).to(self.device)
            spare = int(self.clips.shape[1]) - frames
            start = torch.randint(spare + 1, (n,), generator=generator, device=generator.device).to(self.device)
            window = start[:, None] + torch.arange(frames, device=self.device)  # (n, frames)
            clips = self.clips[index[:, None], window]
        pair = split_clip(to_unit_range(clips), self.context, self.future)
        return pair.target, pair

    def fixed_clips(self, n: int) -> Tensor:
        """The first ``n`` fixed clips, (n, context + horizon, C, H, W) uint8: stored ones, or (generated
        training data) clips seeded by EXAMPLES_SEED."""
        frames = self.context + self.horizon
        if self.clips is not None:
            return self.clips[:n, :frames]
        protocol = self.protocol
        generator = torch.Generator().manual_seed(EXAMPLES_SEED)
        clips, _ = make_clips(self.digits.cpu(), n, frames, protocol.size, protocol.digits, generator)  # type: ignore
        return clips.to(self.device)

    def examples(self, n: int) -> Pair:
        """The first ``n`` fixed clips: context frames as the source, all ``horizon`` frames as the target."""
        return split_clip(to_unit_range(self.fixed_clips(n)), self.context, self.horizon)

    def real(self, n: int | None = None) -> Tensor:
        """Single frames of the fixed clips, (N * T, C, H, W) in [-1, 1]."""
        clips = self.fixed_clips(n or 256)
        return to_unit_range(clips.flatten(0, 1))

    def first(self, n: int) -> VideoData:
        return dataclasses.replace(self, clips=None if self.clips is None else self.clips[:n])

    def to(self, device: torch.device | str) -> VideoData:
        return dataclasses.replace(
            self,
            clips=None if self.clips is None else self.clips.to(device),
            digits=None if self.digits is None else self.digits.to(device),
        )


def split_clip(clips: Tensor, context: int, future: int) -> Pair:
    """Clips (N, T, C, H, W) -> Pair(first ``context`` frames, next ``future``), frames stacked on channels."""
    given = clips[:, :context].flatten(1, 2)  # (N, context * C, H, W)
    ahead = clips[:, context : context + future].flatten(1, 2)  # (N, future * C, H, W)
    return Pair(given.contiguous(), ahead.contiguous())


def unstack(frames: Tensor, channels: int) -> Tensor:
    """(N, T * C, H, W) -> (N, T, C, H, W)."""
    return frames.view(frames.shape[0], -1, channels, *frames.shape[-2:])


def load_moving_mnist(
    name: str, digits: Tensor, split: str, context: int, future: int, horizon: int, published: Path | None
) -> VideoData:
    """Moving MNIST ``name`` (PROTOCOLS) from MNIST ``digits`` (M, 1, 28, 28) uint8 of ``split``: training
    clips drawn fresh per batch; the test split a fixed seeded set, or the published file when given."""
    protocol = PROTOCOLS[name]
    digits = prepare_digits(digits, protocol)
    if split == "train":
        return VideoData(name, f"generated per batch from {len(digits)} training digits", context, future, horizon,
                         digits=digits, protocol=protocol)  # fmt: skip
    if published is not None:
        from_file = read_published_array(published)
        log.info("moving-mnist: the test clips are %s's %d clips", published, len(from_file))
        return VideoData(name, str(published), context, future, horizon, clips=from_file, protocol=protocol)
    clips = test_clips(digits, protocol)
    made = f"{len(clips)} clips generated with seed {TEST_SEED} from {len(digits)} held-out digits"
    return VideoData(name, made, context, future, horizon, clips=clips, protocol=protocol)
