"""The one exception a user of ganforge should ever see."""

from __future__ import annotations


class GanforgeError(Exception):
    """A user-facing error: what is wrong (naming the bad value) and how to fix it.

    The command line prints ``str(error)`` as one line and exits with code 2; no traceback.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message}; {hint}" if hint else message)
