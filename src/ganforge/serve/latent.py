"""The explorer's latent-space panels (docs/latent.md): sliders named by attribute, and projection of real images.

    GET  /api/latent/info                      what the panels offer this run, or why they cannot
    GET  /api/latent/directions                the attribute directions (fitted on first request, then cached)
    GET  /api/latent/edit?amounts=..&seed&n&index[&label]    grid sample ``index`` moved along the named directions
    GET  /api/latent/edit?amounts=..&projection=KEY          a projected image moved along them
    GET  /api/latent/tests?n=8                 the first n held-out test images of the run's dataset
    GET  /api/latent/project?test=K            test image K projected into the latent space
    POST /api/latent/upload  (body: a PNG)     an uploaded image projected into the latent space

The directions are ``ganforge.latent.find_direction``'s, fitted on a pool of ``POOL_SAMPLES`` measured samples,
and an edit is ``ganforge.latent.directions.edit_latents`` (the code ``ganforge edit`` runs: for an
unconditional run the walk bends to keep the classifier's class; a conditional run keeps its label). A
projection is ``ganforge.latent.project`` with fewer starts and steps than ``ganforge project`` (``STARTS``,
``STEPS``, ``CANDIDATES``), so that it answers while the user waits. Projected latents stay on the server under a
short key (``test-3``, ``upload-<hash>``): the page never sends a latent. Errors are one line, as elsewhere
in the explorer; ``static/latent.js`` draws the panels.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from fastapi import FastAPI, Query, Request
from PIL import Image, UnidentifiedImageError
from starlette.concurrency import run_in_threadpool
from torch import Tensor

from ganforge.data import load_dataset
from ganforge.data.folder import GREY_MODES, PREFIX
from ganforge.errors import GanforgeError
from ganforge.latent.attributes import UNITS, attribute_names, class_names, measure_images
from ganforge.latent.directions import Direction, edit_latents, find_direction
from ganforge.latent.pool import Pool, image_run_dataset
from ganforge.latent.project import CANDIDATES as CLI_CANDIDATES
from ganforge.latent.project import STARTS as CLI_STARTS
from ganforge.latent.project import STEPS as CLI_STEPS
from ganforge.latent.project import check_targets, project, psnr
from ganforge.serve.explorer import ApiError, Explorer, Loaded, NoModel, image_urls, parse_numbers
from ganforge.trained import TrainedGAN

POOL_SAMPLES = 1000  # measured samples the directions are fitted on (ganforge edit's --pool defaults to 2,000)
POOL_SEED = 0
MAX_AMOUNT = 5.0  # slider range, in standard deviations of the latents' projection on the direction
STARTS, STEPS, CANDIDATES = 4, 60, 128  # the explorer's projection; ganforge project's defaults are 8, 150, 256
MAX_TEST_IMAGES = 16
MAX_UPLOAD_BYTES = 2**20  # a PNG of the run's size is a few kB
KEPT_PROJECTIONS = 64  # projected latents the server remembers, newest first
KEY_PATTERN = r"^(test-[0-9]{1,2}|upload-[0-9a-f]{16})$"


@dataclass
class Fitted:
    """One checkpoint's pool of measured samples and its attribute directions (``skipped``: those that could not
    be fitted, with the reason)."""

    pool: Pool
    directions: dict[str, Direction]
    skipped: dict[str, str]
    seconds: float


@dataclass
class Projected:
    """A projected image: its target, its latent (1, z_dim) and G's image of it, for the checkpoint ``checkpoint``."""

    checkpoint: tuple[str, int, int]
    target: Tensor
    z: Tensor
    image: Tensor
    psnr: float
    seconds: float


# Fitted directions, per run folder and checkpoint, shared by every app of this process (a test starts several):
# the pool takes seconds to measure, and the same checkpoint always gives the same directions.
_FITTED: OrderedDict[tuple[str, tuple[str, int, int], int], Fitted] = OrderedDict()
_FITTED_LOCK = threading.Lock()
KEPT_FITS = 4


def add_latent_routes(app: FastAPI, explorer: Explorer) -> None:
    """Register the latent panels' endpoints (module doc) on ``app`` for the run ``explorer`` serves."""
    projections: OrderedDict[str, Projected] = OrderedDict()
    tests: dict[str, Tensor] = {}
    state_lock = threading.Lock()  # guards ``projections`` and ``tests``

    @app.get("/api/latent/info")
    def latent_info() -> dict[str, Any]:
        """What the panels offer this run: its attributes and projection settings, or the reason they cannot."""
        reply: dict[str, Any] = {
            "limits": {"amount": MAX_AMOUNT, "tests": MAX_TEST_IMAGES, "upload_bytes": MAX_UPLOAD_BYTES},
            "projection": {"starts": STARTS, "steps": STEPS, "candidates": CANDIDATES,
                           "defaults": {"starts": CLI_STARTS, "steps": CLI_STEPS, "candidates": CLI_CANDIDATES}},
        }  # fmt: skip
        try:
            loaded = explorer.model()
        except NoModel as error:
            message = f"no model yet ({error}); reload the page once training has written a checkpoint"
            return {**reply, "supported": False, "message": message, "attributes": []}
        trained = loaded.trained
        message = unsupported(trained)
        if message is not None:
            return {**reply, "supported": False, "message": message, "attributes": []}
        dataset = trained.config.data.name
        names = attribute_names(dataset)
        reply["projection"].update(
            supported=projection_refusal(trained) is None, message=projection_refusal(trained),
            shape=list(trained.data_shape), tests=has_test_split(dataset),
        )  # fmt: skip
        return {**reply, "supported": True, "message": None, "dataset": dataset, "attributes": list(names),
                "units": {name: UNITS[name] for name in names}, "conditional": bool(trained.num_classes),
                "step": trained.step}  # fmt: skip

    @app.get("/api/latent/directions")
    def latent_directions() -> dict[str, Any]:
        """The attribute directions of the loaded checkpoint: fitted on first request (seconds), then cached."""
        loaded = _model(explorer)
        fitted = fitted_directions(explorer, loaded)
        rows = []
        for name, direction in fitted.directions.items():
            values = fitted.pool.attribute(name)
            rows.append({"name": name, "unit": UNITS[name], "sigma": round(direction.sigma, 4),
                         "mean": round(float(values.mean()), 4), "std": round(float(values.std()), 4)})  # fmt: skip
        return {"attributes": rows, "skipped": fitted.skipped, "pool": len(fitted.pool),
                "seconds": round(fitted.seconds, 2), "step": loaded.trained.step}  # fmt: skip

    @app.get("/api/latent/edit")
    def latent_edit(
        amounts: str = Query("", max_length=200, description="comma-separated amounts, one per attribute in order"),
        seed: int = Query(0, ge=0, le=2**31 - 1, description="the grid's seed"),
        n: int = Query(16, ge=1, le=64, description="the grid's size"),
        index: int | None = Query(None, ge=0, description="the sample of the grid"),
        label: int | None = Query(None, ge=0, description="class, for conditional runs"),
        projection_key: str | None = Query(None, alias="projection", pattern=KEY_PATTERN,
                                           description="a key from /api/latent/project or /api/latent/upload"),
    ) -> dict[str, Any]:  # fmt: skip
        """The current latent (a grid sample, or a projection) moved along the named directions, and what is
        measured on its image."""
        loaded = _model(explorer)
        trained = loaded.trained
        _check_supported(trained)
        names = attribute_names(trained.config.data.name)
        shifts = parse_amounts(amounts, names)
        if projection_key is not None:
            with state_lock:
                found = projections.get(projection_key)
            if found is None or found.checkpoint != loaded.key:
                raise ApiError(
                    404,
                    f"projection={projection_key} is not known for this checkpoint",
                    "project the image again (the server restarted, or training wrote a newer one)",
                )
            z, labels, source = found.z, None, "projection"
        else:
            if index is None:
                raise ApiError(422, "give index (a sample of the grid) or projection (a projected image)",
                                 "e.g. index=0&seed=0&n=16")  # fmt: skip
            if index >= n:
                raise ApiError(422, f"index={index} is not a sample of a grid of {n}", f"give 0 to {n - 1}")
            z = trained.latents(n, seed)[index : index + 1].cpu()
            labels, source = _label(trained, label, index), "grid"
        if any(shifts.values()):
            fitted = fitted_directions(explorer, loaded)
            for name, amount in shifts.items():
                if amount and name in fitted.directions:
                    with explorer.lock:
                        z = edit_latents(trained, fitted.pool, z, fitted.directions[name], amount, keep_class=True)
        with explorer.lock:
            image = trained.generate(z, labels=labels)
        return {"source": source, "amounts": shifts, "image": image_urls(image)[0], "step": trained.step,
                **describe(image, trained.config.data.name)}  # fmt: skip

    @app.get("/api/latent/tests")
    def latent_tests(n: int = Query(8, ge=1, le=MAX_TEST_IMAGES, description="test images")) -> dict[str, Any]:
        """The first ``n`` held-out test images of the run's dataset, as PNG data URLs."""
        trained = _model(explorer).trained
        _check_supported(trained)
        images = _test_images(trained, tests, state_lock)
        return {"dataset": trained.config.data.name, "split": "test", "images": image_urls(images[:n])}

    @app.get("/api/latent/project")
    def latent_project(test: int = Query(..., ge=0, lt=MAX_TEST_IMAGES, description="test image")) -> dict[str, Any]:
        """Test image ``test`` projected into the latent space (cached per checkpoint)."""
        loaded = _model(explorer)
        _check_projectable(loaded.trained)
        key = f"test-{test}"
        with state_lock:
            found = projections.get(key)
        if found is None or found.checkpoint != loaded.key:
            target = _test_images(loaded.trained, tests, state_lock)[test : test + 1]
            found = _project(explorer, loaded, target)
            _remember(projections, state_lock, key, found)
        return _projection_reply(key, found, loaded)

    @app.post("/api/latent/upload")
    async def latent_upload(request: Request) -> dict[str, Any]:
        """A PNG in the request body, of the run's size and channels, projected into the latent space."""
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_UPLOAD_BYTES:
            raise ApiError(413, f"the upload is {int(declared):,} bytes, over the {MAX_UPLOAD_BYTES:,} read",
                             "upload a PNG of the run's size (a few kB)")  # fmt: skip
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_UPLOAD_BYTES:
                raise ApiError(413, f"the upload is over the {MAX_UPLOAD_BYTES:,} bytes read",
                                 "upload a PNG of the run's size (a few kB)")  # fmt: skip
        return await run_in_threadpool(project_upload, bytes(body))

    def project_upload(body: bytes) -> dict[str, Any]:
        loaded = _model(explorer)
        _check_projectable(loaded.trained)
        target = read_png(body, tuple(loaded.trained.data_shape))
        key = "upload-" + hashlib.sha256(target.numpy().tobytes()).hexdigest()[:16]
        with state_lock:
            found = projections.get(key)
        if found is None or found.checkpoint != loaded.key:
            found = _project(explorer, loaded, target)
            _remember(projections, state_lock, key, found)
        return _projection_reply(key, found, loaded)


# -- what a run supports -------------------------------------------------------------------------------------


def unsupported(trained: TrainedGAN) -> str | None:
    """Why the latent panels cannot work on this run (one line), or None when they can."""
    try:
        trained.latents(1)  # an image-to-image, video or text run has no latent space to sample
        image_run_dataset(trained)  # a run of 2-D points
    except GanforgeError as error:
        return f"The attribute and projection panels need a run that generates images from noise: {error}"
    return None


def projection_refusal(trained: TrainedGAN) -> str | None:
    """Why images cannot be projected into this run (one line; a conditional run, for one), or None."""
    try:
        check_targets(trained, torch.zeros(1, *trained.data_shape), "projection")
    except GanforgeError as error:
        return str(error)
    return None


def has_test_split(dataset: str) -> bool:
    """Whether ``dataset`` has a held-out test split (a folder of images has none)."""
    return not dataset.startswith(PREFIX)


def _check_supported(trained: TrainedGAN) -> None:
    message = unsupported(trained)
    if message is not None:
        raise ApiError(400, message, "serve a run trained on images, e.g. 'ganforge train --dataset mnist'")


def _check_projectable(trained: TrainedGAN) -> None:
    _check_supported(trained)
    try:
        check_targets(trained, torch.zeros(1, *trained.data_shape), "projection")
    except GanforgeError as error:
        raise ApiError(400, error.message, error.hint or "") from None


def _model(explorer: Explorer) -> Loaded:
    try:
        return explorer.model()
    except NoModel as error:
        raise ApiError(503, f"no model yet: {error}", "wait for training's first checkpoint") from None


def _label(trained: TrainedGAN, label: int | None, index: int) -> Tensor | None:
    """The class sample ``index`` of the grid is drawn with: the one asked, else the grid's each-in-turn."""
    classes = trained.num_classes
    if not classes:
        if label is not None:
            raise ApiError(400, f"label={label} given, but this run is not conditional", "leave label out")
        return None
    if label is not None and label >= classes:
        raise ApiError(422, f"label={label} is not a class of this run", f"give 0 to {classes - 1}")
    return torch.tensor([index % classes if label is None else label])


def parse_amounts(text: str, names: tuple[str, ...]) -> dict[str, float]:
    """'a,b,c' -> {attribute: amount} in the order of ``names``; missing values are 0."""
    counted = f"attributes of this run ({', '.join(names)})"
    values = parse_numbers("amounts", text, MAX_AMOUNT, len(names), counted) if text.strip() else []
    return {name: values[k] if k < len(values) else 0.0 for k, name in enumerate(names)}


def describe(image: Tensor, dataset: str) -> dict[str, Any]:
    """What is measured on one image (1, C, H, W): each attribute, and the classifier's class where there is one."""
    measured = measure_images(image, dataset)
    values = {name: round(float(value[0]), 4) for name, value in measured.values.items()}
    read = None
    if measured.classes is not None:
        names = class_names(dataset) or []
        index = int(measured.classes[0])
        read = {"class": names[index] if index < len(names) else str(index),
                "confidence": round(float(measured.confidence[0]), 3)}  # fmt: skip
    return {"measured": values, "classifier": read}


# -- directions ------------------------------------------------------------------------------------------------


def fitted_directions(explorer: Explorer, loaded: Loaded) -> Fitted:
    """The attribute directions of ``loaded``'s checkpoint, fitted once per run folder and checkpoint."""
    key = (str(explorer.run.path.resolve()), loaded.key, POOL_SAMPLES)
    with _FITTED_LOCK:  # held while fitting: a second request waits for the first one's result
        if key not in _FITTED:
            _FITTED[key] = fit(explorer, loaded.trained)
            while len(_FITTED) > KEPT_FITS:
                _FITTED.popitem(last=False)
        _FITTED.move_to_end(key)
        return _FITTED[key]


def fit(explorer: Explorer, trained: TrainedGAN) -> Fitted:
    """A pool of ``POOL_SAMPLES`` samples (``make_pool``'s, with G held only while it generates) and a direction
    per attribute from ``find_direction``."""
    began = time.perf_counter()
    dataset = image_run_dataset(trained)
    z = trained.latents(POOL_SAMPLES, POOL_SEED).cpu()
    labels = torch.arange(POOL_SAMPLES) % trained.num_classes if trained.num_classes else None
    with explorer.lock:
        images = trained.generate(z, labels=labels)
    pool = Pool(z, images, labels, measure_images(images, dataset), dataset)
    directions, skipped = {}, {}
    for name in attribute_names(dataset):
        try:
            directions[name] = find_direction(pool, name)
        except GanforgeError as error:  # an attribute that does not vary over this G's samples
            skipped[name] = error.message
    return Fitted(pool, directions, skipped, time.perf_counter() - began)


# -- projection ------------------------------------------------------------------------------------------------


def _test_images(trained: TrainedGAN, cache: dict[str, Tensor], lock: threading.Lock) -> Tensor:
    """The first ``MAX_TEST_IMAGES`` images of the test split of the run's dataset, at the run's size."""
    data_config = trained.config.data
    if not has_test_split(data_config.name):
        raise ApiError(400, f"{data_config.name} is a folder of images, with no held-out test split",
                         "upload a PNG instead")  # fmt: skip
    with lock:
        if "test" not in cache:
            test = load_dataset(dataclasses.replace(data_config, split="test", limit=None))
            cache["test"] = test.real(MAX_TEST_IMAGES).cpu()
        return cache["test"]


def _project(explorer: Explorer, loaded: Loaded, target: Tensor) -> Projected:
    began = time.perf_counter()
    with explorer.lock:
        result = project(loaded.trained, target, STARTS, STEPS, CANDIDATES, seed=0)
    seconds = time.perf_counter() - began
    quality = float(psnr(result.images, target)[0])
    return Projected(loaded.key, target, result.z, result.images, quality, seconds)


def _remember(projections: OrderedDict[str, Projected], lock: threading.Lock, key: str, found: Projected) -> None:
    with lock:
        projections[key] = found
        projections.move_to_end(key)
        while len(projections) > KEPT_PROJECTIONS:
            projections.popitem(last=False)


def _projection_reply(key: str, found: Projected, loaded: Loaded) -> dict[str, Any]:
    return {"key": key, "target": image_urls(found.target)[0], "image": image_urls(found.image)[0],
            "psnr": round(found.psnr, 2), "seconds": round(found.seconds, 2), "starts": STARTS, "steps": STEPS,
            "step": loaded.trained.step}  # fmt: skip


def read_png(body: bytes, shape: tuple[int, ...]) -> Tensor:
    """An uploaded PNG as (1, C, H, W) in [-1, 1], or a one-line error: not a PNG, or not the run's size and
    channels (the size read from the header, before any pixel is decoded)."""
    channels, height, width = shape
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            picture = Image.open(io.BytesIO(body))
        with picture:
            if picture.format != "PNG":
                raise ApiError(400, f"the upload is a {picture.format} image, not a PNG", "upload a PNG file")
            if picture.size != (width, height):
                got = f"{picture.size[0]} x {picture.size[1]}"
                raise ApiError(400, f"the upload is {got} pixels, but this run's G makes {width} x {height}",
                                 f"resize it to {width} x {height} pixels")  # fmt: skip
            picture.load()
            grey = picture.mode in GREY_MODES
            array = np.asarray(picture.convert("L" if grey else "RGB"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ApiError(400, f"the upload ({len(body):,} bytes) is not a readable PNG image",
                         "upload a PNG file") from None  # fmt: skip
    array = array[:, :, None] if grey else array  # (H, W, C)
    if array.shape[2] != channels:
        kinds = {1: "grey", 3: "colour"}
        raise ApiError(400, f"the upload is a {kinds[array.shape[2]]} image with {array.shape[2]} channels, but "
                              f"this run's G makes {kinds.get(channels, channels)} images with {channels}",
                         f"convert it to {kinds.get(channels, channels)}")  # fmt: skip
    return torch.from_numpy(array.copy()).float().div(127.5).sub(1).permute(2, 0, 1)[None].contiguous()
