"""The one exception a user of ganforge should ever see."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GanforgeError(Exception):
    """A user-facing error: what is wrong (naming the bad value) and how to fix it.

    The command line prints ``str(error)`` as one line and exits with code 2; no traceback.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message)


def check_choice(what: str, flag: str, value: str, choices: Iterable[str]) -> None:
    """Raise ``GanforgeError`` naming ``value`` and the closest choice (or all of them) unless it is one."""
    names = sorted(choices)
    if value not in names:
        close = difflib.get_close_matches(value, names, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"choose one of: {', '.join(names)}"
        raise GanforgeError(f"unknown {what} '{value}' ({flag})", hint)


def check_positive(flag: str, value: int) -> None:
    """Raise ``GanforgeError`` unless ``value`` (an integer setting) is 1 or more."""
    if value <= 0:
        raise GanforgeError(f"{flag} {value} must be a positive integer", f"give {flag} a value of 1 or more")
