"""Read archive members in memory, never on disk, within budgets that stop decompression bombs.

Zip and its family (jar, war, ear, whl, apk, nupkg...), tar, and gzip/bzip2/xz streams (a
compressed tar, or a single compressed file) are recognised by their first bytes. Member names
are data: they are only ever joined into a reported path, never opened.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Protocol, cast

from zoho_v1_audit.scan.budget import Budget
from zoho_v1_audit.scan.magic import HEAD, Kind, kind_of

_CHUNK = 1 << 20
_SEPARATOR = "!/"
_CORRUPT = (
    zipfile.BadZipFile,
    tarfile.TarError,
    zlib.error,
    lzma.LZMAError,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,  # zipfile: a compression method it cannot read
    RuntimeError,
)


def member_path(archive: str, name: str) -> str:
    """`archive!/name`, with control characters (NUL included) shown as `\\xNN` escapes."""
    name = name.removeprefix("./")
    clean = "".join(c if c >= " " and c != "\x7f" else f"\\x{ord(c):02x}" for c in name)
    return f"{archive}{_SEPARATOR}{clean}"


@dataclass(frozen=True, slots=True)
class Member:
    """A member read into memory, or the reason it was not (`data` None).

    `path` is how reports name it; `name` is the name the archive gives it, unescaped.
    """

    path: str
    data: bytes | None
    reason: str = ""
    message: str | None = None
    name: str = ""


class _Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


@dataclass(slots=True)
class _Counting:
    """A file object that counts the (compressed) bytes read through it."""

    raw: IO[bytes]
    count: int = 0

    def read(self, n: int = -1, /) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


@dataclass(slots=True)
class _Prefixed:
    """A stream with its first bytes, already read, put back in front."""

    head: bytes
    rest: _Readable

    def read(self, n: int = -1, /) -> bytes:
        if not self.head:
            return self.rest.read(n)
        cut = len(self.head) if n < 0 else n
        out, self.head = self.head[:cut], self.head[cut:]
        return out


Cap = Callable[[bytes], int]  # how many bytes of a member to read, given its first bytes


def _read_capped(
    stream: _Readable, cap: Cap, budget: Budget, compressed: Callable[[], int]
) -> tuple[bytes, bool]:
    """A member's bytes, up to the cap its first bytes decide; True when it was longer.

    Every chunk is checked against the compression ratio, so a bomb stops after a MiB or
    so whatever its headers claim.
    """
    data = stream.read(HEAD)
    limit = cap(data)
    while len(data) <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - len(data)))
        if not chunk:
            break
        data += chunk
        budget.ratio(len(data), compressed())
    return data, len(data) > limit


def members(kind: Kind, fh: IO[bytes], path: str, budget: Budget, cap: Cap) -> Iterator[Member]:
    """Every file member of an archive, read within the cap and the budget.

    A corrupt archive or member ends as a Member without data; budgets raise BudgetExceeded.
    """
    try:
        if kind == "zip":
            yield from _zip_members(fh, path, budget, cap)
        else:
            yield from _stream_members(kind, fh, path, budget, cap)
    except _CORRUPT as exc:
        yield Member(path, None, "archive-error", f"cannot read archive: {_why(exc)}")


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _zip_members(fh: IO[bytes], path: str, budget: Budget, cap: Cap) -> Iterator[Member]:
    with zipfile.ZipFile(fh) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            budget.member()
            where = member_path(path, info.filename)
            if info.flag_bits & 0x1:
                yield Member(where, None, "archive-error", "encrypted member not read")
                continue
            budget.ratio(info.file_size, info.compress_size)
            try:
                with zf.open(info) as stream:
                    size = functools.partial(int, info.compress_size)
                    data, over = _read_capped(stream, cap, budget, size)
            except _CORRUPT as exc:
                yield Member(where, None, "archive-error", f"cannot read member: {_why(exc)}")
                continue
            budget.spend(len(data))
            yield _member(path, info.filename, data, over)


def _decompressor(kind: Kind, raw: _Counting) -> _Readable:
    compressed = cast(IO[bytes], raw)  # read() is all the decompressors call
    if kind == "gzip":
        return gzip.GzipFile(fileobj=compressed, mode="rb")
    if kind == "bzip2":
        return bz2.BZ2File(compressed)
    if kind == "xz":
        return lzma.LZMAFile(compressed)
    return raw


def _stream_members(
    kind: Kind, fh: IO[bytes], path: str, budget: Budget, cap: Cap
) -> Iterator[Member]:
    """A tar (plain or compressed) member by member, or a single compressed file."""
    raw = _Counting(fh)
    stream = _decompressor(kind, raw)
    head = stream.read(HEAD)
    if kind != "tar" and kind_of(head) != "tar":
        budget.member()
        name = path.rsplit("/", 1)[-1]
        data, over = _read_capped(_Prefixed(head, stream), cap, budget, lambda: raw.count)
        budget.spend(len(data))
        yield _member(path, name.rsplit(".", 1)[0] if "." in name else name, data, over)
        return
    unpacked = 0
    with tarfile.open(fileobj=_Prefixed(head, stream), mode="r|") as tf:  # type: ignore[call-overload]
        for info in tf:
            if not info.isfile():
                continue
            budget.ratio(unpacked, raw.count)  # the members before, now read through
            budget.member()
            budget.spend(info.size)  # a tar stream is read through every member, even skipped
            unpacked += info.size
            extracted = tf.extractfile(info)
            if extracted is not None:
                data, over = _read_capped(extracted, cap, budget, lambda: raw.count)
                yield _member(path, info.name, data, over)


def _member(archive: str, name: str, data: bytes, over: bool) -> Member:
    where = member_path(archive, name)
    return Member(where, None, "too-large", name=name) if over else Member(where, data, name=name)
