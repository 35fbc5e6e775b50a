"""The explorer's latent panels (serve/latent.py, static/latent.js): sliders named by attribute and projection.

Through FastAPI's test client and in a real browser, on the session's 600-step MNIST run (tests/serve/conftest.py).
That run's G makes noisy blobs whose slant, area and height vary with z, while their stroke thickness hardly
does (a standard deviation of 0.03 px over samples), so the behaviour is checked on slant: every picture is
decoded from the PNG the page shows and measured here, independently of what the server reports. The pool and
the projection are made small (``SMALL``) so that all of this file stays within seconds.
"""

import base64
import io
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ganforge.latent.attributes import DIGIT_ATTRIBUTES, measure_images

NEEDS = "needs the serve extra: pip install -e '.[serve]'"
TestClient = pytest.importorskip("fastapi.testclient", reason=NEEDS).TestClient
serve_app = pytest.importorskip("ganforge.serve.app")
serve_latent = pytest.importorskip("ganforge.serve.latent")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SMALL = {"POOL_SAMPLES": 500, "STARTS": 2, "STEPS": 10, "CANDIDATES": 32}
SLANT = DIGIT_ATTRIBUTES.index("slant")
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
UPDATE_DOCS = os.environ.get("GANFORGE_SCREENSHOTS") == "1"  # as in test_browser.py: write docs/images/serve-latent.png


@pytest.fixture(scope="module", autouse=True)
def small_settings():
    if UPDATE_DOCS:  # the picture for docs/latent.md shows the explorer's own settings
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SMALL.items():
            patch.setattr(serve_latent, name, value)
        yield


@pytest.fixture(scope="module")
def api(image_run):
    return TestClient(serve_app.create_app(image_run))


def decoded(url: str) -> torch.Tensor:
    """The image (1, 1, 28, 28) in [-1, 1] that a PNG data URL of the explorer shows (56 px plus a 2 px border)."""
    assert url.startswith("data:image/png;base64,")
    with Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))) as picture:
        pixels = np.asarray(picture.convert("L"), dtype=np.float32)[2:-2:2, 2:-2:2]
    return torch.from_numpy(pixels / 127.5 - 1)[None, None]


def slant(url: str) -> float:
    return float(measure_images(decoded(url), "mnist", with_classes=False).values["slant"][0])


def amounts(value: float, at: int = SLANT) -> str:
    values = ["0"] * len(DIGIT_ATTRIBUTES)
    values[at] = str(value)
    return ",".join(values)


def png(array: np.ndarray, mode: str, kind: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode=mode).save(buffer, format=kind)
    return buffer.getvalue()


def check_one_line(response, status, *words):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "hint"} and "\n" not in body["error"] and "Traceback" not in response.text
    for word in words:
        assert word in f"{body['error']}; {body['hint']}", body


# -- the API -----------------------------------------------------------------------------------------------------


def test_info_names_the_attributes_measured_on_the_runs_images(api):
    info = api.get("/api/latent/info").json()
    assert info["supported"] and info["message"] is None
    assert info["attributes"] == list(DIGIT_ATTRIBUTES)
    assert info["units"]["thickness"] == "px"
    assert info["projection"]["supported"] and info["projection"]["tests"]
    assert info["projection"]["steps"] == serve_latent.STEPS < info["projection"]["defaults"]["steps"]


def test_a_slider_at_zero_shows_the_grid_sample_and_slant_moves_it_both_ways(api):
    grid = api.get("/api/samples", params={"seed": 0, "n": 16}).json()["images"]
    directions = api.get("/api/latent/directions").json()
    assert [row["name"] for row in directions["attributes"]] == list(DIGIT_ATTRIBUTES)
    assert directions["pool"] == serve_latent.POOL_SAMPLES
    spread = next(row["std"] for row in directions["attributes"] if row["name"] == "slant")
    up, down = [], []
    for index in range(6):
        shown = {}
        for amount in (-3, 0, 3):
            params = {"seed": 0, "n": 16, "index": index, "amounts": amounts(amount)}
            shown[amount] = api.get("/api/latent/edit", params=params).json()["image"]
        assert shown[0] == grid[index]  # no edit: exactly the sample of the grid
        up.append(slant(shown[3]) - slant(shown[0]))
        down.append(slant(shown[-3]) - slant(shown[0]))
    # Measured on the decoded pictures: +3 sd leans every one of the six further right, by 0.5 to 3 sd of
    # slant over the pool; -3 sd leans five of six further left.
    assert sum(shift > 0 for shift in up) >= 5 and np.mean(up) > 0.5 * spread, (up, spread)
    assert sum(shift < 0 for shift in down) >= 4 and np.mean(down) < 0, (down, spread)


def test_the_edit_reports_what_is_measured_on_the_image_it_shows(api):
    reply = api.get("/api/latent/edit", params={"index": 2, "amounts": amounts(2)}).json()
    assert reply["source"] == "grid" and reply["amounts"]["slant"] == 2
    assert set(reply["measured"]) == set(DIGIT_ATTRIBUTES)
    assert reply["measured"]["slant"] == pytest.approx(slant(reply["image"]), abs=0.02)
    assert reply["classifier"]["class"] in [str(digit) for digit in range(10)]


@pytest.mark.parametrize(("params", "status", "words"), [
    ({"index": 0, "amounts": "1,2,3,4,5,6"}, 422, ["6 values", "5 attributes", "thickness"]),
    ({"index": 0, "amounts": "9"}, 422, ["outside [-5, 5]"]),
    ({"index": 0, "amounts": "nan"}, 422, ["outside"]),
    ({"index": 0, "amounts": "thick"}, 422, ["not a comma-separated list"]),
    ({"amounts": "1"}, 422, ["give index"]),
    ({"index": 16, "n": 16, "amounts": "1"}, 422, ["index=16"]),
    ({"index": 0, "label": 1}, 400, ["not conditional"]),
    ({"projection": "test-3"}, 404, ["projection=test-3", "project the image again"]),
    ({"projection": "../etc"}, 422, ["projection"]),
])  # fmt: skip
def test_bad_edit_requests_are_one_line_errors(api, params, status, words):
    check_one_line(api.get("/api/latent/edit", params=params), status, *words)


def test_a_test_image_projects_closer_than_any_grid_sample_and_its_latent_is_then_edited(api):
    tests = api.get("/api/latent/tests", params={"n": 8}).json()
    assert tests["split"] == "test" and len(tests["images"]) == 8
    reply = api.get("/api/latent/project", params={"test": 1}).json()
    assert reply["key"] == "test-1" and reply["target"] == tests["images"][1]
    target = decoded(reply["target"])

    def psnr(url):
        return float(10 * torch.log10(4 / (decoded(url) - target).pow(2).mean()))

    grid = api.get("/api/samples", params={"seed": 0, "n": 16}).json()["images"]
    best_sample = max(psnr(url) for url in grid)
    assert psnr(reply["image"]) > best_sample, (psnr(reply["image"]), best_sample)
    assert reply["psnr"] == pytest.approx(psnr(reply["image"]), abs=0.3)
    as_projected = api.get("/api/latent/edit", params={"projection": "test-1", "amounts": ""}).json()
    assert as_projected["source"] == "projection" and as_projected["image"] == reply["image"]
    leaned = api.get("/api/latent/edit", params={"projection": "test-1", "amounts": amounts(3)}).json()
    assert slant(leaned["image"]) > slant(reply["image"])


def test_an_uploaded_png_is_projected_and_a_wrong_one_gets_one_line(api):
    test = ((decoded(api.get("/api/latent/tests", params={"n": 1}).json()["images"][0])[0, 0] + 1) * 127.5)
    grey = test.round().clamp(0, 255).numpy().astype(np.uint8)
    reply = api.post("/api/latent/upload", content=png(grey, "L"))
    assert reply.status_code == 200, reply.text
    key = reply.json()["key"]
    assert key.startswith("upload-")
    assert api.get("/api/latent/edit", params={"projection": key}).json()["image"] == reply.json()["image"]
    big = np.zeros((32, 32), np.uint8)
    check_one_line(api.post("/api/latent/upload", content=png(big, "L")), 400, "32 x 32 pixels", "28 x 28")
    colour = np.zeros((28, 28, 3), np.uint8)
    check_one_line(api.post("/api/latent/upload", content=png(colour, "RGB")), 400, "3 channels", "grey")
    check_one_line(api.post("/api/latent/upload", content=png(grey, "L", "JPEG")), 400, "not a PNG")
    check_one_line(api.post("/api/latent/upload", content=b"not an image"), 400, "not a readable PNG")
    check_one_line(api.post("/api/latent/upload", content=b"\0" * (2**20 + 1)), 413, "bytes")


def test_runs_without_a_latent_space_of_images_get_one_line_saying_why(ring_run, tmp_path):
    import shutil

    inpaint = shutil.copytree(FIXTURES / "inpaint-v0", tmp_path / "inpaint")
    for run, said in ((ring_run, "generates 2-D points"), (inpaint, "has no latent space")):
        api = TestClient(serve_app.create_app(run))
        info = api.get("/api/latent/info").json()
        assert not info["supported"] and said in info["message"] and info["attributes"] == []
        check_one_line(api.get("/api/latent/directions"), 400, said)
        check_one_line(api.get("/api/latent/edit", params={"index": 0, "amounts": "1"}), 400, said)
        check_one_line(api.get("/api/latent/project", params={"test": 0}), 400, said)


# -- in the browser --------------------------------------------------------------------------------------------

TIMEOUT_MS = 60_000  # generous: the suite shares two CPU cores


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"


def changed(page, selector: str, before: str) -> str:
    page.wait_for_function("([selector, src]) => document.querySelector(selector).src !== src", arg=[selector, before])
    return page.locator(selector).get_attribute("src")


@pytest.mark.slow
def test_the_slant_slider_leans_the_sample_and_a_projection_becomes_what_the_sliders_edit(
    page, served, image_run, tmp_path
):
    with served(image_run) as url:
        page.goto(url)
        page.locator("#grid img.tile").nth(15).wait_for()
        page.locator("#grid img.tile").nth(0).click()
        image = page.locator("#attribute-image")
        image.wait_for(state="visible")
        assert "sample 0 of the grid" in page.locator("#attribute-source").inner_text()
        base = image.get_attribute("src")
        slider = page.locator('#attribute-sliders input[data-attribute="slant"]')
        slider.fill("3")
        right = changed(page, "#attribute-image", base)
        slider.fill("-3")
        left = changed(page, "#attribute-image", right)
        assert slant(left) < slant(base) < slant(right), (slant(left), slant(base), slant(right))
        shown = page.locator('#attribute-measured tr[data-attribute="slant"] td').first.inner_text()
        assert float(shown) == pytest.approx(slant(left), abs=0.01)
        # Projection: a test image's projection becomes the latent the sliders edit (still at slant -3).
        page.locator("#projection-tests img").nth(1).click()
        page.locator("#projection-image").wait_for(state="visible")
        assert "PSNR" in page.locator("#projection-caption").inner_text()
        page.wait_for_function("() => document.querySelector('#attribute-source').textContent.includes('test image')")
        projected = page.locator("#projection-image").get_attribute("src")
        edited = changed(page, "#attribute-image", left)
        assert edited != projected and slant(edited) < slant(projected)
        _screenshot(page, tmp_path)
        page.locator("#attribute-reset").click()
        page.wait_for_function("src => document.querySelector('#attribute-image').src === src", arg=projected)
        # An upload of the wrong size: one line in the panel, and nothing else changes.
        wrong = tmp_path / "wrong.png"
        Image.new("L", (32, 32)).save(wrong)
        page.set_input_files("#projection-upload", str(wrong))
        message = page.locator("#projection-message")
        message.wait_for(state="visible")
        assert "32 x 32 pixels" in message.inner_text() and "28 x 28" in message.inner_text()
        assert page.locator("#projection-image").get_attribute("src") == projected


@pytest.mark.slow
def test_a_run_of_points_shows_why_in_the_panel_and_no_sliders(page, served, ring_run):
    with served(ring_run) as url:
        page.goto(url)
        message = page.locator("#attribute-message")
        message.wait_for(state="visible")
        assert "generates 2-D points" in message.inner_text()
        assert page.locator("#attribute-sliders input").count() == 0
        assert page.locator("#projection").count() == 0


def _screenshot(page, tmp_path: Path) -> None:
    """The two panels, into docs/images/serve-latent.png when GANFORGE_SCREENSHOTS=1, else a temporary file."""
    boxes = [page.locator(selector).bounding_box() for selector in ("#attributes", "#projection")]
    left, top = min(box["x"] for box in boxes), min(box["y"] for box in boxes)
    right = max(box["x"] + box["width"] for box in boxes)
    bottom = max(box["y"] + box["height"] for box in boxes)
    folder = DOCS_IMAGES if UPDATE_DOCS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    clip = {"x": left, "y": top, "width": right - left, "height": bottom - top}
    page.screenshot(path=str(folder / "serve-latent.png"), clip=clip, full_page=True)
