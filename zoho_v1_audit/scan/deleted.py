"""The lines a history scan saw deleted, kept aside to date each secret's removal afterwards."""

from __future__ import annotations

import tempfile
from collections.abc import Generator
from types import TracebackType

_BUFFER = 1 << 20


class DeletedLines:
    """Commit lines and deleted lines, in stream order, in an unnamed temporary file.

    The file has no name (it is unlinked at creation) and is gone when closed: memory stays flat
    however long the history, and dating removals needs no second `git log`.
    """

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=_BUFFER)  # noqa: SIM115 (closed by close())

    def add(self, line: bytes) -> None:
        """Keep one line (ending with a newline)."""
        self._file.write(line)

    def lines(self) -> Generator[bytes, None, None]:
        """Every kept line, oldest kept first (that is, newest commit first for `git log`)."""
        self._file.flush()
        self._file.seek(0)
        yield from self._file

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> DeletedLines:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
