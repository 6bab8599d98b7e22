"""Read the small files that configuration names: regular files only, size-capped, never blocking.

A scanned repository chooses these paths, so a symlink to `/dev/zero`, a FIFO or a file outside
the repository must end in a clear error instead of exhausting memory, hanging or leaking.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from zoho_v1_audit.errors import AuditError, ConfigError, reason

MAX_CONFIG_BYTES = 1 << 20  # a configuration, rule or CODEOWNERS file larger than this is refused
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, with every symbolic link resolved, lies under `root`."""
    return path.resolve().is_relative_to(root.resolve())


def read_limited(
    path: Path,
    what: str,
    *,
    inside: Path | None = None,
    limit: int = MAX_CONFIG_BYTES,
    error: type[AuditError] = ConfigError,
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes, else `error` naming the file.

    With `inside`, the file (its links resolved) must lie under that directory.
    """
    if inside is not None and not is_inside(path, inside):
        raise error(f"{path}: {what} outside the scanned repository ({inside}) is refused")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise error(f"{path}: cannot read {what}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise error(f"{path}: {what} is not a regular file")
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise error(f"{path}: {what} is larger than {limit // 1024} KiB")
    return data


def parse_yaml(raw: bytes, path: Path, error: type[AuditError]) -> Any:
    """The YAML in a file's bytes, whatever they are; anything malformed is `error` naming it."""
    try:
        return yaml.load(raw.decode("utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    # ValueError: undecodable bytes, an integer too long to convert; OverflowError: an escape
    # beyond Unicode (the pure-Python loader); RecursionError: nesting too deep
    except yaml.MarkedYAMLError as exc:
        line = f" (line {exc.problem_mark.line + 1})" if exc.problem_mark else ""
        raise error(f"{path}: not valid YAML{line}: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as exc:
        raise error(f"{path}: not valid YAML: {reason(exc).splitlines()[0]}") from None
