"""What `audit` shows on stderr: a live bar per repository in flight on a terminal, and one line
per repository when it is done (the only output in a CI log)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from zoho_v1_audit.audit.db import Outcome
from zoho_v1_audit.audit.sources import Source
from zoho_v1_audit.redact import display
from zoho_v1_audit.scan.engine import Progress

if TYPE_CHECKING:
    from rich.progress import Progress as Bar
    from rich.progress import TaskID


class Display:
    """Per-repository progress; safe to call from worker threads."""

    def __init__(self, *, live: bool) -> None:
        self._lock = threading.Lock()
        self._bar: Bar | None = None
        self._tasks: dict[str, TaskID] = {}
        if live:
            from rich.console import Console
            from rich.progress import Progress as Bar
            from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

            self._bar = Bar(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=Console(stderr=True, highlight=False),
                transient=True,
            )

    def __enter__(self) -> Display:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def _set(self, source: Source, text: str) -> None:
        if self._bar is None:
            return
        description = f"{display(source.name)}: {text}"
        with self._lock:
            task = self._tasks.get(source.key)
            if task is None:
                self._tasks[source.key] = self._bar.add_task(description, total=None)
            else:
                self._bar.update(task, description=description)

    def fetching(self, source: Source) -> None:
        """The repository is being cloned or fetched."""
        self._set(source, "fetching" if source.remote else "reading")

    @contextlib.contextmanager
    def scanning(self, source: Source) -> Iterator[Progress]:
        """A progress callback (files, bytes) for the repository's scan."""

        def update(files: int, nbytes: int) -> None:
            self._set(source, f"scanning: {files} files, {nbytes / 1e6:.1f} MB")

        self._set(source, "scanning")
        yield update

    def done(self, outcome: Outcome) -> None:
        """One line for a finished repository; its bar goes away."""
        name = display(outcome.source.name)
        commit = f" at {outcome.commit[:12]}" if outcome.commit else ""
        if outcome.status == "failed":
            line = f"failed     {name}: {outcome.reason}"
        elif outcome.status == "unchanged":
            line = f"unchanged  {name}{commit}: already scanned in this run"
        else:
            doc = outcome.doc
            line = (
                f"scanned    {name}{commit}: {len(doc['findings']) if doc else 0} findings, "
                f"{len(doc['secrets']) if doc else 0} secrets"
            )
        with self._lock:
            task = self._tasks.pop(outcome.source.key, None)
            if self._bar is not None:
                if task is not None:
                    self._bar.remove_task(task)
                self._bar.console.print(line, markup=False)
            else:
                print(line, file=sys.stderr, flush=True)  # noqa: T201 (the CI log)
