"""Training statistics reported from anywhere, read back only at logging intervals.

``report`` adds a detached value to a running sum on its own device: no host synchronisation. The
loop calls ``collect`` once per logging interval, which moves every mean to the host in one transfer;
under torchrun it first averages the means over processes (each saw its share of the global batch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from ganforge import engine

_paused = False

_sums: dict[str, torch.Tensor] = {}
_counts: dict[str, int] = {}
_captures: list[dict[str, torch.Tensor]] = []


def report(name: str, value: torch.Tensor) -> None:
    """Add ``value`` (a tensor; its mean is taken) to the running statistic ``name``."""
    if _paused:
        return
    value = value.detach().float().mean()
    if _captures:  # inside capture(): keep the value for the caller instead
        _captures[-1][name] = value
        return
    if name in _sums:
        _sums[name] += value
        _counts[name] += 1
    else:
        _sums[name] = value.clone()
        _counts[name] = 1


def collect() -> dict[str, float]:
    """Return the mean of every statistic since the last call, and start afresh. Syncs once.

    Under torchrun every process must call it at the same step, having reported the same names.
    """
    if not _sums:
        return {}
    names = list(_sums)
    means = engine.all_reduce_mean(torch.stack([_sums[name] / _counts[name] for name in names]))
    means = means.tolist()  # the one host sync
    reset()
    return dict(zip(names, means, strict=True))


def reset() -> None:
    """Drop every running statistic (at the start of a run)."""
    _sums.clear()
    _counts.clear()


@contextmanager
def paused() -> Iterator[None]:
    """Drop what is reported inside the block (the unrolled D steps, which would mix into D's statistics)."""
    global _paused
    _paused, before = True, _paused
    try:
        yield
    finally:
        _paused = before


@contextmanager
def capture() -> Iterator[dict[str, torch.Tensor]]:
    """Route ``report`` into a fresh dict the caller returns, instead of the running sums.

    Code run under ``torch.func`` transforms (``ganforge sweep`` vmaps a whole population through the
    variants' losses) must return its values rather than store them: there each value is batched.
    """
    values: dict[str, torch.Tensor] = {}
    _captures.append(values)
    try:
        yield values
    finally:
        _captures.pop()
