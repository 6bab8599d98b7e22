r"""Refuse regular expressions that can backtrack catastrophically.

Patterns come from rule files and configuration that a scanned repository may carry, and run on
lines megabytes long. Python's engine backtracks, so a pattern in which one repeat can match the
same text in more than one way takes exponential time. Two shapes do that: a variable-length
repeat inside another repeat (`(a+)+`), and alternatives inside a repeat that can start with the
same character or match nothing (`(a|aa)*`, `(x|y?)+`). Both are refused; a possessive inner
repeat (`(\.[a-z]*+)+`) takes one way only and is accepted.
"""

from __future__ import annotations

import string
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

UNSAFE = (
    "a repeat inside a repeat, or alternatives inside a repeat that can match the same text, "
    "can backtrack catastrophically; use bounded, non-nested repeats and distinct alternatives"
)

_NON_ASCII = -1  # stands for every character above 127
_EVERY = -2  # stands for every character
_ANY = frozenset({_EVERY})
_CLASSES = {
    "CATEGORY_DIGIT": frozenset(map(ord, string.digits)) | {_NON_ASCII},
    "CATEGORY_WORD": frozenset(map(ord, string.ascii_letters + string.digits + "_")) | {_NON_ASCII},
    "CATEGORY_SPACE": frozenset(map(ord, string.whitespace)) | {_NON_ASCII},
}
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_ZERO_WIDTH = ("AT", "ASSERT", "ASSERT_NOT")


def unsafe(source: str | bytes) -> bool:
    """Whether a pattern can take exponential time; call it on a pattern that compiles."""
    text = source.decode("utf-8", "surrogateescape") if isinstance(source, bytes) else source
    return _unsafe(sre_parse.parse(text), inside_repeat=False)


def _overlap(a: frozenset[int], b: frozenset[int]) -> bool:
    return bool(a & b) or _EVERY in a or _EVERY in b


def _char(code: int) -> frozenset[int]:
    return frozenset({code if code < 128 else _NON_ASCII})


def _class_set(items: Any) -> frozenset[int]:
    out: set[int] = set()
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out |= _char(arg)
        elif name == "RANGE":
            low, high = arg
            out |= set(range(low, min(high, 127) + 1)) | ({_NON_ASCII} if high > 127 else set())
        elif name == "CATEGORY" and str(arg) in _CLASSES:
            out |= _CLASSES[str(arg)]
        else:  # NEGATE, a negated category: anything
            return _ANY
    return frozenset(out)


def _first(tree: Any) -> tuple[frozenset[int], bool]:
    """The characters a sequence can start with, and whether it can match nothing."""
    out: frozenset[int] = frozenset()
    for op, arg in tree:
        name = str(op)
        if name in _ZERO_WIDTH:
            continue
        if name == "LITERAL":
            return out | _char(arg), False
        if name == "IN":
            return out | _class_set(arg), False
        if name == "SUBPATTERN":
            chars, empty = _first(arg[-1])
        elif name == "BRANCH":
            parts = [_first(b) for b in arg[1]]
            chars = frozenset().union(*(p[0] for p in parts))
            empty = any(p[1] for p in parts)
        elif name in _REPEATS:
            chars, empty = _first(arg[2])
            empty = empty or arg[0] == 0
        else:  # ANY, NOT_LITERAL, GROUPREF, ...: anything
            return _ANY, False
        out |= chars
        if not empty:
            return out, False
    return out, True


def _ambiguous(branches: Any) -> bool:
    """Whether two alternatives can start alike, or one can match nothing."""
    seen: frozenset[int] = frozenset()
    for branch in branches:
        chars, empty = _first(branch)
        if empty or _overlap(seen, chars):
            return True
        seen |= chars
    return False


def _unsafe(tree: Any, inside_repeat: bool) -> bool:
    for op, arg in tree:
        name = str(op)
        if name in _REPEATS:
            low, high, sub = arg
            # A possessive repeat never gives back what it took: it cannot be retried in two ways.
            if inside_repeat and low != high and name != "POSSESSIVE_REPEAT":
                return True
            if _unsafe(sub, inside_repeat or high > 1):
                return True
        elif name == "SUBPATTERN":
            if _unsafe(arg[-1], inside_repeat):
                return True
        elif name == "BRANCH":
            if inside_repeat and _ambiguous(arg[1]):
                return True
            if any(_unsafe(b, inside_repeat) for b in arg[1]):
                return True
        elif name in ("ASSERT", "ASSERT_NOT") and _unsafe(arg[1], inside_repeat):
            return True
    return False
