"""A progress display on stderr for long scans, shown only on a terminal."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from zoho_v1_audit.scan.engine import Progress

_DELAY_S = 1.0  # quick scans never show a bar


@contextlib.contextmanager
def scan_progress(*, enabled: bool) -> Iterator[Progress | None]:
    """Yield a progress callback (files, bytes) that draws a live counter after a short delay."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar
    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    bar = Bar(
        SpinnerColumn(),
        TextColumn("scanning: {task.fields[files]} files, {task.fields[mb]:.1f} MB"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
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
