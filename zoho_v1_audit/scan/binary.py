"""Compiled code and other binary files: their printable strings, the way `strings` finds them.

A binary file is searched through views as long as the file (or half of it): every byte that
cannot be part of a string becomes a line end, so each run of printable characters is a line
of its own and the byte offset of a match follows from its position in the view. One view
holds ASCII and UTF-8 strings; two more hold UTF-16LE strings (.NET, Windows resources)
starting at even and at odd offsets, except in formats that store no UTF-16 (Java class
files, Python bytecode). Building a view is a few passes in C over the bytes.
"""

from __future__ import annotations

import bisect

_NL = ord("\n")
_TEXT = frozenset({*range(0x20, 0x7F), ord("\t")})
# ASCII and UTF-8 view: printable ASCII, tab and bytes of multi-byte characters stay.
_TO_VIEW = bytes(b if b in _TEXT or b >= 0x80 else _NL for b in range(256))
# UTF-16LE views: a low byte that is not printable ASCII, or a high byte that is not NUL,
# marks the character 0xFF, and 0xFF becomes a line end.
_LOW = bytes(b if b in _TEXT else 0xFF for b in range(256))
_HIGH = bytes([0] + [0xFF] * 255)
_FF_TO_NL = bytes(_NL if b == 0xFF else b for b in range(256))

Segment = tuple[int, int, int]  # (where a view starts in the text, its file offset, its step)


def strings(data: bytes) -> tuple[bytes, tuple[Segment, ...]]:
    """The views of binary data, one after another: ASCII/UTF-8, then UTF-16LE when it has
    NUL bytes; and where each view starts, so that a position maps back to a file offset."""
    views = [(data.translate(_TO_VIEW), 0, 1)]
    if b"\x00" in data and not _utf8_only(data):
        views += [(_utf16(data, start), start, 2) for start in (0, 1)]
    segments, at = [], 0
    for view, start, step in views:
        segments.append((at, start, step))
        at += len(view) + 1
    return b"\n".join(view for view, _, _ in views), tuple(segments)


def _utf8_only(data: bytes) -> bool:
    """Java class files and Python bytecode keep their strings in (modified) UTF-8 only."""
    return data.startswith(b"\xca\xfe\xba\xbe") or data[2:4] == b"\r\n"


def file_offset(segments: tuple[Segment, ...], position: int) -> int:
    """The byte offset in the binary file of a position in its strings."""
    at, start, step = segments[bisect.bisect_right(segments, (position, 1 << 62, 0)) - 1]
    return start + step * (position - at)


def _utf16(data: bytes, start: int) -> bytes:
    """Low bytes of the UTF-16LE characters from `start`; any other character is a line end."""
    low = data[start::2].translate(_LOW)
    high = data[start + 1 :: 2].ljust(len(low), b"\xff").translate(_HIGH)
    # One OR over the whole buffers as integers stands in for a loop over every byte.
    marked = int.from_bytes(low) | int.from_bytes(high)
    return marked.to_bytes(len(low)).translate(_FF_TO_NL)
