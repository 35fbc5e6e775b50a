"""The small query language of latent arithmetic: concepts chosen by measured attributes, added and subtracted.

    thick 3 - thin 3 + thin 7                 words: adjectives, then a class
    {class=3, thickness>high} - {class=3, thickness<low} + {class=7, thickness<low}
    #12,40,7 - #3,5 + thin 7                  sample ids: indices into the pool of samples

An *expression* is concepts joined by ``+`` and ``-``, each operator a word of its own (spaces around it, so a
class such as ``t-shirt`` keeps its hyphen). A *concept* is one of:

- **words**: any adjectives from ``ADJECTIVES`` and at most one class (a digit ``0``-``9``, or a garment's
  name such as ``trouser``, ``t-shirt``, ``ankle-boot``). ``thick 3`` means ``{class=3, thickness>high}``.
- **a filter** in braces: conditions ``NAME OP VALUE`` joined by commas, NAME an attribute or ``class``, OP one of
  ``= != < > <= >=``, VALUE a number, a class for ``class``, or ``low`` / ``high``: the 25th / 75th
  percentile of that attribute over the pool's samples of the concept's class (over all samples when the
  concept names no class).
- **sample ids**: ``#`` and comma-separated indices into the pool, no spaces.

Every mistake is one line naming the bad text and what would fit.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ganforge.errors import GanforgeError, excerpt
from ganforge.latent.attributes import attribute_names, class_names
from ganforge.latent.pool import Pool

ADJECTIVES: dict[str, tuple[str, str, str]] = {
    "thick": ("thickness", ">", "high"), "thin": ("thickness", "<", "low"),
    "wide": ("width", ">", "high"), "narrow": ("width", "<", "low"),
    "tall": ("height", ">", "high"), "short": ("height", "<", "low"),
    "big": ("area", ">", "high"), "small": ("area", "<", "low"),
    "bright": ("brightness", ">", "high"), "dark": ("brightness", "<", "low"),
    "right": ("slant", ">", "high"), "left": ("slant", "<", "low"),
}  # fmt: skip
OPERATORS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "<=": operator.le, ">=": operator.ge, "!=": operator.ne, "=": operator.eq, "<": operator.lt, ">": operator.gt,
}  # longest first, so '<=' is not read as '<'
PERCENTILES = {"low": 25.0, "high": 75.0}
MAX_TERMS = 16
SYNTAX = "e.g. 'thick 3 - thin 3 + thin 7' or '{class=3, thickness>high} - #1,2,3' (docs/latent.md)"


@dataclass(frozen=True)
class Condition:
    """``name OP value``: value a float, a class index (for ``class``) or 'low' / 'high'."""

    name: str
    op: str
    value: float | int | str


@dataclass(frozen=True)
class Concept:
    """A set of samples: by conditions, or by explicit ids (then ``conditions`` is empty)."""

    text: str
    conditions: tuple[Condition, ...] = ()
    ids: tuple[int, ...] = ()

    @property
    def class_index(self) -> int | None:
        """The class the concept names with ``class=K``, if any."""
        for condition in self.conditions:
            if condition.name == "class" and condition.op == "=":
                return int(condition.value)
        return None


@dataclass(frozen=True)
class Term:
    sign: int  # +1 or -1
    concept: Concept


def _error(text: str, message: str) -> GanforgeError:
    return GanforgeError(f"in {excerpt(text)}: {message}", SYNTAX)


def _class_index(word: str, dataset: str, text: str) -> int:
    names = class_names(dataset)
    if names is None:
        raise _error(text, f"'{word}' names a class, but {dataset} images have no shipped classifier")
    lowered = word.lower()
    if lowered.isdigit() and int(lowered) < len(names):
        return int(lowered)
    if lowered in names:
        return names.index(lowered)
    raise _error(text, f"unknown class '{word}' (classes: {', '.join(names)})")


def _condition(part: str, dataset: str, text: str) -> Condition:
    for symbol in OPERATORS:
        if symbol in part:
            name, value = (piece.strip() for piece in part.split(symbol, 1))
            break
    else:
        raise _error(text, f"'{part}' is not NAME OP VALUE (OP one of {' '.join(OPERATORS)})")
    if name == "class":
        if symbol not in ("=", "!="):
            raise _error(text, f"class takes = or !=, not '{symbol}'")
        return Condition(name, symbol, _class_index(value, dataset, text))
    if name not in attribute_names(dataset):
        raise _error(text, f"unknown attribute '{name}' (measured on {dataset}: {', '.join(attribute_names(dataset))})")
    if value in PERCENTILES:
        return Condition(name, symbol, value)
    try:
        return Condition(name, symbol, float(value))
    except ValueError:
        raise _error(text, f"'{value}' is not a number, 'low' or 'high'") from None


def parse_concept(word_text: str, dataset: str, text: str) -> Concept:
    """One concept (words, a filter in braces or sample ids), checked against ``dataset``'s attributes."""
    if word_text.startswith("{"):
        if not word_text.endswith("}") or word_text.count("{") != 1 or word_text.count("}") != 1:
            raise _error(text, f"unbalanced braces in '{word_text}'")
        parts = [part.strip() for part in word_text[1:-1].split(",")]
        if not any(parts) or not all(parts):
            raise _error(text, f"an empty condition in '{word_text}'")
        return Concept(word_text, tuple(_condition(part, dataset, text) for part in parts))
    if word_text.startswith("#"):
        if not re.fullmatch(r"#\d+(,\d+)*", word_text):
            raise _error(text, f"'{word_text}' is not sample ids like #12,40,7")
        return Concept(word_text, ids=tuple(int(part) for part in word_text[1:].split(",")))
    conditions: list[Condition] = []
    has_class = False
    for word in word_text.split():
        if word.lower() in ADJECTIVES:
            name, symbol, value = ADJECTIVES[word.lower()]
            if name not in attribute_names(dataset):
                raise _error(text, f"'{word}' measures {name}, which is not measured on {dataset} images")
            conditions.append(Condition(name, symbol, value))
        elif has_class:
            raise _error(text, f"'{word_text}' names more than one class (or an unknown adjective '{word}'; "
                               f"adjectives: {', '.join(ADJECTIVES)})")  # fmt: skip
        else:
            conditions.append(Condition("class", "=", _class_index(word, dataset, text)))
            has_class = True
    return Concept(word_text, tuple(conditions))


def _split(text: str) -> list[str]:
    """Words of ``text``, a filter in braces kept as one word however it is spaced."""
    words, depth, current = [], 0, ""
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise _error(text, "a '}' without its '{'")
        if char.isspace() and depth == 0:
            if current:
                words.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise _error(text, "a '{' without its '}'")
    return [*words, current] if current else words


def parse_expression(text: str, dataset: str) -> list[Term]:
    """``text`` as signed concepts (module doc); a one-line ``GanforgeError`` for any mistake."""
    if not isinstance(text, str) or not text.strip():
        raise GanforgeError("the expression is empty", SYNTAX)
    terms: list[Term] = []
    sign, words = 1, []
    for word in [*_split(text), "+"]:
        if word in ("+", "-"):
            if not words:
                raise _error(text, f"'{word}' needs a concept on each side")
            terms.append(Term(sign, parse_concept(" ".join(words), dataset, text)))
            sign, words = (1 if word == "+" else -1), []
        else:
            words.append(word)
    if len(terms) > MAX_TERMS:
        raise _error(text, f"{len(terms)} concepts; at most {MAX_TERMS}")
    return terms


def select(pool: Pool, concept: Concept) -> np.ndarray:
    """The indices of the pool's samples that ``concept`` describes (may be empty)."""
    if concept.ids:
        bad = [index for index in concept.ids if index >= len(pool)]
        if bad:
            raise GanforgeError(f"sample id {bad[0]} in '{concept.text}' is beyond the pool of {len(pool)}",
                                f"use ids 0 to {len(pool) - 1}, or a larger --pool")  # fmt: skip
        return np.asarray(concept.ids)
    keep = np.ones(len(pool), dtype=bool)
    classes = pool.labels.numpy() if pool.labels is not None else pool.measurements.classes
    of_class = keep.copy()
    if concept.class_index is not None and classes is not None:
        of_class = classes == concept.class_index  # the reference set of 'low' / 'high'
    for condition in concept.conditions:
        if condition.name == "class":
            if classes is None:
                raise GanforgeError(f"'{concept.text}' asks for a class, but this pool has none",
                                    "use a run on mnist or fashion-mnist")  # fmt: skip
            keep &= OPERATORS[condition.op](classes, condition.value)
            continue
        values = pool.attribute(condition.name)
        threshold = condition.value
        if isinstance(threshold, str):
            threshold = float(np.percentile(values[of_class] if of_class.any() else values, PERCENTILES[threshold]))
        keep &= OPERATORS[condition.op](values, threshold)
    return np.flatnonzero(keep)
