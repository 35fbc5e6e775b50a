"""Runs for the explorer's tests (a short MNIST run and a short ring run, trained once per session), and what the
browser tests share: the explorer served on a free local port, and headless chromium."""

import contextlib
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("GANFORGE_CHROMIUM", "/usr/bin/chromium"))


@pytest.fixture(scope="session")
def image_run(tmp_path_factory, short_run):
    """The tutorial MLP on MNIST for 600 steps, or the trained run that $GANFORGE_SCREENSHOT_RUN names (``make
    screenshots`` passes the default run it trains, so that the README's pictures show a model that has learned)."""
    trained = os.environ.get("GANFORGE_SCREENSHOT_RUN")
    if trained:
        return Path(trained).resolve()
    out = tmp_path_factory.mktemp("serve") / "mnist-mlp"
    return short_run(out, **{"train.steps": 600, "train.sample_every": 200, "train.checkpoint_every": 200})


@pytest.fixture(scope="session")
def ring_run(tmp_path_factory, short_run):
    """A ring run of 300 steps with a game frame every 100."""
    out = tmp_path_factory.mktemp("serve") / "ring-mlp"
    values = {"data.name": "ring", "train.steps": 300, "train.sample_every": 100, "train.checkpoint_every": 100}
    return short_run(out, **values)


@pytest.fixture
def image_run_copy(image_run, tmp_path):
    """A private copy of the MNIST run, for tests that change its files."""
    return shutil.copytree(image_run, tmp_path / "run")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _served(run):
    """The explorer of ``run`` on a free local port, in a thread of this process; yields its URL."""
    uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install -e '.[serve]')")
    from ganforge.serve.app import create_app

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(run), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the explorer did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served():
    """``with served(run) as url:`` the explorer of ``run`` on a free local port, in a thread of this process."""
    return _served


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium, headless, through Playwright; skips where either is missing or chromium cannot start."""
    reason = "Playwright is not installed (pip install -e '.[dev]')"
    sync_api = pytest.importorskip("playwright.sync_api", reason=reason)
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (make chromium installs it)")
    with sync_api.sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        except sync_api.Error as error:  # present but unable to start here (no sandbox support, missing libs)
            pytest.skip(f"chromium at {CHROMIUM} does not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()
