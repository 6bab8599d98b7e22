"""Run the detector over a stream of files: in-process for small trees, a process pool for big ones."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from zoho_v1_audit.models import Blob, ScanWarning, Stats
from zoho_v1_audit.ruleset import RuleSet
from zoho_v1_audit.scan.aggregate import Aggregator
from zoho_v1_audit.scan.detector import BlobScan, detect
from zoho_v1_audit.scan.prefilter import search_for
from zoho_v1_audit.scan.reader import Reading, read_blobs
from zoho_v1_audit.scan.sources import FileTask, Skip

SERIAL_FILES = 256  # files scanned in-process before a pool is worth starting
BATCH_FILES = 64

Progress = Callable[[int, int], None]  # (files, bytes) done so far


@dataclass(slots=True)
class BatchResult:
    """Detector output for a batch of files."""

    scans: list[BlobScan] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    files: int = 0
    bytes: int = 0


def scan_batch(tasks: Iterable[FileTask], rules: RuleSet, reading: Reading) -> BatchResult:
    """Read and scan files; never raises for a bad file."""
    out = BatchResult()
    for task in tasks:
        for blob in read_blobs(task, reading):
            if isinstance(blob, Skip):
                out.skips.append(blob)
                continue
            out.files += 1
            out.bytes += len(blob.data)
            scan = detect(blob, rules)
            if scan.findings or scan.context or scan.ignored or scan.placeholders or scan.disabled:
                out.scans.append(scan)
    return out


def scan_blobs(
    blobs: Iterable[Blob], rules: RuleSet, aggregator: Aggregator, progress: Progress | None
) -> None:
    """Scan blobs in this process, in order (history: git writes them faster than one core
    matches them, and their order dates each secret)."""
    stats = aggregator.stats
    for blob in blobs:
        stats.files_scanned += 1
        stats.bytes_scanned += len(blob.data)
        aggregator.add(detect(blob, rules))
        if progress is not None:
            progress(stats.files_scanned, stats.bytes_scanned)


_worker_rules: RuleSet | None = None
_worker_reading = Reading(0)


_worker_parent = 0


def _init_worker(rules: RuleSet, reading: Reading) -> None:
    global _worker_rules, _worker_reading, _worker_parent
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    for signum in (signal.SIGTERM, signal.SIGHUP):  # the pool's own way to stop a worker
        signal.signal(signum, signal.SIG_DFL)
    _worker_rules, _worker_reading, _worker_parent = rules, reading, os.getppid()


def _worker(tasks: list[FileTask]) -> BatchResult:
    if _worker_rules is None:
        raise RuntimeError("worker started without rules")
    if os.getppid() != _worker_parent:  # the scan was killed: no one is waiting for this batch
        os._exit(1)
    return scan_batch(tasks, _worker_rules, _worker_reading)


def _batches(tasks: Iterator[FileTask]) -> Iterator[list[FileTask]]:
    while batch := list(itertools.islice(tasks, BATCH_FILES)):
        yield batch


def record_skips(skips: Iterable[Skip], stats: Stats, warnings: list[ScanWarning]) -> None:
    for skip in skips:
        stats.skip(skip.reason)
        if skip.message:
            warnings.append(ScanWarning(skip.path, skip.message))


def scan_files(
    tasks: Iterable[FileTask],
    rules: RuleSet,
    aggregator: Aggregator,
    warnings: list[ScanWarning],
    *,
    reading: Reading,
    jobs: int,
    progress: Progress | None = None,
) -> None:
    """Scan every task into the aggregator, updating its stats and the warnings."""
    stats = aggregator.stats
    stream = iter(tasks)

    def take(result: BatchResult) -> None:
        stats.files_scanned += result.files
        stats.bytes_scanned += result.bytes
        record_skips(result.skips, stats, warnings)
        for scan in result.scans:
            aggregator.add(scan)
        if progress is not None:
            progress(stats.files_scanned, stats.bytes_scanned)

    for batch in _batches(itertools.islice(stream, SERIAL_FILES)):
        take(scan_batch(batch, rules, reading))
    if jobs <= 1:
        for batch in _batches(stream):
            take(scan_batch(batch, rules, reading))
        return
    first = list(itertools.islice(stream, BATCH_FILES))
    if not first:
        return
    search_for(rules)  # built once here: the workers inherit the compiled engine
    context = multiprocessing.get_context("fork")
    pool = context.Pool(jobs, initializer=_init_worker, initargs=(rules, reading))
    try:
        for result in pool.imap_unordered(_worker, itertools.chain([first], _batches(stream))):
            take(result)
        pool.close()
    finally:
        pool.terminate()
        pool.join()
