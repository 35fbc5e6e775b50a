"""Runs for the explorer's tests: a short MNIST run and a short ring run, trained once per session."""

import os
import shutil
from pathlib import Path

import pytest
import torch

import ganforge
from ganforge.config import Config, apply_overrides


def short_run(out, **overrides):
    """Train a small run into ``out`` with one thread (the suite shares its CPU)."""
    values = {
        "train.batch_size": 64,
        "train.log_every": 20,
        "train.health_every": 0,
        "train.device": "cpu",
        "out": str(out),
        **overrides,
    }
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return ganforge.train(apply_overrides(Config(), values))
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def image_run(tmp_path_factory):
    """The tutorial MLP on MNIST for 600 steps, or the trained run that $GANFORGE_SCREENSHOT_RUN names (``make
    screenshots`` passes the default run it trains, so that the README's pictures show a model that has learned)."""
    trained = os.environ.get("GANFORGE_SCREENSHOT_RUN")
    if trained:
        return Path(trained).resolve()
    out = tmp_path_factory.mktemp("serve") / "mnist-mlp"
    return short_run(out, **{"train.steps": 600, "train.sample_every": 200, "train.checkpoint_every": 200})


@pytest.fixture(scope="session")
def ring_run(tmp_path_factory):
    """A ring run of 300 steps with a game frame every 100."""
    out = tmp_path_factory.mktemp("serve") / "ring-mlp"
    values = {"data.name": "ring", "train.steps": 300, "train.sample_every": 100, "train.checkpoint_every": 100}
    return short_run(out, **values)


@pytest.fixture
def image_run_copy(image_run, tmp_path):
    """A private copy of the MNIST run, for tests that change its files."""
    return shutil.copytree(image_run, tmp_path / "run")
