"""A quiet Ctrl-C while the ganforge command starts: Python imports ganforge (and PyTorch with it) before
``cli.main`` runs, and a Ctrl-C then would print a KeyboardInterrupt traceback.

Imported first by the package: when this process is the ``ganforge`` command (the console script or
``python -m ganforge``), SIGINT says ``aborted`` and exits with 130 until the package has loaded; ``done`` then
gives SIGINT back to Python, and ``cli.main`` handles it from there. Imported as a library, nothing changes.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path


def _is_the_command() -> bool:
    """Whether this process runs ``ganforge ...`` or ``python -m ganforge ...``."""
    argv = list(getattr(sys, "orig_argv", sys.argv))
    console_script = bool(sys.argv) and Path(sys.argv[0]).name == "ganforge"
    module = any(flag == "-m" and argv[index + 1 : index + 2] == ["ganforge"] for index, flag in enumerate(argv))
    return (console_script or module) and threading.current_thread() is threading.main_thread()


def _aborted(signum: int, frame: object) -> None:
    sys.stderr.write("aborted\n")
    raise SystemExit(130)


QUIET = _is_the_command()
if QUIET:
    signal.signal(signal.SIGINT, _aborted)


def done() -> None:
    """The package has loaded: SIGINT raises KeyboardInterrupt again (``cli.main`` turns it into one line)."""
    if QUIET:
        signal.signal(signal.SIGINT, signal.default_int_handler)
