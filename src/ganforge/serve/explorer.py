"""The model side of the explorer: the run's generator, reloaded when training writes a newer checkpoint.

Every picture the page shows is G applied to latents the server rebuilds from a (seed, n) pair: sample
``index`` of the grid drawn with ``seed`` is row ``index`` of ``TrainedGAN.latents(n, seed)``. So the
page never sends latents, only small integers that are easy to validate, and every picture is reproducible.
"""

from __future__ import annotations

import base64
import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from torch import Tensor

from ganforge.errors import GanforgeError
from ganforge.run import RunDir, parse_meta
from ganforge.serve.directions import PCA_SAMPLES, PCA_SEED, Directions, principal_directions
from ganforge.trained import TrainedGAN, load, render
from ganforge.viz.grid import grid_image
from ganforge.viz.interpolate import lerp, slerp

RELOAD_CHECK_SECONDS = 1.0  # look for a newer checkpoint at most this often
DIRECTION_COUNT = 8  # principal directions offered as sliders


class NoModel(Exception):
    """The run has no usable checkpoint yet (training just started), so there is nothing to sample."""


@dataclass
class Controls:
    """What the page may set besides the seed: a class (conditional runs) and InfoGAN's codes.

    Read from config.yaml: ``model.condition`` other than none means labels 0 .. classes-1;
    ``model.info_categorical`` (categories of one categorical code) and ``model.info_continuous`` (codes in
    [-1, 1]) are InfoGAN's codes, the last columns of z. Runs from before those keys existed have neither.
    """

    classes: int | None = None
    categorical: int = 0
    continuous: int = 0
    class_names: list[str] | None = None  # the picker shows these where the dataset has names

    def as_json(self) -> dict[str, Any]:
        return {
            "classes": self.classes,
            "class_names": self.class_names,
            "categorical": self.categorical,
            "continuous": self.continuous,
        }


@dataclass
class Loaded:
    """One checkpoint's model, what the page may set for it, and its directions once computed."""

    trained: TrainedGAN
    key: tuple[str, int, int]  # (checkpoint name, mtime_ns, size): changes when training writes a new one
    controls: Controls
    directions: Directions | None = None


class Explorer:
    """Loads RUN's newest checkpoint on demand and draws pictures from it; safe to share between threads."""

    def __init__(self, run: RunDir, device: str = "cpu") -> None:
        self.run = run
        self.device = device
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None
        self._checked = 0.0

    @property
    def lock(self) -> threading.Lock:
        """Held while G runs: G is shared between requests, and sampling swaps G_ema into its place. Never hold it
        while calling ``model()``, which takes it too."""
        return self._lock

    # -- loading -------------------------------------------------------------------------------------

    def model(self) -> Loaded:
        """The loaded model, reloaded first if a newer checkpoint appeared; NoModel when there is none."""
        with self._lock:
            now = time.monotonic()
            if self._loaded is None or now - self._checked >= RELOAD_CHECK_SECONDS:
                self._checked = now
                key = self._checkpoint_key()
                if key is None and self._loaded is None:
                    raise NoModel(f"{self.run.path} has no checkpoint yet")
                if key is not None and (self._loaded is None or key != self._loaded.key):
                    self._loaded = self._load(key)
            return self._loaded

    def _checkpoint_key(self) -> tuple[str, int, int] | None:
        for path in self.run.checkpoints():
            try:
                stat = path.stat()
            except OSError:  # replaced between listing and stat: look again next time
                continue
            return (path.name, stat.st_mtime_ns, stat.st_size)
        return None

    def _load(self, key: tuple[str, int, int]) -> Loaded:
        try:
            trained = load(self.run.path, device=self.device)
        except GanforgeError as error:
            if self._loaded is not None:  # keep showing the previous model rather than failing
                return self._loaded
            raise NoModel(str(error)) from None
        return Loaded(trained, key, read_controls(trained))

    # -- latents and pictures ------------------------------------------------------------------------

    def latents(self, loaded: Loaded, n: int, seed: int) -> Tensor:
        """The grid's latents: ``TrainedGAN.latents(n, seed)``, (n, z) on the model's device."""
        return loaded.trained.latents(n, seed)

    def generate(
        self, loaded: Loaded, z: Tensor, label: int | None, category: int | None, codes: list[float] | None
    ) -> Tensor:
        """G(z) on the CPU with the page's class and InfoGAN codes applied; serialised, as G is shared."""
        z = apply_codes(z, loaded.trained.config.model.z_dim, loaded.controls, category, codes)
        labels = None
        if loaded.controls.classes:
            # With no class chosen, the samples go through the classes in turn, as in the progress grids.
            values = torch.arange(len(z)) % loaded.controls.classes if label is None else torch.full((len(z),), label)
            labels = values.to(z.device)
        with self._lock:
            return render(loaded.trained.gan, z, labels)

    def directions(self, loaded: Loaded) -> Directions:
        """The GANSpace directions of the loaded checkpoint, computed once per checkpoint."""
        if loaded.directions is None:
            z = loaded.trained.latents(PCA_SAMPLES, PCA_SEED)
            with self._lock:
                G = loaded.trained.gan.G
                loaded.directions = principal_directions(
                    lambda latents: render(loaded.trained.gan, latents, self._pca_labels(loaded, len(latents))),
                    G,
                    z,
                    DIRECTION_COUNT,
                )
        return loaded.directions

    @staticmethod
    def _pca_labels(loaded: Loaded, n: int) -> Tensor | None:
        if not loaded.controls.classes:
            return None
        return (torch.arange(n) % loaded.controls.classes).to(loaded.trained.device)

    @staticmethod
    def interpolate(z0: Tensor, z1: Tensor, steps: int, mode: str) -> Tensor:
        """``steps`` latents from z0 to z1 inclusive, (steps, z), along a line or a great circle."""
        t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device)
        return (slerp if mode == "slerp" else lerp)(z0, z1, t)


class ApiError(Exception):
    """A request the run cannot answer: HTTP ``status`` with one line saying what and how to fix it. The app
    answers it as {"error": message, "hint": hint} (app.py), whichever panel's route raised it."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


def parse_numbers(name: str, text: str, bound: float, most: int, counted: str = "available") -> list[float]:
    """Parse the query value ``name`` = 'a,b,c' into at most ``most`` finite floats within [-bound, bound];
    ``counted`` says what the ``most`` are, in the error for too many."""
    parts = [part.strip() for part in text.split(",")]
    if len(parts) > most:
        raise ApiError(422, f"{name} has {len(parts)} values, more than the {most} {counted}", f"give at most {most}")
    try:
        values = [float(part) for part in parts]
    except ValueError:
        raise ApiError(422, f"{name}={text!r} is not a comma-separated list of numbers", "e.g. 1.5,0,-2") from None
    for value in values:
        if not -bound <= value <= bound:  # also rejects NaN
            raise ApiError(422, f"{name} value {value} is outside [-{bound:g}, {bound:g}]", "move it within range")
    return values


def apply_codes(z: Tensor, z_dim: int, controls: Controls, category: int | None, codes: list[float] | None) -> Tensor:
    """Set InfoGAN's codes in z: the one-hot categorical code, then the continuous codes, after z_dim noise.

    Only when z really is laid out that way (z_dim + categorical + continuous columns); otherwise z is
    returned as drawn.
    """
    width = z_dim + controls.categorical + controls.continuous
    if (category is None and not codes) or z.shape[1] != width:
        return z
    z = z.clone()
    if category is not None and controls.categorical:
        block = z[:, z_dim : z_dim + controls.categorical]
        block.zero_()
        block[:, category] = 1.0
    if codes:
        start = z_dim + controls.categorical
        z[:, start : start + len(codes)] = torch.as_tensor(codes, dtype=z.dtype, device=z.device)
    return z


def read_controls(trained: TrainedGAN) -> Controls:
    """The class picker and code sliders a run offers, from its config and checkpoint."""
    model = trained.config.model
    condition = getattr(model, "condition", None)
    classes = None
    if condition not in (None, "none"):
        classes = getattr(trained, "num_classes", None) or _checkpoint_meta(trained).get("num_classes")
    classes = int(classes) if classes else None
    return Controls(
        classes=classes,
        categorical=int(getattr(model, "info_categorical", 0) or 0),
        continuous=int(getattr(model, "info_continuous", 0) or 0),
        class_names=class_names(trained.config.data.name, classes) if classes else None,
    )


def class_names(dataset: str, classes: int) -> list[str] | None:
    """The names of a labelled dataset's classes, where ganforge knows them without loading the data."""
    from ganforge.data.cifar import CLASS_NAMES as CIFAR10
    from ganforge.data.idx import FASHION_MNIST, MNIST

    names = {"mnist": MNIST.class_names, "fashion-mnist": FASHION_MNIST.class_names, "cifar10": CIFAR10}.get(dataset)
    return list(names) if names is not None and len(names) == classes else None


def _checkpoint_meta(trained: TrainedGAN) -> dict[str, Any]:
    try:
        path = RunDir(trained.path).latest_checkpoint()
        with safe_open(str(path), framework="pt") as handle:
            return parse_meta(path, (handle.metadata() or {}).get("meta", "{}"))
    except (GanforgeError, SafetensorError, OSError, ValueError):
        return {}


def png_bytes(images: Tensor, nrow: int | None = None) -> bytes:
    """A PNG of ``images`` (N, C, H, W) in [-1, 1] laid out as a grid."""
    buffer = io.BytesIO()
    grid_image(images, nrow).save(buffer, format="PNG")
    return buffer.getvalue()


def data_url(png: bytes) -> str:
    """A PNG as a data: URL, which an <img> shows and a link downloads without another request."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def image_urls(images: Tensor) -> list[str]:
    """One PNG data URL per image."""
    return [data_url(png_bytes(image[None])) for image in images]


def points_list(points: Tensor) -> list[list[float]]:
    """2-D points as JSON-able lists rounded to 4 decimals; NaN (a diverged G) becomes 0."""
    return torch.round(torch.nan_to_num(points.double(), nan=0.0), decimals=4).tolist()


def run_name(path: Path) -> str:
    return path.resolve().name
