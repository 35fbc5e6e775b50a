"""The one way a command writes what a user asked for (``--out`` of sample, traverse, interpolate, translate,
report; eval.json): checked before any work, written atomically, never over a user's file by surprise.

    target = check_output(out, "--out", (".png", ".npy"), overwrite, run=RUN)   # before loading anything
    with writing(target, "--out"):                                               # OSError -> one line
        save(target)                                                             # atomic_path inside

``check_output`` refuses, each with one line naming the path: an unsupported suffix; an existing file
without ``--overwrite``; an existing folder where a file is to go; a path under a file; a file of the run
folder itself (its config, metrics, checkpoints, pictures); a place where no file can be created (``/proc``,
a read-only or immutable folder), found by creating and removing a probe file there. ``atomic_path`` writes
beside the target and renames, so an interrupted write leaves the old file or none; ``stop_on_sigterm``
turns SIGTERM into an exception like Ctrl-C's, so those temporary files are removed on either signal.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ganforge.errors import GanforgeError


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt (every ``finally`` runs, temporary files go)."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """For the block, SIGTERM raises ``Terminated`` instead of killing the process on the spot."""

    def handler(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def check_output(
    out: str | os.PathLike,
    flag: str,
    suffixes: tuple[str, ...],
    overwrite: bool,
    run: str | os.PathLike | None = None,
    folder: bool = False,
    own: tuple[str, ...] = (),
) -> Path:
    """Check that ``out`` can be written (see the module's docstring) and return it as a Path.

    ``folder``: a name without a suffix is a folder of outputs. ``run``: the run folder read, whose files are
    never replaced; ``own``: names in it that this command itself writes (report.html).
    """
    target = Path(out)
    if target.suffix.lower() not in suffixes and not (folder and not target.suffix):
        kinds = ", ".join(suffixes) + (" or a folder name" if folder else "")
        raise GanforgeError(f"{flag} {out} has an unsupported suffix", f"use one of: {kinds}")
    if run is not None:
        _check_not_a_run_file(target, Path(run), flag, own)
    if target.is_dir() and not (folder and not target.suffix):
        raise GanforgeError(f"{flag} {out} is an existing folder, not a file", "give a file name, e.g. OUT/name.png")
    if target.exists() and not overwrite:
        raise GanforgeError(f"{flag} {out} already exists", "choose another name or pass --overwrite")
    _probe(target.parent, flag, out)
    return target


@contextlib.contextmanager
def writing(target: str | os.PathLike, flag: str) -> Iterator[None]:
    """Turn an ``OSError`` while writing ``target`` (a disk that fills, a folder removed meanwhile) into one line."""
    try:
        yield
    except OSError as error:
        raise GanforgeError(f"cannot write {flag} {target} ({_reason(error)})", "choose a writable place") from None


def _check_not_a_run_file(target: Path, run: Path, flag: str, own: tuple[str, ...]) -> None:
    resolved, root = target.resolve(), run.resolve()
    if root not in resolved.parents:
        return
    relative = resolved.relative_to(root).as_posix()
    if relative in own:
        return
    if resolved.exists() or relative.split("/")[0] in ("checkpoints", "samples"):
        raise GanforgeError(
            f"{flag} {target} is a file of the run folder {run} itself",
            "write outside the run folder (a run's own files are never replaced by another command's output)",
        )


def _probe(parent: Path, flag: str, out: str | os.PathLike) -> None:
    """Create and remove a file in ``parent``, or in its nearest existing ancestor when it is yet to be made
    (nothing is left behind): the one test every file system answers truly."""
    existing = next((folder for folder in (parent, *parent.parents) if folder.exists()), Path("."))
    if not existing.is_dir():
        raise GanforgeError(f"{flag} {out} is under {existing}, which is a file", "choose a path in a folder")
    try:
        fd, probe = tempfile.mkstemp(prefix=".ganforge-probe.", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise GanforgeError(
            f"cannot write {flag} {out}: {existing} does not take new files ({_reason(error)})",
            "choose a writable folder",
        ) from None


def _reason(error: OSError) -> str:
    if error.errno in (errno.EROFS,):
        return "read-only file system"
    return error.strerror or type(error).__name__
