"""Remote git repositories: cloned once into a cache, fetched on later runs, then scanned locally.

Every git call goes through gitrepo.run_git, so the rules of local git calls hold for clones.
Credentials come only from git itself (credential helpers, the SSH agent, the environment).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

from zoho_v1_audit.errors import AuditError, UsageError
from zoho_v1_audit.scan.gitrepo import run_git

_SCHEMES = ("https://", "ssh://", "git://", "file://")
_SCP = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:(?!//)")  # git@host:org/repo.git
# Set in the new repository before anything is fetched or checked out, kept for later fetches.
_CLONE_CONFIG = ("--config", "core.hooksPath=/dev/null", "--no-recurse-submodules")


def is_remote(target: str) -> bool:
    """Whether a scan target names a remote repository rather than a local path."""
    return target.startswith((*_SCHEMES, "http://")) or bool(_SCP.match(target))


def transport_of(url: str) -> str:
    """The git transport a remote URL uses: https, ssh, git or file."""
    return "ssh" if _SCP.match(url) else url.partition("://")[0]


def check_url(url: str) -> str:
    """The URL, or UsageError when it holds a password or uses plain http."""
    if url.startswith("http://"):
        raise UsageError(f"{url}: plain http:// is not supported; use https:// or ssh")
    if url.startswith(_SCHEMES):
        parts = urlsplit(url)
        if parts.password is not None:
            host = parts.hostname or ""
            raise UsageError(
                f"refused: the URL for {host} holds a password; give git its credentials "
                "through a credential helper, the SSH agent or the environment instead"
            )
    return url


def default_cache_dir() -> Path:
    """The user's cache directory for this tool (XDG on Linux, the usual places elsewhere)."""
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "zoho-v1-audit"


def fetch(url: str, cache_dir: Path) -> Path:
    """A work tree of the remote's default branch: cloned the first time, fetched after."""
    check_url(url)
    repos = cache_dir / "repos"
    dest = repos / hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    if (dest / ".git").is_dir():
        run_git(
            dest,
            *("fetch", "--prune", "--tags", "--force", "--no-recurse-submodules", "origin"),
            transport=transport_of(url),
        )
        head = "refs/remotes/origin/HEAD"
        if run_git(dest, "rev-parse", "--verify", "--quiet", head, ok=(0, 1)).returncode == 0:
            run_git(dest, "reset", "--hard", "--quiet", head)  # an empty remote has no HEAD
        return dest
    repos.mkdir(parents=True, exist_ok=True)
    partial = repos / f"{dest.name}.{os.getpid()}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        run_git(
            repos,
            *("clone", "--quiet", *_CLONE_CONFIG, "--", url, partial.name),
            transport=transport_of(url),
        )
        if not (dest / ".git").is_dir():  # another run may have finished the same clone first
            shutil.rmtree(dest, ignore_errors=True)
            partial.rename(dest)
    except AuditError as exc:
        raise AuditError(f"cannot clone {url}: {exc}") from None
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return dest
