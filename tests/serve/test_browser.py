"""The explorer in a real browser: Debian's chromium, headless, driven by Playwright for Python.

``make test`` installs chromium (the Makefile's chromium target); where it cannot be installed these
tests skip, saying so. They never run ``playwright install`` (no downloads): Playwright launches the
system's chromium by its path. The screenshot tests write docs/images/serve.png and serve-game.png for the
README when GANFORGE_SCREENSHOTS=1 (``make screenshots``), else into the test's temporary folder, so that
``make test`` leaves the checkout as it found it.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("GANFORGE_CHROMIUM", "/usr/bin/chromium"))
DOCS_IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
UPDATE_DOCS = os.environ.get("GANFORGE_SCREENSHOTS") == "1"
SOURCE = Path(__file__).resolve().parents[2] / "src"

pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[dev]')")
pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install -e '.[serve]')")
pytestmark = [
    pytest.mark.slow,  # end to end: a browser, a server, and for one test a training run
    pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"no chromium at {CHROMIUM} (make chromium installs it)"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
DRAWN = """selector => {
    const canvas = document.querySelector(selector);
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    return pixels.some((value, index) => index % 4 === 3 && value > 0);
}"""
TIMEOUT_MS = 60_000  # generous: the suite shares two CPU cores (the directions of a DCGAN run take seconds)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    outside: list[str] = []
    opened.on("request", lambda request: None if request.url.startswith("http://127.0.0.1") or
              request.url.startswith("data:") else outside.append(request.url))  # fmt: skip
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not outside, f"the page requested something outside the server: {outside}"
    assert not errors, f"the page raised: {errors}"


def first_tile(page) -> str:
    return page.locator("#grid img.tile").first.get_attribute("src")


def test_the_page_loads_and_resampling_changes_the_images(page, served, image_run):
    with served(image_run) as url:
        page.goto(url)
        page.locator("#grid img.tile").nth(15).wait_for()
        assert page.locator("#run-name").inner_text() == image_run.name
        before = first_tile(page)
        page.click("#resample")
        page.wait_for_function("src => document.querySelector('#grid img.tile').src !== src", arg=before)
        assert page.locator("#seed").input_value() != "0"
        assert page.locator("#grid img.tile").count() == 16
        save = page.locator("#grid a.save").first  # each picture's own PNG link
        assert save.get_attribute("href").startswith("data:image/png;base64,")
        assert save.get_attribute("download").endswith(".png")
        with page.expect_download() as download:
            page.click("#download-grid")
        assert download.value.suggested_filename.endswith(".png")
        assert Path(download.value.path()).read_bytes().startswith(b"\x89PNG")


def test_two_clicks_interpolate_and_the_sliders_edit_the_first(page, served, image_run, tmp_path):
    with served(image_run) as url:
        page.goto(url)
        tiles = page.locator("#grid img.tile")
        tiles.nth(15).wait_for()
        tiles.nth(0).click()
        page.locator("#edited").wait_for(state="visible")
        tiles.nth(5).click()
        page.locator("#interp img.tile").nth(7).wait_for()
        walk = page.locator("#interp img.tile")
        assert walk.count() == 8
        assert walk.nth(0).get_attribute("src") != walk.nth(7).get_attribute("src")
        page.locator("#sliders input[type=range]").nth(7).wait_for()
        before = page.locator("#edited").get_attribute("src")
        page.locator("#sliders input[type=range]").first.fill("3")
        page.wait_for_function("src => document.querySelector('#edited').src !== src", arg=before)
        page.select_option("#mode", "lerp")
        page.wait_for_timeout(300)
        page.screenshot(path=str(_screenshot_path("serve.png", tmp_path)), full_page=True)


def test_conditional_and_infogan_runs_get_a_class_picker_and_code_sliders(page, served, image_run, monkeypatch):
    from ganforge.serve import explorer

    controls = explorer.Controls(classes=10, categorical=10, continuous=2)
    monkeypatch.setattr(explorer, "read_controls", lambda trained: controls)  # as the config of such a run says
    with served(image_run) as url:
        page.goto(url)
        page.locator("#grid img.tile").nth(15).wait_for()
        assert page.locator("#label option").count() == 11  # "each in turn", then 0 .. 9
        assert page.locator("#category option").count() == 11
        assert page.locator("#continuous-codes input[type=range]").count() == 2
        with page.expect_response(lambda response: "label=3" in response.url) as answer:
            page.select_option("#label", "3")
        assert answer.value.status == 200
        with page.expect_response(lambda response: "codes=1" in response.url) as answer:
            page.locator("#continuous-codes input[type=range]").first.fill("1")
        assert answer.value.status == 200


def test_the_live_view_follows_a_training_run(page, served, tmp_path):
    """A real 'ganforge train' in a subprocess; the page's step counter and 2-D game follow it."""
    run = tmp_path / "live-ring"
    path = f"{SOURCE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": "1"}
    train = subprocess.Popen(
        [sys.executable, "-m", "ganforge", "train", "--dataset", "ring", "--steps", "100000", "--quiet",
         "--sample-every", "100", "--out", str(run), "--set", "train.log_every=20", "--set", "train.health_every=0",
         "--device", "cpu"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (run / "config.yaml").is_file():
            assert train.poll() is None and time.monotonic() < deadline, "training did not start"
            time.sleep(0.1)
        with served(run) as url:
            page.goto(url)
            page.wait_for_function("() => Number(document.querySelector('#step').textContent) > 0")
            first = int(page.locator("#step").inner_text())
            page.wait_for_function(f"() => Number(document.querySelector('#step').textContent) > {first}")
            assert page.locator("#state").inner_text() == "training"
            assert not page.locator("#interpolation").is_visible()  # image-only panels stay hidden for points
            page.wait_for_function(DRAWN, arg="#cloud")  # the samples, as a point cloud
            page.locator("#live-frame").wait_for(state="visible")
            page.wait_for_function("() => Number(document.querySelector('#game-step').textContent) >= 400")
            assert page.locator("#game-canvas").is_visible()
            page.wait_for_function(DRAWN, arg="#game-canvas")
            slider = page.locator("#game-frame")
            slider.fill(slider.get_attribute("max"))  # pauses the animation at the newest frame
            assert page.locator("#game-play").inner_text() == "Play"
            page.locator("#game").screenshot(path=str(_screenshot_path("serve-game.png", tmp_path)))
    finally:
        train.terminate()  # SIGTERM: training stops at a step boundary and saves a checkpoint
        try:
            train.wait(timeout=30)
        except subprocess.TimeoutExpired:
            train.kill()
            train.wait()


def _screenshot_path(name: str, tmp_path: Path) -> Path:
    """docs/images/NAME when GANFORGE_SCREENSHOTS=1 (the README's pictures), else a temporary file."""
    folder = DOCS_IMAGES if UPDATE_DOCS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
