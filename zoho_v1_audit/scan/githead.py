"""What history findings mean today: is each one still in HEAD's tree, and when was a secret removed.

Secret values never reach git: HEAD's files and the lines history deleted are searched in this
process, so no value shows on a command line (where `ps` would show it).
"""

from __future__ import annotations

import base64
import collections
import contextlib
import dataclasses
import hashlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, cast

import ahocorasick_rs

from zoho_v1_audit.errors import AuditError
from zoho_v1_audit.models import Finding, Origin, ScanWarning, Secret, Stats
from zoho_v1_audit.scan.deleted import DeletedLines
from zoho_v1_audit.scan.gitrepo import (
    git_command,
    git_env,
    has_head,
    missing_objects_message,
    run_git,
)
from zoho_v1_audit.scan.gitsource import HISTORY_OPTIONS, stream_git
from zoho_v1_audit.scan.patches import COMMIT_MARK, parse_origin, parse_patches

_MIN_FRAGMENT = 12  # shorter snippet pieces are too common to say a line is still there
_DFA_MAX_NEEDLES = 2000  # a DFA searches ~3x faster but takes ~10 KB per needle


def _automaton(needles: list[bytes]) -> ahocorasick_rs.BytesAhoCorasick:
    """A matcher for every needle, overlapping matches included; a DFA while memory allows."""
    if len(needles) <= _DFA_MAX_NEEDLES:
        return ahocorasick_rs.BytesAhoCorasick(
            needles, implementation=ahocorasick_rs.Implementation.DFA
        )
    return ahocorasick_rs.BytesAhoCorasick(needles)


def secret_forms(value: str) -> tuple[str, ...]:
    """The ways a secret is written in files: as is, and base64-encoded (Kubernetes Secrets)."""
    return (value, base64.b64encode(value.encode("utf-8")).decode("ascii"))


def snippet_needle(snippet: str) -> str | None:
    """The longest verbatim piece of a snippet (redaction and cut-offs are marked with …)."""
    piece = max(snippet.split("…"), key=len).strip()
    return piece if len(piece) >= _MIN_FRAGMENT else None


def _head_entries(cwd: Path) -> list[tuple[bytes, bytes, bytes]]:
    """(mode, object id, path) of every file in HEAD's tree under `cwd`, paths relative to it."""
    listing = run_git(cwd, "ls-tree", "-r", "-z", "HEAD").stdout
    entries = []
    for entry in listing.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.split(b" ")
        if len(fields) == 3 and fields[1] == b"blob":
            entries.append((fields[0], fields[2], path))
    return entries


_READ = 1 << 20  # HEAD's files are searched in pieces of this size: a huge file costs no memory

Search = Callable[[Iterable[bytes]], set[int]]


def _searcher(automaton: ahocorasick_rs.BytesAhoCorasick, longest: int) -> Search:
    """The needles found in a file read in pieces, a needle spanning two pieces included."""

    def search(pieces: Iterable[bytes]) -> set[int]:
        found: set[int] = set()
        tail = b""
        for piece in pieces:
            data = tail + piece if tail else piece
            found.update(i for i, _, _ in automaton.find_matches_as_indexes(data, overlapping=True))
            tail = data[max(0, len(data) - longest + 1) :]
        return found

    return search


def _work_tree_matches(cwd: Path, path: bytes, oid: bytes, search: Search) -> set[int] | None:
    """The needles in the file at `path` under `cwd`, when it is a regular file holding exactly
    blob `oid` (else None).

    Hashing the file as git would is far cheaper than inflating the object, and it needs no
    index: in a fresh clone the index cannot vouch for files written in its own second.
    """
    try:
        fd = os.open(os.path.join(cwd, os.fsdecode(path)), os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        algorithm = hashlib.sha1 if len(oid) == 40 else hashlib.sha256
        digest = algorithm(b"blob %d\0" % info.st_size, usedforsecurity=False)

        def pieces() -> Iterator[bytes]:
            while piece := file.read(_READ):
                digest.update(piece)
                yield piece

        found = search(pieces())
    return found if digest.hexdigest().encode("ascii") == oid else None


def head_matches(cwd: Path, search: Search) -> Generator[set[int], None, None]:
    """`search` run over every distinct file in HEAD's tree under `cwd`, each blob once.

    Files the work tree holds as HEAD has them are read from disk; the others (and all of a
    bare repository's) come from git's object store.
    """
    read: set[bytes] = set()
    from_git: set[bytes] = set()
    for mode, oid, path in _head_entries(cwd):
        if oid in read:
            continue
        found = _work_tree_matches(cwd, path, oid, search) if mode != b"120000" else None
        if found is None:
            from_git.add(oid)
        else:
            read.add(oid)
            yield found
    if from_git - read:
        yield from _git_blob_matches(cwd, sorted(from_git - read), search)


def _git_blob_matches(
    cwd: Path, oids: list[bytes], search: Search
) -> Generator[set[int], None, None]:
    """`search` run over each blob, read in pieces from one `git cat-file --batch`.

    AuditError when git cannot read one (a corrupt or missing object): a file left unread
    would make what it holds, and what the files after it hold, look removed from HEAD.
    """
    # Files, not pipes: git can block neither us writing ids nor itself writing errors.
    with tempfile.TemporaryFile() as ids, tempfile.TemporaryFile() as err:
        ids.write(b"".join(oid + b"\n" for oid in oids))
        ids.seek(0)
        proc = subprocess.Popen(
            git_command("cat-file", "--batch"),
            cwd=cwd,
            stdin=ids,
            stdout=subprocess.PIPE,
            stderr=err,
            env=git_env(),
        )
        out = cast(IO[bytes], proc.stdout)  # stdout=PIPE
        unread: bytes | None = None
        short = False

        def pieces(size: int) -> Iterator[bytes]:
            nonlocal short
            while size > 0:
                piece = out.read(min(size, _READ))
                if not piece:  # git died part-way
                    short = True
                    return
                size -= len(piece)
                yield piece

        try:
            for oid in oids:  # one answer per id, in order
                fields = out.readline(200).split()
                if len(fields) != 3 or not fields[2].isdigit():  # "<oid> missing", git died
                    unread = oid
                    break
                found = search(pieces(int(fields[2])))
                if short:
                    unread = oid
                    break
                yield found
                out.read(1)  # the newline after the content
        finally:
            proc.kill()
            out.close()
            proc.wait()
        if unread is not None:
            err.seek(0)
            raise AuditError(
                f"git cat-file failed: cannot read {unread.decode()} of HEAD "
                f"({missing_objects_message(cwd, err.read())}); `git fsck` tells what else is "
                "damaged"
            )


def present_in_head(cwd: Path, needles: Collection[str]) -> set[str]:
    """The needles that occur in a file of HEAD's tree (under `cwd`).

    Reads HEAD's files from git and searches them here, so needles never leave this process.
    """
    values = sorted({n for n in needles if n})
    if not values or not has_head(cwd):
        return set()
    encoded = [v.encode("utf-8") for v in values]
    search = _searcher(_automaton(encoded), max(map(len, encoded)))
    found: set[int] = set()
    files = head_matches(cwd, search)
    with contextlib.closing(files):
        for matches in files:
            found |= matches
            if len(found) == len(values):
                break
    return {values[i] for i in found}


def _head_history_deletions(cwd: Path, warnings: list[ScanWarning]) -> DeletedLines:
    """The deleted lines of HEAD's history, for scans that read other revisions."""
    deleted = DeletedLines()
    chunks = stream_git(cwd, [*HISTORY_OPTIONS, "--end-of-options", "HEAD"], warnings)
    collections.deque(parse_patches(chunks, Stats(), max_size=0, deleted=deleted), maxlen=0)
    return deleted


def find_removals(deleted: DeletedLines, needles: Mapping[str, Sequence[str]]) -> dict[str, Origin]:
    """For each key, the newest commit in `deleted` that deleted a line holding a needle."""
    owners: list[str] = []
    patterns: list[bytes] = []
    for key, forms in needles.items():
        for form in forms:
            owners.append(key)
            patterns.append(form.encode("utf-8"))
    if not patterns:
        return {}
    automaton = _automaton(patterns)
    removed: dict[str, Origin] = {}
    origin = Origin()
    lines = deleted.lines()
    with contextlib.closing(lines):
        for line in lines:
            if line.startswith(COMMIT_MARK):
                origin = parse_origin(line)
                continue
            for index, _, _ in automaton.find_matches_as_indexes(line, overlapping=True):
                removed.setdefault(owners[index], origin)
            if len(removed) == len(needles):
                break
    return removed


def _needles(finding: Finding) -> tuple[str, ...]:
    if finding.secret is not None:
        return secret_forms(finding.secret)
    needle = snippet_needle(finding.snippet)
    return (needle,) if needle else ()


def mark_head_state(
    cwd: Path,
    findings: list[Finding],
    secrets: list[Secret],
    warnings: list[ScanWarning],
    deleted: DeletedLines | None = None,
) -> list[Finding]:
    """History findings with `in_head` set; secrets gone from HEAD get the commit that removed them.

    `deleted`: the deleted lines of HEAD's history, when the scan read all of it (else they are
    read from git here).

    A finding is in HEAD when its secret (or, without one, its line) is still in HEAD's tree.
    A finding whose line cannot be searched for keeps `in_head` true: it is never hidden.
    """
    present = present_in_head(cwd, {n for f in findings for n in _needles(f)})

    def in_head(finding: Finding) -> bool:
        needles = _needles(finding)
        return not needles or any(n in present for n in needles)

    marked = [
        f
        if in_head(f) == f.location.in_head
        else dataclasses.replace(f, location=dataclasses.replace(f.location, in_head=in_head(f)))
        for f in findings
    ]
    gone = {
        s.id: secret_forms(s.value)
        for s in secrets
        if not any(n in present for n in secret_forms(s.value))
    }
    removals: dict[str, Origin] = {}
    if gone and has_head(cwd):
        with contextlib.ExitStack() as stack:
            if deleted is None:
                deleted = stack.enter_context(
                    contextlib.closing(_head_history_deletions(cwd, warnings))
                )
            removals = find_removals(deleted, gone)
    for secret in secrets:
        if secret.id in gone:
            secret.locations = [dataclasses.replace(loc, in_head=False) for loc in secret.locations]
            secret.removed = removals.get(secret.id)
    return marked
