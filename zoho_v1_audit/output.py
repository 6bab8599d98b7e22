"""Write outputs atomically: a reader sees the old files or all the new ones, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from zoho_v1_audit.errors import UsageError


def _mode_for(path: Path) -> int:
    """The mode of the file being replaced, else the usual mode of a new file (the umask's)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def _stage(path: Path, text: str, private: bool) -> str:
    """Write `text` to a new temporary file beside `path`; its name."""
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    try:
        os.fchmod(fd, 0o600 if private else _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write {path}: {exc.strerror}") from None
        raise
    return tmp


def write_all_atomic(outputs: Sequence[tuple[Path, str]], *, private: bool = False) -> None:
    """Write every `(path, text)` or none: all go to temporary files first, then are renamed.

    Each file keeps the mode of the one it replaces (a new one gets the umask's); `private`
    makes them readable by their owner only, for outputs that hold secret values.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in outputs:
            staged.append((_stage(path, text, private), path))
        while staged:
            tmp, path = staged[0]
            try:
                os.replace(tmp, path)
            except OSError as exc:
                raise UsageError(f"cannot write {path}: {exc.strerror}") from None
            staged.pop(0)
    finally:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def write_atomic(path: Path, text: str, *, private: bool = False) -> None:
    """Write one file through a temporary file in the same directory and a rename."""
    write_all_atomic([(path, text)], private=private)
