"""Data tests run as if offline: no network, no $GANFORGE_DATA, an empty download cache."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No network, no $GANFORGE_DATA, and an empty download cache, whatever the machine has."""
    monkeypatch.setenv("GANFORGE_OFFLINE", "1")
    monkeypatch.delenv("GANFORGE_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
