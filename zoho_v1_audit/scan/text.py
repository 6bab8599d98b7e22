"""Turn raw file bytes into scannable text: UTF-8 (or Latin-1) bytes with `\\n` line ends."""

from __future__ import annotations

import codecs

SNIFF = 8192  # bytes searched for a NUL to tell binary data


def _utf16_without_bom(head: bytes) -> str | None:
    """Guess UTF-16 without a BOM from the NUL bytes of ASCII text."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even = head[0 : pairs * 2 : 2].count(0)
    odd = head[1 : pairs * 2 : 2].count(0)
    if odd > pairs * 0.6 and even < pairs * 0.1:
        return "utf-16-le"
    if even > pairs * 0.6 and odd < pairs * 0.1:
        return "utf-16-be"
    return None


def scannable(data: bytes) -> bytes | None:
    """Bytes ready for the detector, or None when the data is binary.

    Binary means a NUL byte in the first 8 KiB, as git decides: a NUL further on (a log, a
    dump) does not hide the text before it. UTF-16 (with a BOM, or ASCII-range text without
    one) is re-encoded as UTF-8; other bytes are kept as they are (the rules match ASCII, so
    UTF-8 and Latin-1 both work).
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        data = data.decode("utf-16", errors="replace").encode("utf-8")
    elif data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif 0 in data[:SNIFF]:
        encoding = _utf16_without_bom(data[:SNIFF])
        if encoding is None:
            return None
        data = data.decode(encoding, errors="replace").encode("utf-8")
        if 0 in data:
            return None
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data


def decode(data: bytes) -> str:
    """Text for display: UTF-8 where valid, Latin-1 otherwise."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
