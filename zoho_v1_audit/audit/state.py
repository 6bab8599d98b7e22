"""The report document of one or more audit databases: the latest state of every repository,
merged through the existing merge code, with the trend of the finished runs as `runs`."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zoho_v1_audit.audit.db import open_db, read_document
from zoho_v1_audit.audit.trend import merge_runs, run_facts, runs_section
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.merge import merge, repo_labels
from zoho_v1_audit.report.merge import read_document as read_result
from zoho_v1_audit.report.schema import Warning


@dataclass(frozen=True, slots=True)
class Latest:
    """A repository's latest scan: its document (maybe an older run's) and why the last failed."""

    source: str
    name: str
    doc: Document | None
    failure: str | None


def latest(conn: sqlite3.Connection) -> list[Latest]:
    """Every repository's last scan, and its last successful document."""
    out = []
    repos = conn.execute("SELECT id, source, name FROM repositories ORDER BY name, source")
    for repo_id, source, name in repos.fetchall():
        last = conn.execute(
            "SELECT status, reason FROM scans WHERE repository_id = ? ORDER BY run_id DESC LIMIT 1",
            (repo_id,),
        ).fetchone()
        if last is None:
            continue
        ok = conn.execute(
            "SELECT document FROM scans WHERE repository_id = ? AND status = 'ok' "
            "ORDER BY run_id DESC LIMIT 1",
            (repo_id,),
        ).fetchone()
        failure = last[1] if last[0] == "failed" else None
        doc = read_document(ok[0]) if ok is not None else None
        out.append(Latest(source, name, doc, failure))
    return out


def _freshness(item: Latest) -> tuple[bool, str]:
    """Which of two databases' records of a repository wins: a document, then the newest."""
    return item.doc is not None, item.doc["scan"]["started_at"] if item.doc else ""


def _labels(names: Sequence[tuple[str, str]]) -> list[str]:
    """Distinct labels: the short name, or the full source key where names clash."""
    counts: dict[str, int] = {}
    for name, _ in names:
        counts[name] = counts.get(name, 0) + 1
    return [name if counts[name] == 1 else source for name, source in names]


def _failure_warning(label: str, doc: Document | None, failure: str) -> Warning:
    shown = "the last successful scan is shown" if doc else "nothing is known of it"
    message = f"the last run could not scan this repository: {failure}; {shown}"
    return {"path": label, "message": message, "repo": label}


def load_state(databases: Sequence[Path], results: Sequence[Path]) -> Document:
    """One report document: every database's repositories (the newest scan of a repository
    found in several wins), any JSON results, and the trend as `runs`."""
    by_source: dict[str, Latest] = {}
    facts = []
    for path in databases:
        conn = open_db(path, create=False)
        try:
            for item in latest(conn):
                known = by_source.get(item.source)
                if known is None or _freshness(item) > _freshness(known):
                    by_source[item.source] = item
            facts.append(run_facts(conn))
        finally:
            conn.close()
    items = sorted(by_source.values(), key=lambda i: (i.name, i.source))
    if not items and not results:
        raise UsageError("the database holds no repository yet; run `zoho-v1-audit audit` first")
    labels = _labels([(i.name, i.source) for i in items])
    labelled: list[tuple[str, Document]] = []
    failures = []
    for label, item in zip(labels, items, strict=True):
        if item.doc is not None:
            labelled.append((label, item.doc))
        if item.failure is not None:
            failures.append(_failure_warning(label, item.doc, item.failure))
    taken = set(labels)
    for label, path in zip(repo_labels(results), results, strict=True) if results else ():
        labelled.append((label if label not in taken else str(path), read_result(path)))
    if not labelled:
        raise UsageError("no repository in the database was scanned successfully yet")
    doc = merge(labelled)
    doc["warnings"].extend(failures)
    doc["runs"] = runs_section(merge_runs(facts))
    return doc
