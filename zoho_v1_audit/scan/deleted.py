"""The lines a history scan saw deleted, kept aside to date each secret's removal afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Generator

_BUFFER = 1 << 20


class DeletedLines:
    """Commit lines and deleted lines, in stream order, in an unnamed temporary file.

    The file has no name (it is unlinked at creation) and is gone when closed: memory stays flat
    however long the history, and dating removals needs no second `git log`. Use it with
    `contextlib.closing`.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=_BUFFER)  # noqa: SIM115 (closed by close())

    def add(self, line: bytes) -> None:
        """Keep whole lines, each ending with a newline."""
        self._file.write(line)

    def lines(self) -> Generator[bytes, None, None]:
        """Every kept line, oldest kept first (that is, newest commit first for `git log`)."""
        self._file.flush()
        self._file.seek(0)
        yield from self._file

    def close(self) -> None:
        self._file.close()
