"""Shared fixtures of the metric tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture
def one_thread() -> Iterator[None]:
    """Run a test on one thread: metrics do many small matrix products and distance blocks, and on a shared
    2-core machine OpenMP threads waiting on a busy core cost up to 100x."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
