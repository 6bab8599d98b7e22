"""What an output may show of the text it quotes: secrets masked, control characters visible.

`token_spans` finds every token-, key- and password-shaped value in a stretch of bytes,
whichever rules are enabled and whatever placeholders say; `masked` and `redact` replace them
with previews. `display` makes control characters and bidirectional overrides visible as
escapes, so that no text taken from a scanned file or a server can drive a terminal or
reorder what a reviewer reads. `clean` applies both to a whole result document.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from typing import Any

from zoho_v1_audit.models import preview
from zoho_v1_audit.scan.text import decode

Span = tuple[int, int, bool]  # start, end, and whether its preview may show characters

_SHAPES = re.compile(
    rb"1000\.[0-9A-Za-z]{32}\.[0-9A-Za-z]{32,}"  # OAuth tokens, whole
    rb"|(?<![0-9A-Za-z])(?=[A-Za-z]*[0-9])[0-9A-Za-z]{32,}"  # alphanumeric tokens with a digit
    rb"|[0-9A-Fa-f]{32,}[0-9A-Za-z]*"  # hex of either case (authtokens, client secrets, keys)
)
_BASE64 = re.compile(rb"(?<![0-9A-Za-z+/])(?=[A-Za-z+/]*[0-9])[0-9A-Za-z+/]{40,4096}={0,2}")
_BOUND_VALUE = re.compile(
    rb"(?P<key>(?i:password|passwd|passphrase|pwd|secret))[0-9A-Za-z_.-]{0,40}(?:\\?['\"])?\s{0,10}"
    rb"(?:=>|[:=,(])\s{0,10}"
    rb"(?:\\?\"(?P<dq>[^\"\n]{1,256}?)\\?\"|\\?'(?P<sq>[^'\n]{1,256}?)\\?'"
    rb"|\\?['\"]?(?P<bare>[^\s'\"&;,)\]}>]+))"
)
_MASK = "…".encode()
_PREVIEWED = re.compile(rb"[0-9A-Za-z+/=._-]{4,9}" + _MASK + rb"[0-9A-Za-z+/=._-]{4}")
_MAY_HOLD = re.compile(  # a text without any of these holds no span
    r"(?i:pass|pwd|secret)|(?<![0-9A-Za-z])[0-9A-Za-z]{32}"
    r"|(?<![0-9A-Za-z+/])(?=[A-Za-z+/]*[0-9])[0-9A-Za-z+/]{40}"
)
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_JSON_ESCAPE = re.compile(r"(\\+)(?:[nrbf]|u00[01])")  # how json.dumps writes C0 but tab


def _wraps_token(encoded: bytes) -> bool:
    """Whether a base64 run decodes to text that holds a token shape."""
    try:
        raw = base64.b64decode(encoded + b"=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return _SHAPES.search(raw) is not None


def token_spans(data: bytes, start: int = 0, end: int | None = None) -> list[Span]:
    """Every secret-shaped value in `data[start:end]`, merged, in order.

    Tokens (OAuth tokens, 32 or more hex digits of either case, 32 or more letters and digits
    with a digit, base64 with a digit that wraps any of them) and values bound to a `secret`
    key keep a preview when they look generated; values bound to a password key keep no
    character. The stretch is searched as if it were all the text, so a token cut by its
    edges is still found.
    """
    stop = len(data) if end is None else end
    text = data[start:stop]
    spans: list[Span] = [(m.start() + start, m.end() + start, True) for m in _SHAPES.finditer(text)]
    spans += [
        (m.start() + start, m.end() + start, True)
        for m in _BASE64.finditer(text)
        if _wraps_token(m.group().rstrip(b"="))
    ]
    for m in _BOUND_VALUE.finditer(text):
        group = next(g for g in ("dq", "sq", "bare") if m.group(g) is not None)
        shows = m.group("key").lower() == b"secret"
        if m.group(group) == _MASK or (shows and _PREVIEWED.fullmatch(m.group(group))):
            continue  # masked already
        spans.append((m.start(group) + start, m.end(group) + start, shows))
    return merge_spans(spans)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Overlapping spans joined; a joined span may preview only if all its parts may."""
    merged: list[Span] = []
    for s_start, s_end, shows in sorted(spans):
        if merged and s_start < merged[-1][1]:
            m_start, m_end, m_shows = merged[-1]
            merged[-1] = (m_start, max(m_end, s_end), m_shows and shows)
        else:
            merged.append((s_start, s_end, shows))
    return merged


def masked(data: bytes, begin: int, end: int, spans: Iterable[Span]) -> str:
    """`data[begin:end]` as text with every span inside it replaced by its preview."""
    pieces: list[str] = []
    cursor = begin
    for s_start, s_end, shows in spans:
        if s_start >= cursor and s_end <= end:
            value = decode(data[s_start:s_end])
            pieces += [decode(data[cursor:s_start]), preview(value) if shows else "…"]
            cursor = s_end
    pieces.append(decode(data[cursor:end]))
    return "".join(pieces)


def redact(text: str) -> str:
    """A text with every secret-shaped value in it replaced by its preview."""
    if _MAY_HOLD.search(text) is None:
        return text
    data = text.encode("utf-8", "surrogatepass")
    spans = token_spans(data)
    return masked(data, 0, len(data), spans) if spans else text


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display(text: str) -> str:
    """Text with control characters (C0 but tab, DEL, C1), bidirectional controls and line or
    paragraph separators written as visible escapes (`\\x1b`, `\\u202e`)."""
    return text if text.isprintable() else _CONTROL.sub(_escape, text)


def _displayed(value: Any) -> Any:
    """A copy of a JSON value with every string, keys included, `display`ed."""
    kind = type(value)
    if kind is str:
        return display(value)
    if kind is dict:
        return {display(k): _displayed(v) for k, v in value.items()}
    if kind is list:
        return [_displayed(v) for v in value]
    return value


def _needs_display(encoded: str) -> bool:
    """Whether JSON text holds a character `display` escapes: raw, or as a JSON escape (after
    an odd run of backslashes; an even run is escaped backslashes)."""
    if not encoded.isprintable():
        return True
    return "\\" in encoded and any(len(m[1]) % 2 for m in _JSON_ESCAPE.finditer(encoded))


def _redacted(item: dict[str, Any], key: str) -> dict[str, Any]:
    text = item.get(key)
    if not isinstance(text, str) or (masked_text := redact(text)) == text:
        return item
    return {**item, key: masked_text}


def clean(doc: dict[str, Any]) -> dict[str, Any]:
    """A result document fit for any output (the caller's is left as it is).

    Every string is `display`ed when the document holds any character to escape (one pass of
    the C JSON encoder tells), and the text quoted from files or servers (snippets, warning
    messages, verification reasons) is `redact`ed as well.
    """
    if _needs_display(json.dumps(doc, ensure_ascii=False)):
        doc = _displayed(doc)
    return {
        **doc,
        "findings": [_redacted(f, "snippet") for f in doc["findings"]],
        "warnings": [_redacted(w, "message") for w in doc["warnings"]],
        "secrets": [
            {**s, "verification": _redacted(s["verification"], "reason")} for s in doc["secrets"]
        ],
    }
