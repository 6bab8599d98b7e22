"""Compiled code and other binary files: their printable strings, the way `strings` finds them."""

from __future__ import annotations

import re

_MIN_RUN = 6
# Printable ASCII and tab, and well-formed UTF-8 sequences.
_UTF8 = re.compile(
    rb"(?:[\t\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})"
    rb"{%d,}" % _MIN_RUN
)
_UTF16LE = re.compile(rb"(?:[\t\x20-\x7e]\x00){%d,}" % _MIN_RUN)

# Images, audio, video and fonts: recognised by their first bytes and skipped unread.
_MEDIA = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",  # JPEG
    b"GIF87a",
    b"GIF89a",
    b"BM",  # Windows bitmap
    b"II*\x00",  # TIFF
    b"MM\x00*",
    b"\x00\x00\x01\x00",  # ICO
    b"ID3",  # MP3
    b"\xff\xfb",
    b"fLaC",
    b"OggS",
    b"\x1aE\xdf\xa3",  # Matroska, WebM
    b"wOFF",
    b"wOF2",
)


def is_media(head: bytes) -> bool:
    """Whether the first bytes are those of an image, audio, video or font file."""
    if head.startswith(_MEDIA):
        return True
    if head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return True
    return head[4:8] == b"ftyp"  # MP4, MOV, HEIC, AVIF


def printable_runs(data: bytes) -> tuple[bytes, tuple[int, ...]]:
    """The printable strings of binary data, one a line, and the byte offset each starts at.

    UTF-16LE strings (.NET, Windows resources) are re-encoded as UTF-8.
    """
    runs = [(m.start(), m.group()) for m in _UTF8.finditer(data)]
    if b"\x00" in data:
        runs += [
            (m.start(), m.group().decode("utf-16-le").encode()) for m in _UTF16LE.finditer(data)
        ]
        runs.sort(key=lambda run: run[0])
    return b"\n".join(text for _, text in runs), tuple(start for start, _ in runs)
