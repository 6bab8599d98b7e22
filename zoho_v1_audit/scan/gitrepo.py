"""Run git safely: find the repository, check revisions, start streams, turn failures into errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from zoho_v1_audit.errors import AuditError, UsageError

# Settings that would change the bytes of `git log -p` / `git diff` output from under the parser.
_STABLE = (
    "-c",
    "core.quotePath=false",
    "-c",
    "color.ui=never",
    "-c",
    "diff.noprefix=false",
    "-c",
    "diff.mnemonicPrefix=false",
    "-c",
    "diff.suppressBlankEmpty=false",
    "-c",
    "log.showSignature=false",
)


def git_env() -> dict[str, str]:
    """The caller's environment (a hook's GIT_INDEX_FILE must reach git), without optional
    locks, with git's messages in English (its warnings are recognised by their prefix)."""
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def git_command(*args: str) -> list[str]:
    """A git command line with output-stabilising settings."""
    return ["git", *_STABLE, *args]


def run_git(
    cwd: Path, *args: str, stdin: bytes | None = None, ok: tuple[int, ...] = (0,)
) -> subprocess.CompletedProcess[bytes]:
    """Run a short git command; AuditError with git's own message when it fails."""
    try:
        proc = subprocess.run(
            git_command(*args),
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(
            "git is not installed (or not on PATH); --git and --staged need it"
        ) from None
    if proc.returncode not in ok:
        raise AuditError(f"git {args[0]} failed: {git_message(proc.stderr)}")
    return proc


def git_message(stderr: bytes) -> str:
    """The last meaningful line git wrote to stderr."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith("fatal: ")][:1]  # the cause, not the advice
    return (fatal or lines or ["no message"])[-1].removeprefix("fatal: ")


def scan_dir(path: Path) -> Path:
    """`path`, checked to be a directory: git commands run there and see what is below it."""
    if not path.exists():
        raise UsageError(f"path not found: {path}")
    if not path.is_dir():
        raise UsageError(f"{path} is a file: give a directory of the repository")
    return path


def require_repo(path: Path, *, work_tree: bool) -> Path:
    """The directory to run git in, or UsageError when `path` is not in a git repository.

    History scans also accept a bare repository (a mirror clone); staged scans need a work tree.
    """
    cwd = scan_dir(path)
    try:
        proc = subprocess.run(
            git_command("rev-parse", "--is-bare-repository", "--is-inside-work-tree"),
            cwd=cwd,
            capture_output=True,
            env=git_env(),
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(
            "git is not installed (or not on PATH); --git and --staged need it"
        ) from None
    if proc.returncode != 0:
        raise UsageError(
            f"{path} is not in a git repository ({git_message(proc.stderr)}); "
            "--git and --staged scan a repository's history or index"
        )
    bare, inside = proc.stdout.decode().split()
    if work_tree and inside != "true":
        raise UsageError(f"{path}: --staged needs a work tree with an index, not a bare repository")
    if bare != "true" and inside != "true":
        raise UsageError(f"{path} is inside a .git directory; scan the work tree instead")
    return cwd


def has_head(cwd: Path) -> bool:
    """Whether HEAD names a commit (false in a repository without commits)."""
    return run_git(cwd, "rev-parse", "--verify", "--quiet", "HEAD", ok=(0, 1)).returncode == 0


def check_revision(cwd: Path, rev: str, option: str) -> None:
    """UsageError unless `rev` names a commit (and is not an option in disguise)."""
    if not rev or rev.startswith("-"):
        raise UsageError(f"{option}: not a revision: {rev!r}")
    found = run_git(cwd, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", ok=(0, 1))
    if found.returncode != 0:
        raise UsageError(f"{option}: unknown revision {rev!r} in this repository")


def revision_args(
    cwd: Path, *, since: str | None, rev_range: str | None, all_branches: bool
) -> list[str]:
    """`git log` revision arguments for the history options, each revision checked first."""
    if since is not None and rev_range is not None:
        raise UsageError("--since and --range cannot be used together")
    revs: list[str] = []
    if rev_range is not None:
        sep = "..." if "..." in rev_range else ".."
        start, found, end = rev_range.partition(sep)
        if not found:
            raise UsageError(f"--range: expected A..B, got {rev_range!r}")
        for rev in (start, end):
            if rev:  # an empty side means HEAD, as in git
                check_revision(cwd, rev, "--range")
        revs.append(rev_range)
    elif since is not None:
        check_revision(cwd, since, "--since")
        revs.append(f"^{since}")
    if all_branches:
        return ["--all", "--end-of-options", *revs]
    if rev_range is None:
        revs.append("HEAD")
    return ["--end-of-options", *revs]


def shallow_boundary(cwd: Path) -> list[str]:
    """The commits where a shallow clone's history is cut off (empty for a full clone)."""
    shallow = run_git(cwd, "rev-parse", "--is-shallow-repository").stdout.strip()
    if shallow != b"true":
        return []
    path = run_git(cwd, "rev-parse", "--git-path", "shallow").stdout.decode().strip()
    try:
        return (cwd / path).read_text(encoding="ascii").split()
    except OSError:
        return []
