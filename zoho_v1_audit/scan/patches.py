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
from collections.abc import Callable, Iterable, Iterator, Sequence

from zoho_v1_audit.models import Blob, Origin, Stats
from zoho_v1_audit.scan.deleted import DeletedLines
from zoho_v1_audit.scan.sources import display_path
from zoho_v1_audit.scan.text import SNIFF, decode

COMMIT_MARK = b"\x00"  # `--format=%x00%H%x00%aI%x00%an <%ae>`: no diff line starts with NUL
# The author as the commit records it (%aN would read the repository's .mailmap), last: a line
# cut short by the stream's limit loses only the end of the author.
LOG_FORMAT = "--format=%x00%H%x00%aI%x00%an <%ae>"

_HUNK = re.compile(rb"(@@+) (?:-\d+(?:,\d+)? )+\+(\d+)(?:,(\d+))?")
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
    commit, date, author = line[1:].rstrip(b"\n").split(b"\x00", 2)
    return Origin(commit=commit.decode("ascii"), author=decode(author), date=date.decode("ascii"))


class _File:
    """Added lines of one file in one commit, kept as raw diff lines until the file ends.

    Two-way hunks add one contiguous run of lines, numbered when the run closes; combined
    (merge) hunks interleave lines from the parents, so each added line gets its number. Once
    the added lines pass `max_size` they are dropped, so a huge file costs no memory.
    """

    __slots__ = (
        "index",
        "max_size",
        "numbers",
        "path",
        "pending",
        "prefix",
        "raw",
        "run_start",
        "size",
        "too_large",
    )

    def __init__(self, max_size: int) -> None:
        self.path: str | None = None
        self.raw: list[bytes] = []
        self.numbers: list[int] = []
        self.prefix = b"+"
        self.run_start = 0
        self.pending = 0  # lines of the open two-way run, not numbered yet
        self.index = b""  # a combined diff's `index P1,P2..R` line
        self.max_size = max_size
        self.size = 0  # bytes of added content (prefixes not counted, newlines counted)
        self.too_large = False

    def _keep(self, raw: bytes, lines: int) -> bool:
        """Count `lines` added lines as git wrote them; False once the file is too large."""
        if not self.too_large:
            self.size += len(raw) - lines * len(self.prefix)
            if self.size - 1 > self.max_size:  # the last newline is not content
                self.too_large = True
                self.raw, self.numbers, self.pending = [], [], 0
        return not self.too_large

    def add_run(self, run: bytes) -> None:
        """Added lines of a two-way hunk, as git wrote them (prefix and newline included)."""
        lines = run.count(b"\n") or 1
        if self._keep(run, lines):
            self.raw.append(run)
            self.pending += lines

    def add_line(self, line: bytes, number: int) -> None:
        """One added line of a combined (merge) hunk, at line `number`."""
        self.gap(number)
        if self._keep(line, 1):
            self.raw.append(line)
            self.numbers.append(number)

    def gap(self, number: int) -> None:
        """Before line `number`: when the previous added line is not right above it, an empty
        line stands for the unseen one, so an ignore comment on one run of added lines is never
        taken for the line above another."""
        if self.numbers and self.numbers[-1] != number - 1:
            self.raw.append(self.prefix + b"\n")
            self.numbers.append(number - 1)

    def start_hunk(self, number: int, prefix: bytes, adds: bool) -> None:
        self.close_run()
        self.prefix = prefix
        if adds and len(prefix) == 1:
            self.gap(number)
        self.run_start = number

    def close_run(self) -> None:
        """Number the lines of a two-way hunk (combined hunks number each line as it comes)."""
        if self.pending:
            self.numbers.extend(range(self.run_start, self.run_start + self.pending))
            self.pending = 0

    def blob(self, origin: Origin, stats: Stats) -> Blob | None:
        self.close_run()
        if self.path is None:
            return None
        if self.too_large:
            stats.skip("too-large")
            return None
        if not self.raw:
            return None
        data = b"".join(self.raw)
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        data = data[len(self.prefix) : -1].replace(b"\n" + self.prefix, b"\n")
        if 0 in data[:SNIFF]:  # git was told --text: what is binary is decided here, as for files
            stats.skip("binary")
            return None
        return Blob(self.path, data, origin, tuple(self.numbers))


BlobReader = Callable[[Sequence[bytes]], list[bytes] | None]
"""The content of each blob (by full object id), or None when one is over the size limit."""


def _merge_blob(file: _File, read: BlobReader, origin: Origin, stats: Stats) -> Blob | None:
    """What a merge wrote in a file its combined diff calls binary: the result's lines found in
    no parent. (A combined diff takes the `diff` attribute over --text, so a repository could
    hide a merge's lines with `-diff`.)"""
    parents, _, result = file.index.split()[1].partition(b"..")
    if not result.strip(b"0"):  # the merge deleted the file
        return None
    blobs = read([result, *(oid for oid in parents.split(b",") if oid.strip(b"0"))])
    if blobs is None:
        stats.skip("too-large")
        return None
    content, *olds = (b.replace(b"\r\n", b"\n") for b in blobs)
    seen = {line for old in olds for line in old.split(b"\n")}
    lines = content.removesuffix(b"\n").split(b"\n")
    for number, line in enumerate(lines, 1):
        if line not in seen:
            file.add_line(b"+" + line + b"\n", number)
    return file.blob(origin, stats)


_ADDED_RUN = re.compile(rb"(?:\+[^\n]*\n)+")
_OTHER_RUN = re.compile(rb"(?:[-\\][^\n]*\n)+")  # deleted lines, "\ No newline at end of file"


_TWO_WAY = b"+-\\"  # what a line of a two-way hunk starts with
_GITLINK_MODES = (b"new file mode 160000", b"new mode 160000")


class _Parser:
    """The state between lines of a patch stream: the commit, the file and the hunk being read."""

    def __init__(
        self,
        stats: Stats,
        max_size: int,
        origin: Origin,
        deleted: DeletedLines | None,
        read_blobs: BlobReader | None,
    ) -> None:
        self.stats, self.max_size, self.origin = stats, max_size, origin
        self.deleted, self.read_blobs = deleted, read_blobs
        self.file: _File | None = None
        self.in_hunk, self.width, self.number, self.plus = False, 1, 0, b"+"

    def feed(self, chunk: bytes) -> Iterator[Blob]:
        """The blobs of the files that end in `chunk`, a piece of the stream ending at a line end."""
        pos, size = 0, len(chunk)
        while pos < size:
            if self.in_hunk and self.width == 1:  # a run of added (or deleted) lines, taken whole
                added = chunk[pos] == 43  # "+"
                run = (_ADDED_RUN if added else _OTHER_RUN).match(chunk, pos)
                if run is not None:
                    pos = run.end()
                    if added and self.file is not None:
                        self.file.add_run(run.group())
                    elif not added and self.deleted is not None:
                        self.deleted.add(run.group())
                    continue
            end = chunk.find(b"\n", pos) + 1 or size
            line = chunk[pos:end]
            pos = end
            if self.in_hunk:
                if (self.width > 1 or line[0] in _TWO_WAY) and self._hunk_line(line):
                    continue
                self.in_hunk = False
            blob = self._header(line)
            if blob is not None:
                yield blob

    def _hunk_line(self, line: bytes) -> bool:
        """Take one line of a hunk; False when the line is structure, which ends the hunk."""
        head = line[0]
        if self.width == 1:
            if head == 43 and self.file is not None:  # added, no newline: the stream's end
                self.file.add_run(line)
            return head in (43, 45, 92)
        if head == 92:  # "\ No newline at end of file"
            return True
        if head not in (43, 45, 32):
            return False
        prefix = line[: self.width]  # a combined diff: one column per parent
        if b"-" in prefix:
            if self.deleted is not None:
                self.deleted.add(b"-" + line[self.width :])
        else:
            if prefix == self.plus and self.file is not None:
                self.file.add_line(line, self.number)
            self.number += 1
        return True

    def _header(self, line: bytes) -> Blob | None:
        """Take a structure line; the blob of the file it closes, if any."""
        if line.startswith(b"@@"):
            self._start_hunk(line)
        elif line.startswith(b"diff "):
            blob = self.close()
            self.file = _File(self.max_size)
            if line.startswith(b"diff --cc "):  # `+++ ` follows unless git calls it binary
                self.file.path = display_path(os.fsdecode(unquote_path(line[10:].rstrip(b"\n"))))
            return blob
        elif line.startswith(_GITLINK_MODES) or (
            line.startswith(b"index ") and line.rstrip().endswith(b" 160000")
        ):
            self.file = None  # a gitlink: the commit a submodule is at, not file content
        elif self.file is not None and line.startswith(b"index ") and b"," in line:
            self.file.index = line
        elif self.file is not None and line.startswith(b"+++ "):
            self.file.path = _new_path(line)
        elif self.file is not None and self.file.index and line.startswith(b"Binary files "):
            file, self.file = self.file, None
            return self._binary_merge(file)
        elif line.startswith(COMMIT_MARK):
            blob = self.close()
            self.origin = parse_origin(line)
            self.stats.commits_scanned += 1
            if self.deleted is not None:
                self.deleted.add(line)
            return blob
        return None

    def _start_hunk(self, line: bytes) -> None:
        m = _HUNK.match(line)
        if m is None:
            return
        self.width = len(m.group(1)) - 1
        self.plus = b"+" * self.width
        self.number = int(m.group(2))
        self.in_hunk = True
        if self.file is not None:
            self.file.start_hunk(self.number, self.plus, adds=m.group(3) != b"0")

    def _binary_merge(self, file: _File) -> Blob | None:
        """A combined diff's `Binary files` line: what the merge wrote, read from the blobs."""
        if self.read_blobs is None:
            self.stats.skip("binary")
            return None
        return _merge_blob(file, self.read_blobs, self.origin, self.stats)

    def close(self) -> Blob | None:
        """The blob of the file being read, which ends here."""
        file, self.file = self.file, None
        return None if file is None else file.blob(self.origin, self.stats)


def parse_patches(
    chunks: Iterable[bytes],
    stats: Stats,
    *,
    max_size: int,
    origin: Origin = Origin(),
    deleted: DeletedLines | None = None,
    read_blobs: BlobReader | None = None,
) -> Iterator[Blob]:
    """Blobs of added lines, one per file and commit, in stream order.

    `chunks` are pieces of the stream that end at line ends. Runs of added or deleted lines in
    two-way hunks (nearly all of a history) are taken whole; structure is read line by line.
    Counts commits (lines starting with NUL) in `stats.commits_scanned`, and files whose added
    lines hold a NUL byte near their start (binary, as for files, whatever the repository's
    attributes say) or pass `max_size` in `stats.files_skipped`. With `deleted`, keeps the commit
    lines and the deleted lines there (a merge's as `-` and the content).
    """
    parser = _Parser(stats, max_size, origin, deleted, read_blobs)
    for chunk in chunks:
        yield from parser.feed(chunk)
    blob = parser.close()
    if blob is not None:
        yield blob
