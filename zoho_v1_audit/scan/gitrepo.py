"""Run git safely: find the repository, check revisions, start streams, turn failures into errors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from zoho_v1_audit.errors import AuditError, UsageError

# Settings that would change the bytes of `git log -p` / `git diff` output from under the parser.
_STABLE = {
    "core.quotePath": "false",
    "color.ui": "never",
    "diff.noprefix": "false",
    "diff.mnemonicPrefix": "false",
    "diff.suppressBlankEmpty": "false",
    "diff.submodule": "short",
    "log.showSignature": "false",
    "log.mailmap": "false",
}

# The scanned repository is untrusted, `.git/` included: its configuration must not run a
# command, read a file of its choosing or reach the network. Command-line settings win over the
# repository's own (and its includes'); the user's global and system settings stay as they are.
# Settings named after a driver (`diff.<driver>.*`, `filter.<driver>.*`) cannot all be listed:
# the commands the scan runs never use them (blobs are read as stored; patches are made with
# --no-ext-diff, --no-textconv and --text).
_NEUTRAL = {
    "core.fsmonitor": "false",
    "core.hooksPath": "/dev/null",
    "core.sshCommand": "false",
    "core.askPass": "",
    "credential.helper": "",
    "core.attributesFile": "/dev/null",
    "core.commitGraph": "false",  # a crafted commit-graph file could lie about parents
    "diff.orderFile": "/dev/null",
    "gc.auto": "0",
    "maintenance.auto": "false",
    "advice.graftFileDeprecated": "false",
}

_ENV = {
    "GIT_OPTIONAL_LOCKS": "0",
    "LC_ALL": "C",  # git's warnings are recognised by their English prefix
    "GIT_NO_REPLACE_OBJECTS": "1",  # refs/replace/* cannot swap a commit for a clean one
    "GIT_GRAFT_FILE": "/dev/null",  # nor can info/grafts cut history off
    "GIT_ALLOW_PROTOCOL": "",  # no transport at all: no fetch, no ssh, no helper
    "GIT_NO_LAZY_FETCH": "1",  # a partial clone does not fetch what it lacks (git >= 2.44)
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_PAGER": "cat",
}
_ENV_DROPPED = ("GIT_EXTERNAL_DIFF", "GIT_SSH", "GIT_SSH_COMMAND", "GIT_PROXY_COMMAND")


# What a clone or fetch of a URL the user named may use: the user's own credential helpers and
# SSH settings (the repository being cloned has no configuration of its own yet).
_USERS_FOR_TRANSPORT = ("core.sshCommand", "credential.helper")


def git_env(transport: str | None = None) -> dict[str, str]:
    """The caller's environment (a hook's GIT_INDEX_FILE must reach git) with the safety policy;
    `transport` is the one protocol a clone or fetch may use (none otherwise)."""
    env = {k: v for k, v in os.environ.items() if k not in _ENV_DROPPED}
    allowed = {"GIT_ALLOW_PROTOCOL": transport} if transport else {}
    return {**env, **_ENV, **allowed}


def git_command(*args: str, hooks_path: bool = False, transport: str | None = None) -> list[str]:
    """A git command line with output-stabilising settings and the repository's commands off.

    `hooks_path` keeps the repository's core.hooksPath, to find where its hooks live;
    `transport` lets a clone or fetch authenticate as the user would.
    """
    settings = {**_STABLE, **_NEUTRAL}
    if hooks_path:
        del settings["core.hooksPath"]
    if transport:
        for key in _USERS_FOR_TRANSPORT:
            del settings[key]
    options = [arg for key, value in settings.items() for arg in ("-c", f"{key}={value}")]
    return ["git", "--no-pager", "--no-replace-objects", *options, *args]


# A short command (rev-parse, ls-tree, config) that takes longer is waiting for something, e.g.
# a configuration include naming a FIFO: every git command reads the repository's config first.
SHORT_TIMEOUT = 60.0
NETWORK_TIMEOUT = 3600.0  # a clone of a large repository over a slow link


def _run(
    cwd: Path,
    args: tuple[str, ...],
    stdin: bytes | None,
    hooks_path: bool,
    transport: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a short git command to its end, at most SHORT_TIMEOUT seconds (a clone or fetch:
    NETWORK_TIMEOUT)."""
    try:
        return subprocess.run(
            git_command(*args, hooks_path=hooks_path, transport=transport),
            cwd=cwd,
            input=stdin,
            capture_output=True,
            env=git_env(transport),
            timeout=NETWORK_TIMEOUT if transport else SHORT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(
            "git is not installed (or not on PATH); --git and --staged need it"
        ) from None
    except subprocess.TimeoutExpired:
        raise AuditError(
            f"git {args[0]} did not finish in {SHORT_TIMEOUT:g} s: is the repository's "
            "configuration including a FIFO or a file on a stalled file system (include.path)?"
        ) from None


def run_git(
    cwd: Path,
    *args: str,
    stdin: bytes | None = None,
    ok: tuple[int, ...] = (0,),
    hooks_path: bool = False,
    transport: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run a short git command; AuditError with git's own message when it fails. Only a clone
    or fetch names the `transport` (https, ssh, git or file) it may use."""
    proc = _run(cwd, args, stdin, hooks_path, transport)
    if proc.returncode not in ok:
        raise AuditError(f"git {args[0]} failed: {git_message(proc.stderr)}")
    return proc


def git_message(stderr: bytes) -> str:
    """The last meaningful line git wrote to stderr."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith("fatal: ")][:1]  # the cause, not the advice
    return (fatal or lines or ["no message"])[-1].removeprefix("fatal: ")


def missing_objects_message(cwd: Path, stderr: bytes) -> str:
    """git's message, and in a partial clone why objects are missing: the scan never fetches."""
    message = git_message(stderr)
    promisors = run_git(
        cwd,
        "config",
        "--get-regexp",
        r"^(extensions\.partialclone|remote\..*\.promisor)$",
        ok=(0, 1),
    )
    if not promisors.stdout.strip():
        return message
    return (
        f"{message}; this is a partial clone and the scan never fetches what it lacks: "
        "scan a full clone (git clone without --filter)"
    )


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
    proc = _run(cwd, ("rev-parse", "--is-bare-repository", "--is-inside-work-tree"), None, False)
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
