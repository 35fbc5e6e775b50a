"""Runs for the explorer's tests: a short MNIST run and a short ring run, trained once per session."""

import os
import shutil
from pathlib import Path

import pytest


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
