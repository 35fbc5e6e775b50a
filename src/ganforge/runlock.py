"""One writer per run folder: ``train`` and ``resume`` hold ``RUN/.lock`` while they write the run.

The lock is an advisory ``flock`` on the file, which the operating system releases when the holder's
process ends in any way (exit, crash, ``kill -9``): a lock file left behind by a killed process is stale
and the next writer simply takes it. The file holds the holder's PID and host, so a refusal names them.
Readers (``sample``, ``serve``, ``report``, ``doctor``) never take the lock: every file is written
atomically, so they read a run in progress safely.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from ganforge.errors import GanforgeError

try:
    import fcntl
except ImportError:  # Windows: no flock; the lock is then a no-op
    fcntl = None  # type: ignore[assignment]

LOCK_NAME = ".lock"


class RunLocked(GanforgeError):
    """Another process is writing the run folder."""


@contextlib.contextmanager
def run_lock(folder: str | os.PathLike, command: str = "ganforge") -> Iterator[Path]:
    """Hold the write lock of the run folder ``folder`` for the block; refuse at once when another process
    holds it (``RunLocked``, naming its PID)."""
    path = Path(folder) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as error:
        raise GanforgeError(
            f"cannot open the lock file {path} ({error.strerror})", "check that the run folder is writable"
        ) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                if error.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise
                raise RunLocked(
                    f"run folder {folder} is in use by {_holder(fd)}",
                    "wait for it to finish (or stop it) and try again; one process writes a run at a time",
                ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} ({command})\n".encode())
        yield path
    finally:
        os.close(fd)  # closing releases the flock; the file stays, harmlessly, for the next writer


def _holder(fd: int) -> str:
    """What the lock file says about its holder, e.g. 'pid 4242 on host (ganforge resume)'."""
    try:
        text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        text = ""
    return text.splitlines()[0] if text else "another process"
