"""TensorBoard event files beside metrics.jsonl (``--tensorboard``, ``train.tensorboard``).

    ganforge train --tensorboard --out runs/mine
    tensorboard --logdir runs                   # then open http://localhost:6006/

Every metrics record (losses, D's outputs, health signals, in-training evaluation) becomes scalars under the
same names, and every progress picture an image (``samples``), in ``RUN/tensorboard/``. metrics.jsonl stays
the source of truth: everything ganforge reads (doctor, report, compare, resume) reads it, never the events.
The ``tensorboard`` package is an optional extra: ``pip install 'ganforge[tensorboard]'``.
"""

from __future__ import annotations

import contextlib
import importlib.util
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ganforge.config import Config
from ganforge.errors import GanforgeError

FOLDER = "tensorboard"
NOT_SCALARS = ("step",)  # the x axis, not a curve


def check_available(cfg: Config) -> None:
    """Refuse ``train.tensorboard`` before any work when the tensorboard package is missing."""
    if cfg.train.tensorboard and not installed():
        raise GanforgeError(
            "--tensorboard needs the tensorboard package, which is not installed",
            "pip install 'ganforge[tensorboard]', or leave --tensorboard out (metrics.jsonl has every value)",
        )


def installed() -> bool:
    """Whether the tensorboard package can be imported."""
    return importlib.util.find_spec("tensorboard") is not None


class EventLog:
    """A TensorBoard writer for one run folder (rank 0 alone writes)."""

    def __init__(self, run_path: Path) -> None:
        from torch.utils.tensorboard import SummaryWriter  # imports tensorboard: only when asked for

        self.folder = Path(run_path) / FOLDER
        self.writer = SummaryWriter(log_dir=str(self.folder))

    def scalars(self, record: dict[str, Any]) -> None:
        """Every finite number of a metrics record, at the record's step."""
        step = int(record["step"])
        for name, value in record.items():
            if name in NOT_SCALARS or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(name, value, step)

    def picture(self, path: Path, step: int, tag: str = "samples") -> None:
        """A progress picture (the PNG the loop just saved), as an image at ``step``."""
        with Image.open(path) as picture:
            pixels = np.asarray(picture.convert("RGB"))  # (H, W, 3) uint8
        self.writer.add_image(tag, pixels, step, dataformats="HWC")

    def close(self) -> None:
        self.writer.close()


@contextlib.contextmanager
def event_log(run_path: Path, enabled: bool) -> Iterator[EventLog | None]:
    """An ``EventLog`` for the run when ``enabled`` (else None), flushed and closed however training ends."""
    if not enabled:
        yield None
        return
    log = EventLog(run_path)
    try:
        yield log
    finally:
        log.close()
