"""The explorer's web app: one HTML page (static/, shipped in the package) and a small JSON API.

Every request parameter is validated before any work (FastAPI checks types and bounds; this module
checks what depends on the run), and a bad one gets a 4xx reply with one line naming it. Only files of
the run folder are served, by names built from integers (see watch.py); the page makes no request to
anything but this server. docs/serve.md lists the endpoints and their limits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from ganforge.data import DATASETS
from ganforge.errors import GanforgeError
from ganforge.run import OutsideRun, RunDir
from ganforge.serve import watch
from ganforge.serve.explorer import (
    DIRECTION_COUNT,
    ApiError,
    Explorer,
    Loaded,
    NoModel,
    image_urls,
    parse_numbers,
    png_bytes,
    points_list,
    run_name,
)
from ganforge.serve.latent import add_latent_routes
from ganforge.serve.text import add_text_routes
from ganforge.serve.video import add_video_routes

STATIC = Path(__file__).parent / "static"
MAX_SEED = 2**31 - 1
MAX_IMAGES = 64  # images per grid
MAX_POINTS = 5000  # 2-D samples per cloud
MAX_FRAMES = 32  # pictures per interpolation
MAX_ALPHA = 5.0  # slider range along a direction, in standard deviations
MAX_CODE = 2.0  # InfoGAN continuous codes: the paper's sweeps go to +-2, beyond the [-1, 1] of training
MAX_STEP = 10**9
MAX_FRAME_BYTES = 64 * 2**20  # a progress picture or game frame is far smaller

Seed = Query(0, ge=0, le=MAX_SEED, description="latent seed")
Count = Query(16, ge=1, le=MAX_POINTS, description="samples in the grid (images: at most 64)")
Label = Query(None, ge=0, description="class, for conditional runs")
Category = Query(None, ge=0, description="InfoGAN categorical code")
Codes = Query(None, max_length=200, description="InfoGAN continuous codes, comma-separated, each in [-2, 2]")


def create_app(run: str | Path, device: str = "cpu", allowed_hosts: list[str] | None = None) -> FastAPI:
    """The explorer app for the run folder ``run`` (which must exist and hold a config.yaml).

    With ``allowed_hosts``, a request whose Host header names another host is refused (400): a web page
    elsewhere cannot then reach this server through DNS rebinding, a name of its own pointed at 127.0.0.1.
    """
    folder = RunDir.open(run)
    cfg = folder.read_config()
    kind = DATASETS[cfg.data.name].kind if cfg.data.name in DATASETS else "image"
    explorer = Explorer(folder, device)
    app = FastAPI(title="ganforge serve", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.explorer = explorer
    _add_error_handlers(app)
    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    add_text_routes(app, explorer)  # text2image runs: the text box (serve/text.py, static/text.js)

    add_video_routes(app, explorer, cfg)  # the video panel (serve/video.py, static/video.js)
    add_latent_routes(app, explorer)  # attribute sliders and projection (serve/latent.py, static/latent.js)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/api/info")
    def info() -> dict[str, Any]:
        """The run: what it trains, and what the page may ask of it."""
        loaded = _maybe_model(explorer)
        return {
            "run": run_name(folder.path),
            "dataset": cfg.data.name,
            "model": cfg.model.name,
            "loss": cfg.train.loss,
            "kind": kind,
            "z_dim": cfg.model.z_dim,
            "prior": cfg.model.prior,
            "steps": cfg.train.steps,
            "checkpoint_step": loaded.trained.step if loaded else None,
            "data_shape": list(loaded.trained.data_shape) if loaded else None,
            "controls": loaded.controls.as_json() if loaded else None,
            "limits": {
                "seed": MAX_SEED,
                "images": MAX_IMAGES,
                "points": MAX_POINTS,
                "frames": MAX_FRAMES,
                "alpha": MAX_ALPHA,
                "code": MAX_CODE,
                "directions": DIRECTION_COUNT,
            },
        }

    @app.get("/api/samples")
    def samples(
        seed: int = Seed, n: int = Count, label: int | None = Label, category: int | None = Category,
        codes: str | None = Codes,
    ) -> dict[str, Any]:  # fmt: skip
        """n samples drawn with ``seed``: PNG data URLs for image runs, points for 2-D runs."""
        loaded = _model(explorer)
        _check_count(kind, n)
        z = explorer.latents(loaded, n, seed)
        x = explorer.generate(loaded, z, *_conditions(loaded, label, category, codes))
        reply: dict[str, Any] = {"seed": seed, "n": n, "step": loaded.trained.step}
        if kind == "points":
            return {**reply, "points": points_list(x)}
        return {**reply, "images": image_urls(x)}

    @app.get("/api/grid.png")
    def grid_png(
        seed: int = Seed, n: int = Count, label: int | None = Label, category: int | None = Category,
        codes: str | None = Codes,
    ) -> Response:  # fmt: skip
        """The same samples as one PNG grid, as a download."""
        loaded = _model(explorer)
        _images_only(kind, "a PNG grid")
        _check_count(kind, n)
        x = explorer.generate(loaded, explorer.latents(loaded, n, seed), *_conditions(loaded, label, category, codes))
        name = f"{run_name(folder.path)}-step{loaded.trained.step}-seed{seed}.png"
        return Response(png_bytes(x), media_type="image/png",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    @app.get("/api/interpolate")
    def interpolate(
        seed: int = Seed, n: int = Count,
        a: int = Query(..., ge=0, description="index of the first sample in the grid"),
        b: int = Query(..., ge=0, description="index of the second sample in the grid"),
        steps: int = Query(8, ge=2, le=MAX_FRAMES, description="pictures from a to b inclusive"),
        mode: Literal["lerp", "slerp"] = Query("slerp", description="linear or spherical (White 2016)"),
        label: int | None = Label, category: int | None = Category, codes: str | None = Codes,
    ) -> dict[str, Any]:  # fmt: skip
        """The walk from sample a to sample b of the grid (seed, n): ``steps`` pictures."""
        loaded = _model(explorer)
        _images_only(kind, "interpolation")
        _check_count(kind, n)
        _check_index("a", a, n)
        _check_index("b", b, n)
        z = explorer.latents(loaded, n, seed)
        path = explorer.interpolate(z[a], z[b], steps, mode)
        x = explorer.generate(loaded, path, *_conditions(loaded, label, category, codes))
        return {"mode": mode, "steps": steps, "images": image_urls(x)}

    @app.get("/api/directions")
    def directions() -> dict[str, Any]:
        """The principal directions of G's latent space (GANSpace): how many, and the variance each explains."""
        loaded = _model(explorer)
        found = explorer.directions(loaded)
        return {"count": len(found.explained), "explained": found.explained, "step": loaded.trained.step}

    @app.get("/api/edit")
    def edit(
        seed: int = Seed, n: int = Count,
        index: int = Query(..., ge=0, description="index of the sample in the grid"),
        alphas: str = Query(..., max_length=200, description="comma-separated shifts along the directions"),
        label: int | None = Label, category: int | None = Category, codes: str | None = Codes,
    ) -> dict[str, Any]:  # fmt: skip
        """Sample ``index`` of the grid moved along the principal directions by ``alphas`` standard deviations."""
        loaded = _model(explorer)
        _images_only(kind, "direction sliders")
        _check_count(kind, n)
        _check_index("index", index, n)
        found = explorer.directions(loaded)
        shifts = parse_numbers("alphas", alphas, MAX_ALPHA, len(found.explained))
        z = found.apply(explorer.latents(loaded, n, seed)[index : index + 1], shifts)
        label, category, values = _conditions(loaded, label, category, codes)
        if label is None and loaded.controls.classes:  # the class this sample has in the grid (classes in turn)
            label = index % loaded.controls.classes
        x = explorer.generate(loaded, z, label, category, values)
        return {"alphas": shifts, "image": image_urls(x)[0]}

    @app.get("/api/status")
    def status() -> dict[str, Any]:
        """Training progress: step, rate, time, the newest frames, and whether training looks live."""
        return watch.status(folder, cfg.train.steps)

    @app.get("/api/metrics")
    def metrics(since: int = Query(-1, ge=-1, le=MAX_STEP, description="only records after this step")) -> Any:
        """Metric records (losses, D(x), rate, ...) after step ``since``, at most 5,000 per reply."""
        return {"records": watch.numeric_records(folder, since)}

    @app.get("/api/frames")
    def frames() -> dict[str, Any]:
        """The steps that have a sample picture, and those that have a 2-D game frame."""
        return {"samples": watch.frame_steps(folder, "png"), "game": watch.frame_steps(folder, "json")}

    @app.get("/api/frames/{step}")
    def sample_frame(step: int = PathParam(..., ge=0, le=MAX_STEP)) -> Response:
        """The progress picture of ``step`` (samples/step_XXXXXX.png of the run)."""
        return Response(_frame(folder, step, "png"), media_type="image/png")

    @app.get("/api/game/{step}")
    def game_frame(step: int = PathParam(..., ge=0, le=MAX_STEP)) -> Response:
        """The 2-D game frame of ``step``: real points, generated points and D's output over the plane."""
        return Response(_frame(folder, step, "json"), media_type="application/json")

    return app


# -- checks ------------------------------------------------------------------------------------------


def _model(explorer: Explorer) -> Loaded:
    try:
        return explorer.model()
    except NoModel as error:
        raise ApiError(503, f"no model to sample yet: {error}", "wait for training's first checkpoint") from None


def _maybe_model(explorer: Explorer) -> Loaded | None:
    try:
        return explorer.model()
    except NoModel:
        return None


def _check_count(kind: str, n: int) -> None:
    if kind == "image" and n > MAX_IMAGES:
        raise ApiError(422, f"n={n} images is more than the limit of {MAX_IMAGES}", f"ask for 1 to {MAX_IMAGES}")


def _check_index(name: str, value: int, n: int) -> None:
    if value >= n:
        raise ApiError(422, f"{name}={value} is not a sample of a grid of {n}", f"give {name} from 0 to {n - 1}")


def _images_only(kind: str, what: str) -> None:
    if kind != "image":
        raise ApiError(400, f"{what} is for image runs; this run generates 2-D points", "use /api/samples")


def _conditions(
    loaded: Loaded, label: int | None, category: int | None, codes: str | None
) -> tuple[int | None, int | None, list[float] | None]:
    """Check the class and InfoGAN codes against what the run has: (label, category, codes)."""
    controls = loaded.controls
    if label is not None:
        if not controls.classes:
            raise ApiError(400, f"label={label} given, but this run is not conditional", "leave label out")
        if label >= controls.classes:
            raise ApiError(422, f"label={label} is not a class of this run", f"give 0 to {controls.classes - 1}")
    if category is not None:
        if not controls.categorical:
            raise ApiError(400, f"category={category} given, but this run has no categorical code", "leave it out")
        if category >= controls.categorical:
            raise ApiError(422, f"category={category} is out of range", f"give 0 to {controls.categorical - 1}")
    values = None
    if codes:
        if not controls.continuous:
            raise ApiError(400, "codes given, but this run has no continuous InfoGAN codes", "leave codes out")
        values = parse_numbers("codes", codes, MAX_CODE, controls.continuous)
    return label, category, values


def _frame(folder: RunDir, step: int, suffix: str) -> bytes:
    """The bytes of a frame file, read through ``RunDir.read_bytes``: a link leading out of the run folder is
    refused (403), whatever address the server listens on."""
    path = watch.frame_file(folder, step, suffix)
    what = "sample picture" if suffix == "png" else "2-D game frame"
    missing = ApiError(404, f"the run has no {what} at step {step}", "see /api/frames for the steps there are")
    if path is None:
        raise missing
    try:
        return folder.read_bytes(path, MAX_FRAME_BYTES)
    except OutsideRun as error:
        raise ApiError(403, f"the {what} of step {step} is not a file of the run: {error.message}",
                       "replace the link with the file itself") from None  # fmt: skip
    except OSError:  # replaced or removed between the check and the read, or unreadable
        raise missing from None


def _add_error_handlers(app: FastAPI) -> None:
    """Every error reply is {"error": one line, "hint": how to fix it}, with a 4xx or 503 status."""

    @app.exception_handler(ApiError)
    def api_error(request: Request, error: ApiError) -> JSONResponse:
        return JSONResponse({"error": error.message, "hint": error.hint}, status_code=error.status)

    @app.exception_handler(GanforgeError)
    def ganforge_error(request: Request, error: GanforgeError) -> JSONResponse:
        return JSONResponse({"error": error.message, "hint": error.hint or ""}, status_code=400)

    @app.exception_handler(HTTPException)
    def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"error": f"{request.url.path}: {error.detail}", "hint": "see docs/serve.md"},
                            status_code=error.status_code, headers=error.headers)  # fmt: skip

    @app.exception_handler(RequestValidationError)
    def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())[1:]) or "request"
        value = first.get("input")
        shown = f"={value!r}" if value is not None and not isinstance(value, dict) else ""
        message = f"{where}{shown}: {first.get('msg', 'invalid')}"
        return JSONResponse({"error": message, "hint": "see docs/serve.md for every parameter's range"}, 422)
