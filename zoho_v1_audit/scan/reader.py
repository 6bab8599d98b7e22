"""Read a file into blobs: text as it is, archives member by member, binaries as strings."""

from __future__ import annotations

import functools
import io
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pathspec

from zoho_v1_audit.models import Blob, Origin
from zoho_v1_audit.scan.budget import Budget, BudgetExceeded, Limits
from zoho_v1_audit.scan.magic import HEAD, Kind, is_media, kind_of
from zoho_v1_audit.scan.sources import STDIN, FileTask, Skip
from zoho_v1_audit.scan.text import scannable

if TYPE_CHECKING:
    from zoho_v1_audit.scan.archives import Cap, Member
    from zoho_v1_audit.scan.image import Image, Opener

# Archive, image and binary support is imported when a file needs it, so that a tree of text
# files does not pay for loading zipfile, tarfile and the decompressors.
_CHUNK = 1 << 20  # bytes read at a time from a file larger than it said


@dataclass(frozen=True, slots=True)
class Reading:
    """How files are read: the size limit, archive budgets, and member paths to skip."""

    max_size: int
    limits: Limits = field(default_factory=Limits)
    excludes: tuple[str, ...] = ()

    def excluded(self, path: str) -> bool:
        """Whether an archive member's path matches an exclude glob."""
        return bool(self.excludes) and _spec(self.excludes).match_file(path)


@functools.lru_cache(maxsize=4)
def _spec(lines: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def read_blobs(task: FileTask, reading: Reading) -> Iterator[Blob | Skip]:
    """The scannable blobs of one file (several for an archive), and what was skipped."""
    try:
        with _open(task) as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > reading.max_size:
                kind = kind_of(fh.read(HEAD))
                if kind is None or reading.limits.max_depth == 0:
                    yield Skip(task.path, "too-large")
                    return
                fh.seek(0)  # a large archive is read member by member from the file
                yield from _archive(task.path, kind, fh, reading, None, 0)
                return
            # What fstat said and a byte more; then chunks, never a `max_size` buffer at once.
            data = fh.read(size + 1)
            while len(data) <= reading.max_size and (
                more := fh.read(min(_CHUNK, reading.max_size + 1 - len(data)))
            ):
                data += more
    except IsADirectoryError:  # an OCI image layout named on the command line
        yield from _image_dir(task.path, Path(task.disk_path), reading)
        return
    except OSError as exc:
        yield Skip(task.path, "unreadable", f"cannot read: {exc.strerror or exc}")
        return
    if len(data) > reading.max_size:
        yield Skip(task.path, "too-large")
        return
    yield from _expand(task.path, data, reading, None, 0)


def _open(task: FileTask) -> IO[bytes]:
    if task.disk_path == STDIN:
        return open(sys.stdin.fileno(), "rb", closefd=False)
    return open(task.disk_path, "rb")


def _expand(
    path: str, data: bytes, reading: Reading, budget: Budget | None, depth: int
) -> Iterator[Blob | Skip]:
    """A file's bytes as blobs: an archive's members, text, or a binary's printable strings."""
    kind = kind_of(data[:HEAD])
    if kind is not None and reading.limits.max_depth > 0:
        if depth >= reading.limits.max_depth:
            yield Skip(path, "archive-depth", f"archive not opened: --max-archive-depth is {depth}")
        else:
            yield from _archive(path, kind, io.BytesIO(data), reading, budget, depth)
        return
    text = scannable(data)
    if text is not None:
        yield Blob(path, text)
    elif is_media(data[:HEAD]):
        yield Skip(path, "media")
    else:
        from zoho_v1_audit.scan.binary import strings

        text, segments = strings(data)
        yield Blob(path, text, binary=segments)


def _archive(
    path: str,
    kind: Kind,
    fh: IO[bytes],
    reading: Reading,
    budget: Budget | None,
    depth: int,
) -> Iterator[Blob | Skip]:
    """An archive's members, each expanded in turn; a budget ends the outermost archive.

    An uncompressed tar named in the tree may be a container image: then its layers are read.
    """
    if budget is None:
        if kind == "tar" and (image := _image_tar(path, fh, reading)) is not None:
            yield from image
            return
        outer = Budget(reading.limits)
        try:
            yield from _archive(path, kind, fh, reading, outer, depth)
        except BudgetExceeded as exc:
            yield Skip(path, "archive-budget", f"archive partly scanned: {exc}")
        return
    from zoho_v1_audit.scan.archives import members

    for member in members(kind, fh, path, budget, _cap(reading, depth)):
        yield from _member_blobs(member, reading, budget, depth)


def _cap(reading: Reading, depth: int) -> Cap:
    """How much of a member to read: a nested archive that will be opened gets more room."""
    limits = reading.limits

    def cap(head: bytes) -> int:
        nested = kind_of(head) is not None and depth + 1 < limits.max_depth
        return limits.max_nested if nested else reading.max_size

    return cap


def _member_blobs(
    member: Member, reading: Reading, budget: Budget, depth: int
) -> Iterator[Blob | Skip]:
    if reading.excluded(member.path):
        yield Skip(member.path, "excluded")
    elif member.data is None:
        yield Skip(member.path, member.reason, member.message)
    else:
        yield from _expand(member.path, member.data, reading, budget, depth + 1)


def _image_tar(path: str, fh: IO[bytes], reading: Reading) -> Iterator[Blob | Skip] | None:
    """A container image's blobs when the tar holds one (else None, the file rewound)."""
    import tarfile

    from zoho_v1_audit.scan.image import ImageError, read_image, tar_opener

    try:
        open_ = tar_opener(tarfile.TarFile(fileobj=fh), reading.limits.max_members)
        found = read_image(open_)
    except (tarfile.TarError, OSError, ImageError):
        found = None
    fh.seek(0)
    if found is None:
        return None
    return _image_blobs(path, found, open_, reading)


def _image_dir(path: str, root: Path, reading: Reading) -> Iterator[Blob | Skip]:
    from zoho_v1_audit.scan.image import ImageError, dir_opener, read_image

    open_ = dir_opener(root)
    try:
        image = read_image(open_)
    except ImageError as exc:
        yield Skip(path, "image-error", f"cannot read image: {exc}")
        return
    if image is not None:
        yield from _image_blobs(path, image, open_, reading)


def _image_blobs(path: str, image: Image, open_: Opener, reading: Reading) -> Iterator[Blob | Skip]:
    """The config listing, then every layer newest first, each file tagged with its layer."""
    from zoho_v1_audit.scan.archives import member_path, members
    from zoho_v1_audit.scan.image import ImageError, Overlay, is_whiteout

    yield Blob(member_path(path, "config"), image.config)
    overlay = Overlay(set(), set())
    for layer in reversed(image.layers):
        try:
            fh = open_(layer.name)
        except ImageError as exc:
            yield Skip(member_path(path, layer.name), "image-error", f"layer not read: {exc}")
            continue
        if fh is None:
            yield Skip(member_path(path, layer.name), "image-error", "layer missing from the image")
            continue
        names: list[str] = []
        budget = Budget(reading.limits)
        with fh:
            kind = kind_of(fh.read(HEAD))
            fh.seek(0)
            if kind is None:
                yield Skip(
                    member_path(path, layer.name), "image-error", "layer format not readable"
                )
                continue
            try:
                for member in members(kind, fh, path, budget, _cap(reading, 0)):
                    names.append(member.name)
                    if is_whiteout(member.name):
                        continue
                    origin = Origin(
                        layer=layer.digest, in_final_image=not overlay.hidden(member.name)
                    )
                    for blob in _member_blobs(member, reading, budget, 0):
                        yield replace(blob, origin=origin) if isinstance(blob, Blob) else blob
            except BudgetExceeded as exc:
                yield Skip(path, "archive-budget", f"layer {layer.digest} partly scanned: {exc}")
        overlay.cover(names)
