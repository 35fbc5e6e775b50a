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


MAX_COUNT = 10**12  # any count (steps, samples, batch size) beyond this is a typo, not a plan
MAX_SEED = 2**63 - 1  # what torch.Generator.manual_seed takes


def check_positive(flag: str, value: int) -> None:
    """Raise ``GanforgeError`` unless ``value`` (an integer setting) is from 1 to ``MAX_COUNT``."""
    if value <= 0:
        raise GanforgeError(f"{flag} {excerpt(value)} must be a positive integer", f"give {flag} a value of 1 or more")
    if value > MAX_COUNT:
        raise GanforgeError(f"{flag} {excerpt(value)} is too large", f"give {flag} a value of at most {MAX_COUNT:,}")


def check_seed(flag: str, value: int) -> None:
    """Raise ``GanforgeError`` unless ``value`` is a seed a random generator takes (0 to 2^63 - 1)."""
    if not 0 <= value <= MAX_SEED:
        raise GanforgeError(f"{flag} {excerpt(value)} is not a seed", f"give {flag} a whole number from 0 to 2^63 - 1")


EXCERPT_CHARS = 60


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to at most ``limit`` characters, so that an error quoting a user's value (a huge
    string, a config of nested aliases) stays one short line. Builds at most ``limit`` characters of it."""
    text = _bounded_repr(value, limit + 1)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _bounded_repr(value: object, budget: int) -> str:
    """repr of ``value``, stopping once ``budget`` characters are made (containers are walked lazily)."""
    if isinstance(value, (list, tuple, dict)):
        opening, closing = {list: "[]", tuple: "()", dict: "{}"}.get(type(value), "[]")
        parts, used = [opening], 1
        items = value.items() if isinstance(value, dict) else value
        for index, item in enumerate(items):
            if used >= budget:
                break
            if isinstance(value, dict):
                key, inner = item
                text = _bounded_repr(key, budget - used) + ": " + _bounded_repr(inner, budget - used)
            else:
                text = _bounded_repr(item, budget - used)
            text = (", " if index else "") + text
            parts.append(text)
            used += len(text)
        parts.append(closing)
        return "".join(parts)[: budget + 1]
    if isinstance(value, (str, bytes)) and len(value) > budget:
        return repr(value[:budget])
    return repr(value)[: budget + 1]
