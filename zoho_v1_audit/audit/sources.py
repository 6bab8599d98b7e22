"""What `audit` scans: repository URLs and paths, `@FILE` lists, each with a normalised key.

The key names a repository in the database whatever spelling reached it (`https://`, `ssh://`,
`git@host:`, a trailing `.git` or `/`, a user name), and decides its shard.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.redact import display
from zoho_v1_audit.scan.remote import check_url, is_remote

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
PARALLEL_REPOSITORIES = 4  # audited at once: clones mostly wait on the network


@dataclass(frozen=True, slots=True)
class Listing:
    """Which repositories of an organisation to audit."""

    archived: bool = True  # archived repositories still hold their tokens
    forks: bool = False  # a fork mostly repeats its upstream


@dataclass(frozen=True, slots=True)
class Forges:
    """The GitHub organisations and GitLab groups to list, and through which APIs."""

    github_orgs: tuple[str, ...] = ()
    gitlab_groups: tuple[str, ...] = ()
    github_api: str = GITHUB_API
    gitlab_api: str = GITLAB_API
    listing: Listing = Listing()


_SCP = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>.*)$")  # git@host:org/repo.git
_SHARD = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True, slots=True)
class Source:
    """One repository to audit."""

    key: str  # normalised: the database's name for it, and its shard's hash input
    target: str  # what is cloned (a URL) or read (a local path)

    @property
    def remote(self) -> bool:
        """Whether the target is cloned into the cache first."""
        return is_remote(self.target)

    @property
    def name(self) -> str:
        """A short label for reports: `org/repo` for a URL, the directory name for a path."""
        parts = self.key.split("/")
        hosted = not self.key.startswith("/") and len(parts) > 2  # host/org/repo, not a path
        return "/".join(parts[-2:]) if hosted else parts[-1] or self.key


def normalise(target: str) -> str:
    """The key of a URL (`host[:port]/path`, a file URL's path) or a local path (resolved)."""
    if not is_remote(target):
        return Path(target).resolve().as_posix()
    if "://" in target:
        parts = urlsplit(target)
        if parts.scheme == "file":
            return Path(parts.path).resolve().as_posix()
        host = (parts.hostname or "").lower()
        port = f":{parts.port}" if parts.port else ""
        where, path = host + port, parts.path
    else:
        match = _SCP.match(target)
        if match is None:  # is_remote accepted it, so this does not happen
            raise UsageError(f"not a repository URL: {target!r}")
        where, path = match["host"].lower(), match["path"]
    path = path.strip("/").removesuffix(".git").rstrip("/")
    return f"{where}/{path}"


def read_list(path: Path) -> list[str]:
    """Sources listed in a file, one a line; blank lines and `#` comments are skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the source list {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: the source list is not UTF-8 text") from None
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def parse_sources(args: Iterable[str]) -> list[Source]:
    """Sources in the order given, `@FILE` lists expanded, each repository once."""
    seen: dict[str, Source] = {}
    for arg in args:
        for target in read_list(Path(arg[1:])) if arg.startswith("@") else [arg]:
            if target.startswith("-"):
                raise UsageError(f"not a repository: {display(target)!r}")
            if is_remote(target):
                check_url(target)
            source = Source(normalise(target), target)
            seen.setdefault(source.key, source)
    return list(seen.values())


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` (1 <= I <= N) as (I, N), or UsageError."""
    match = _SHARD.match(text.strip())
    if match is None or not 1 <= int(match[1]) <= int(match[2]):
        raise UsageError(f"--shard must be I/N with 1 <= I <= N, e.g. 2/4 (got {text!r})")
    return int(match[1]), int(match[2])


def shard_of(source: Source, count: int) -> int:
    """The shard (1..count) a source belongs to: a hash of its key, not its place in a list."""
    digest = hashlib.sha256(source.key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def in_shard(sources: Sequence[Source], shard: tuple[int, int] | None) -> list[Source]:
    """The sources shard `I/N` audits (all of them without a shard)."""
    if shard is None:
        return list(sources)
    index, count = shard
    return [s for s in sources if shard_of(s, count) == index]


def choose(targets: Sequence[str], shard: tuple[int, int] | None) -> list[Source]:
    """The repositories to audit: every target parsed, then those of the shard."""
    if not targets:
        raise UsageError(
            "nothing to audit: give repositories, @FILE, --github-org or --gitlab-group"
        )
    return in_shard(parse_sources(targets), shard)
