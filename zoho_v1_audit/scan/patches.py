"""Parse a `-U0` patch stream (`git log -p`, `git diff --cached`) into blobs of added lines.

Diff content lines start with `+`, `-`, ` ` or `\\`; everything else (`diff `, `+++ ` before
the first hunk, a commit line starting with NUL) is structure. Tracking whether we are inside a
hunk is enough to tell an added line `++ x` from a file header, with no line counting. Merges
come as combined diffs (`--cc`): one column per parent, and only a line marked `+` against every
parent was written by the merge itself.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator

from zoho_v1_audit.models import Blob, Origin, Stats
from zoho_v1_audit.scan.sources import display_path
from zoho_v1_audit.scan.text import decode

COMMIT_MARK = b"\x00"  # `--format=%x00%H%x00%aN <%aE>%x00%aI`: no diff line starts with NUL
LOG_FORMAT = "--format=%x00%H%x00%aN <%aE>%x00%aI"

_HUNK = re.compile(rb"(@@+) (?:-\d+(?:,\d+)? )+\+(\d+)")
_ESCAPE = re.compile(rb"\\([0-7]{3}|.)", re.DOTALL)
_ESCAPES = {
    ord("a"): 7,
    ord("b"): 8,
    ord("t"): 9,
    ord("n"): 10,
    ord("v"): 11,
    ord("f"): 12,
    ord("r"): 13,
    ord('"'): 34,
    ord("\\"): 92,
}


def unquote_path(raw: bytes) -> bytes:
    """A path as git printed it (C-quoted when it holds unusual bytes), back to raw bytes."""
    if len(raw) < 2 or not (raw.startswith(b'"') and raw.endswith(b'"')):
        return raw

    def unescape(m: re.Match[bytes]) -> bytes:
        code = m.group(1)
        if len(code) == 3:
            return bytes([int(code, 8) & 0xFF])
        return bytes([_ESCAPES.get(code[0], code[0])])

    return _ESCAPE.sub(unescape, raw[1:-1])


def _new_path(line: bytes) -> str | None:
    """The new-side path of a `+++ ` header line, or None for `/dev/null` (a deletion)."""
    raw = line[4:].rstrip(b"\n").rstrip(b"\r")
    if raw.endswith(b"\t"):  # git appends a tab to names that contain spaces
        raw = raw[:-1]
    raw = unquote_path(raw)
    if raw == b"/dev/null":
        return None
    return display_path(os.fsdecode(raw.removeprefix(b"b/")))


def parse_origin(line: bytes) -> Origin:
    """The origin of a commit line written with LOG_FORMAT."""
    commit, author, date = line[1:].rstrip(b"\n").split(b"\x00")
    return Origin(commit=commit.decode("ascii"), author=decode(author), date=date.decode("ascii"))


class _File:
    """Added lines of one file in one commit, collected as they stream by."""

    __slots__ = ("lines", "numbers", "path", "size", "too_large")

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.lines: list[bytes] = []
        self.numbers: list[int] = []
        self.size = 0
        self.too_large = False

    def add(self, text: bytes, number: int, max_size: int) -> None:
        if self.too_large:
            return
        if self.numbers and self.numbers[-1] != number - 1:
            # A gap: an empty line stands for the unseen line above, so an ignore comment on
            # one run of added lines is never taken for the line above another run.
            self.lines.append(b"")
            self.numbers.append(number - 1)
        self.lines.append(text)
        self.numbers.append(number)
        self.size += len(text) + 1
        if self.size > max_size:
            self.too_large = True
            self.lines, self.numbers = [], []


def _blob(file: _File | None, origin: Origin, stats: Stats) -> Blob | None:
    if file is None or file.path is None:
        return None
    if file.too_large:
        stats.skip("too-large")
        return None
    if not file.lines:
        return None
    return Blob(file.path, b"\n".join(file.lines), origin, tuple(file.numbers))


def parse_patches(
    lines: Iterable[bytes], stats: Stats, *, max_size: int, origin: Origin = Origin()
) -> Iterator[Blob]:
    """Blobs of added lines, one per file and commit, in stream order.

    Counts commits (lines starting with NUL) in `stats.commits_scanned` and binary files in
    `stats.files_skipped["binary"]`.
    """
    file: _File | None = None
    in_hunk, width, number = False, 1, 0
    plus = b"+"
    for line in lines:
        if in_hunk:
            head = line[:1]
            if head in (b"+", b"-", b" "):
                if width == 1:
                    if head == b"+":
                        if file is not None:
                            file.add(line[1:].rstrip(b"\n").removesuffix(b"\r"), number, max_size)
                        number += 1
                    elif head == b" ":
                        number += 1
                else:
                    prefix = line[:width]
                    if b"-" in prefix:
                        continue
                    if prefix == plus and file is not None:
                        file.add(line[width:].rstrip(b"\n").removesuffix(b"\r"), number, max_size)
                    number += 1
                continue
            if head == b"\\":  # "\ No newline at end of file"
                continue
            in_hunk = False
        if line.startswith(b"@@"):
            m = _HUNK.match(line)
            if m is not None:
                width = len(m.group(1)) - 1
                plus = b"+" * width
                number = int(m.group(2))
                in_hunk = True
        elif line.startswith(b"diff "):
            blob = _blob(file, origin, stats)
            if blob is not None:
                yield blob
            file = _File(None)
        elif line.startswith(b"+++ "):
            if file is not None:
                file.path = _new_path(line)
        elif line.startswith(b"Binary files ") and not line.rstrip().endswith(b"/dev/null differ"):
            stats.skip("binary")
        elif line.startswith(COMMIT_MARK):
            blob = _blob(file, origin, stats)
            if blob is not None:
                yield blob
            file = None
            origin = parse_origin(line)
            stats.commits_scanned += 1
    blob = _blob(file, origin, stats)
    if blob is not None:
        yield blob
