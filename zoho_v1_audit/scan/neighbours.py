"""Context a single line cannot show: literals bound to names used elsewhere, Zoho neighbours.

Every search here is a single forward pass (or a bounded walk over nearby lines), so the cost
stays linear in the blob.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

_NAME = rb"[$@]?[A-Za-z_][A-Za-z0-9_]{0,60}(?:\.[A-Za-z_][A-Za-z0-9_]{0,60}){0,4}"
_NAMES = re.compile(_NAME)
_ZOHO = re.compile(rb"(?i)zoho")
_ZOHO_HOST = re.compile(rb"\.zoho\.[a-z]{2,3}\b|zohoapis\.")  # searched in lower-cased text
_SECTION = re.compile(rb"\s{0,8}\[[^\]\n]{1,80}\]\s*")
_BLOCK_REACH = 200  # lines walked each way when looking for a block's Zoho neighbour
MAX_NAMES = 64  # distinct names followed to their bindings per blob: each costs one pass


_NAME_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$@.")


@lru_cache(maxsize=32)
def _binding_tail(value: bytes) -> re.Pattern[bytes]:
    """What follows a name bound to a literal: =, :=, :, =>, `define(…, …)` or `key=value`."""
    return re.compile(
        rb"['\"]?\]?\s{0,5}(?:=>|:=|[:=,])\s{0,5}['\"]?(?P<secret>" + value + rb")(?![0-9A-Za-z])"
    )


def bound_literals(data: bytes, name: bytes, value: re.Pattern[bytes]) -> Iterator[re.Match[bytes]]:
    """Every literal of the value's shape bound to this name in the blob.

    The name is found with a plain substring search; the binding is then matched where it stands.
    """
    tail = _binding_tail(value.pattern)
    at = data.find(name)
    while at >= 0:
        if at == 0 or data[at - 1] not in _NAME_CHARS:
            m = tail.match(data, at + len(name))
            if m is not None:
                yield m
        at = data.find(name, at + 1)


def names_in(text: bytes) -> set[bytes]:
    """The identifiers (with `$`/`@` sigils and dotted parts) that occur in a piece of code."""
    return set(_NAMES.findall(text))


def zoho_host_offset(data: bytes) -> int | None:
    """Where the first Zoho host name (`….zoho.<tld>`, `zohoapis.…`) occurs in the blob, if any."""
    m = _ZOHO_HOST.search(data.lower())
    return None if m is None else m.start()


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" \t"))


def _lines_up(data: bytes, start: int) -> Iterator[tuple[int, bytes]]:
    """The lines before the one starting at `start`, nearest first, with their offsets."""
    for _ in range(_BLOCK_REACH):
        if start == 0:
            return
        begin = data.rfind(b"\n", 0, start - 1) + 1
        yield begin, data[begin : start - 1]
        start = begin


def _lines_down(data: bytes, end: int) -> Iterator[tuple[int, bytes]]:
    """The lines after the one ending at `end`, nearest first, with their offsets."""
    for _ in range(_BLOCK_REACH):
        if end >= len(data):
            return
        begin = end + 1
        end = data.find(b"\n", begin)
        if end < 0:
            end = len(data)
        yield begin, data[begin:end]


def zoho_in_block(data: bytes, line_start: int, line_end: int) -> int | None:
    """Offset of a Zoho mention in the block around a line, if any.

    The block is the line, its siblings (same or deeper indentation, no blank line between) and
    the line that opens it (less indented, or an INI `[section]` header): a YAML mapping, a JSON
    object, a PHP array, an INI section. Unindented lines of a flat file (`.env`, `.properties`)
    have no siblings: there only the line itself and its `[section]` count.
    """
    line = data[line_start:line_end]
    if (m := _ZOHO.search(line)) is not None:
        return line_start + m.start()
    depth = _indent(line)
    for begin, text in _lines_up(data, line_start):
        if not text.strip():
            break
        section = _SECTION.fullmatch(text) is not None
        if (depth or section) and (m := _ZOHO.search(text)) is not None:
            return begin + m.start()
        if section or (depth and _indent(text) < depth):
            break
    if not depth:
        return None
    for begin, text in _lines_down(data, line_end):
        if not text.strip() or _indent(text) < depth or _SECTION.fullmatch(text):
            break
        if (m := _ZOHO.search(text)) is not None:
            return begin + m.start()
    return None
