"""Git sources: the added lines of every commit in history, or of the index, as blobs.

Both stream one `-U0` patch from git and parse it line by line, so memory stays flat however
long the history is. Paths are relative to the scanned directory (`--relative`).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import subprocess
import tempfile
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from zoho_v1_audit.errors import AuditError
from zoho_v1_audit.models import Blob, ScanWarning, Stats
from zoho_v1_audit.scan.deleted import DeletedLines
from zoho_v1_audit.scan.gitrepo import (
    git_command,
    git_env,
    has_head,
    missing_objects_message,
    require_repo,
    revision_args,
    run_git,
    shallow_boundary,
)
from zoho_v1_audit.scan.patches import LOG_FORMAT, BlobReader, parse_patches

# Options shared by every patch git writes for us: added lines only, real bytes, fixed prefixes.
# --text: every file is shown as it is stored, whatever the repository's attributes say (`-diff`,
# `binary`, a diff driver); the parser tells binary content itself.
PATCH_OPTIONS = (
    "-p",
    "-U0",
    "-M",
    "--text",
    "--full-index",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
)
HISTORY_OPTIONS = ("log", *PATCH_OPTIONS, "--cc", "--root", LOG_FORMAT)


_CHUNK = 1 << 16
_PIPE_SIZE = 1 << 20  # Linux's default ceiling for an unprivileged process
_LINE_MARGIN = 1 << 20  # a line this much longer than the file size limit is cut short


def _widen_pipe(fd: int) -> None:
    """Let git write ahead while a chunk is being searched, where the system allows it."""
    with contextlib.suppress(OSError, AttributeError):  # not Linux, or over the user's quota
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


def stream_git(
    cwd: Path, args: list[str], warnings: list[ScanWarning], *, max_size: int = 0
) -> Generator[bytes, None, None]:
    """A git command's output as it comes, in chunks that end at line ends; AuditError if git
    fails.

    A line longer than `max_size` + 1 MiB is cut to about that length (its file is too large to
    scan anyway), so one huge line never sits whole in memory. Stops git when the consumer stops
    early. git's warnings (e.g. rename detection skipped) become scan warnings.
    """
    max_line = max_size + _LINE_MARGIN
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            git_command(*args), cwd=cwd, stdout=subprocess.PIPE, stderr=err, env=git_env()
        )
        stdout = cast(io.BufferedReader, proc.stdout)  # stdout=PIPE, buffered
        _widen_pipe(stdout.fileno())
        finished = False
        try:
            pending: list[bytes] = []  # a line longer than a chunk, in pieces (joined once)
            held = 0
            while chunk := stdout.read1(_CHUNK):
                cut = chunk.rfind(b"\n") + 1
                if not cut:
                    if held <= max_line:
                        pending.append(chunk)
                        held += len(chunk)
                    continue
                if held > max_line:  # the rest of a line cut short is dropped
                    yield b"".join([*pending, b"\n", chunk[chunk.find(b"\n") + 1 : cut]])
                else:
                    yield b"".join([*pending, chunk[:cut]])
                pending = [chunk[cut:]]
                held = len(pending[0])
            if any(pending):
                yield b"".join(pending)
            finished = True
        finally:
            if not finished:
                proc.kill()
            stdout.close()
            code = proc.wait()
        err.seek(0)
        stderr = err.read()
    if code != 0:
        raise AuditError(f"git {args[0]} failed: {missing_objects_message(cwd, stderr)}")
    warnings.extend(
        ScanWarning(".", f"git: {line.removeprefix('warning: ')}")
        for line in stderr.decode("utf-8", "replace").splitlines()
        if line.startswith("warning: ")
    )


def _no_head_message(cwd: Path) -> str:
    """Why there is no history to scan: no commits at all, or HEAD on a branch without any."""
    if not run_git(cwd, "for-each-ref", "--count=1", "--format=%(refname)").stdout.strip():
        return "the repository has no commits yet: no history to scan"
    branch = run_git(cwd, "symbolic-ref", "--quiet", "--short", "HEAD", ok=(0, 1)).stdout
    return (
        f"HEAD is on branch {branch.decode('utf-8', 'replace').strip() or '?'}, which was never "
        "committed to: no history to scan; other branches have commits: scan them with "
        "--all-branches"
    )


def _shallow_warning(cwd: Path, warnings: list[ScanWarning]) -> None:
    boundary = shallow_boundary(cwd)
    if boundary:
        shown = ", ".join(c[:12] for c in boundary[:3]) + (" …" if len(boundary) > 3 else "")
        warnings.append(
            ScanWarning(
                ".",
                f"shallow clone: history before {shown} is not in this clone and was not scanned; "
                "files at that cut-off are scanned as if added there (their real commits are "
                "unknown). Run `git fetch --unshallow` to scan the whole history.",
            )
        )


def blob_reader(cwd: Path, max_size: int) -> BlobReader:
    """Reads blobs from git's object store (no filter runs), refusing any over `max_size`."""

    def read(oids: Sequence[bytes]) -> list[bytes] | None:
        ids = b"".join(oid + b"\n" for oid in oids)
        sizes = run_git(cwd, "cat-file", "--batch-check=%(objectsize)", stdin=ids).stdout.split()
        if not all(size.isdigit() for size in sizes):  # "<oid> missing"
            raise AuditError(f"git cat-file failed: cannot read {b' '.join(oids).decode()}")
        if any(int(size) > max_size for size in sizes):
            return None
        out = run_git(cwd, "cat-file", "--batch", stdin=ids).stdout
        blobs, pos = [], 0
        for size in map(int, sizes):
            start = out.index(b"\n", pos) + 1
            blobs.append(out[start : start + size])
            pos = start + size + 1
        return blobs

    return read


@dataclass(frozen=True, slots=True)
class GitOptions:
    """Which changes a `--git` (history) or `--staged` (index) scan reads."""

    staged: bool = False
    since: str | None = None
    rev_range: str | None = None
    all_branches: bool = False

    @property
    def reads_head(self) -> bool:
        """Whether the scan reads HEAD's own history (so removals from HEAD can be dated)."""
        return not (self.staged or self.rev_range or self.all_branches)


def iter_history_blobs(
    repo: Path,
    git: GitOptions,
    stats: Stats,
    warnings: list[ScanWarning],
    *,
    max_size: int,
    deleted: DeletedLines | None = None,
) -> Iterator[Blob]:
    """The added lines of each file in each commit, newest commit first.

    `since` scans the commits after a revision, `rev_range` a range `A..B`, `all_branches` every
    ref (branches, tags, remote-tracking branches) instead of HEAD. Merge commits contribute only
    the lines the merge itself wrote; `deleted` keeps the deleted lines. Raises UsageError
    outside a git repository.
    """
    cwd = require_repo(repo, work_tree=False)
    revs = revision_args(
        cwd, since=git.since, rev_range=git.rev_range, all_branches=git.all_branches
    )
    if not git.all_branches and git.rev_range is None and not has_head(cwd):
        warnings.append(ScanWarning(".", _no_head_message(cwd)))
        return
    _shallow_warning(cwd, warnings)
    chunks = stream_git(cwd, [*HISTORY_OPTIONS, *revs], warnings, max_size=max_size)
    yield from parse_patches(
        chunks, stats, max_size=max_size, deleted=deleted, read_blobs=blob_reader(cwd, max_size)
    )


def iter_staged_blobs(
    repo: Path, stats: Stats, warnings: list[ScanWarning], *, max_size: int
) -> Iterator[Blob]:
    """The lines that the next commit adds: the index against HEAD (or against nothing yet).

    Inside a hook git points GIT_INDEX_FILE at the index being committed (`commit -a`,
    `commit PATHS`); it is passed through, so this is exactly what is about to be committed.
    """
    cwd = require_repo(repo, work_tree=True)
    chunks = stream_git(cwd, ["diff", "--cached", *PATCH_OPTIONS], warnings, max_size=max_size)
    yield from parse_patches(chunks, stats, max_size=max_size)
