"""Progress displays on stderr for long scans and verifications, shown only on a terminal."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress as Bar
    from rich.progress import ProgressColumn

    from zoho_v1_audit.scan.engine import Progress

_DELAY_S = 1.0  # quick scans never show a bar


def _bar(*columns: str | ProgressColumn) -> Bar:
    """A bar on stderr that shows `columns` and the time elapsed, and leaves nothing behind."""
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import TimeElapsedColumn

    return Bar(*columns, TimeElapsedColumn(), console=Console(stderr=True), transient=True)


@contextlib.contextmanager
def scan_progress(*, enabled: bool) -> Iterator[Progress | None]:
    """Yield a progress callback (files, bytes) that draws a live counter after a short delay."""
    if not enabled:
        yield None
        return
    from rich.progress import SpinnerColumn, TextColumn

    bar = _bar(
        SpinnerColumn(),
        TextColumn("scanning: {task.fields[files]} files, {task.fields[mb]:.1f} MB"),
    )
    task = bar.add_task("scan", total=None, files=0, mb=0.0)
    started = time.monotonic()

    def update(files: int, nbytes: int) -> None:
        if not bar.live.is_started and time.monotonic() - started > _DELAY_S:
            bar.start()
        bar.update(task, files=files, mb=nbytes / 1e6)

    try:
        yield update
    finally:
        bar.stop()


@contextlib.contextmanager
def verify_progress(total: int, *, enabled: bool) -> Iterator[Callable[[], None]]:
    """Yield a callback that advances a bar of `total` tokens (a no-op unless enabled)."""
    if not enabled or total == 0:
        yield lambda: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn

    bar = _bar(TextColumn("verifying tokens"), BarColumn(), MofNCompleteColumn())
    task = bar.add_task("verify", total=total)
    with bar:
        yield lambda: bar.advance(task)
