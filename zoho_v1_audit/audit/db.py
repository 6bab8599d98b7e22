"""The audit database: one SQLite file of runs, repositories, findings, secrets, verifications.

The schema version is SQLite's `PRAGMA user_version`; opening a file applies the migrations it
lacks, in order, each in its own transaction. Nothing stored is a secret value: findings keep
their fingerprints and redacted snippets, secrets their SHA-256 and preview, as every report
does without `--show-secrets`. The rollback journal (not WAL) keeps every committed write in the
one file, ready to be copied as a CI artifact.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast

from zoho_v1_audit import __version__
from zoho_v1_audit.audit.sources import Source
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report.json import (
    Document,
    cleaned,
    finding_secret,
    render_json,
    secret_key,
    with_rules,
)

MIGRATIONS = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        mode TEXT NOT NULL,
        plan TEXT NOT NULL,
        tool_version TEXT NOT NULL
    );
    CREATE TABLE repositories (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        target TEXT NOT NULL
    );
    CREATE TABLE scans (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        repository_id INTEGER NOT NULL REFERENCES repositories(id),
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        reason TEXT,
        commit_id TEXT,
        scanned_at TEXT NOT NULL,
        document BLOB,
        PRIMARY KEY (run_id, repository_id)
    );
    CREATE TABLE findings (
        run_id INTEGER NOT NULL,
        repository_id INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        placement TEXT NOT NULL,
        path TEXT NOT NULL,
        line INTEGER,
        in_head INTEGER,
        secret_sha256 TEXT,
        teams TEXT NOT NULL,
        FOREIGN KEY (run_id, repository_id) REFERENCES scans(run_id, repository_id)
    );
    CREATE INDEX findings_by_scan ON findings(run_id, repository_id, fingerprint);
    CREATE TABLE secrets (
        run_id INTEGER NOT NULL,
        repository_id INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,
        category TEXT NOT NULL,
        severity TEXT NOT NULL,
        preview TEXT NOT NULL,
        teams TEXT NOT NULL,
        PRIMARY KEY (run_id, repository_id, sha256),
        FOREIGN KEY (run_id, repository_id) REFERENCES scans(run_id, repository_id)
    );
    CREATE TABLE verifications (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        sha256 TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        data_centre TEXT,
        checked_at TEXT,
        PRIMARY KEY (run_id, sha256)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
LIVE = ("live", "live-rate-limited")
RESUME_WITHIN = timedelta(hours=24)


def now() -> str:
    """The current time, UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: committed whole, or rolled back (an interrupt included)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise UsageError(
            f"{path}: database schema {version} is newer than this tool's ({SCHEMA_VERSION}); "
            "upgrade zoho-v1-audit"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        try:
            with transaction(conn):
                for statement in MIGRATIONS[number - 1].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")
        except sqlite3.OperationalError as exc:
            raise UsageError(f"--db {path}: migrating to schema {number} failed: {exc}") from None


def open_db(path: Path, *, create: bool) -> sqlite3.Connection:
    """The database at `path`, migrated to the current schema; created when `create`."""
    if not create and not path.is_file():
        raise UsageError(f"--db {path}: no such database")
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30.0)
    except sqlite3.Error as exc:
        raise UsageError(f"--db {path}: cannot open: {exc}") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = DELETE")
        _migrate(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise UsageError(f"--db {path}: not a zoho-v1-audit database: {exc}") from None
    except BaseException:
        conn.close()
        raise
    return conn


def start_run(conn: sqlite3.Connection, plan: str, mode: str) -> tuple[int, bool]:
    """(run id, resumed): the last run when it is unfinished, has the same plan and started
    within RESUME_WITHIN (last week's interrupted run is not this week's); else a new run."""
    with transaction(conn):
        last = conn.execute(
            "SELECT id, finished_at, plan, started_at FROM runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if last is not None and last[1] is None and last[2] == plan:
            started = datetime.fromisoformat(last[3])
            if datetime.now(UTC) - started < RESUME_WITHIN:
                return int(last[0]), True
        cur = conn.execute(
            "INSERT INTO runs (started_at, mode, plan, tool_version) VALUES (?, ?, ?, ?)",
            (now(), mode, plan, __version__),
        )
        return int(cast(int, cur.lastrowid)), False


def finish_run(conn: sqlite3.Connection, run_id: int) -> None:
    """Mark a run complete: every repository was scanned or recorded as failed."""
    with transaction(conn):
        conn.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (now(), run_id))


def scanned(conn: sqlite3.Connection, run_id: int) -> dict[str, str | None]:
    """Repositories already scanned in a run: source key -> commit."""
    rows = conn.execute(
        "SELECT r.source, s.commit_id FROM scans s JOIN repositories r ON r.id = s.repository_id "
        "WHERE s.run_id = ? AND s.status = 'ok'",
        (run_id,),
    )
    return dict(rows)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What auditing one repository gave: its result document, or why there is none."""

    source: Source
    status: Literal["ok", "failed", "unchanged"]
    reason: str | None = None
    commit: str | None = None
    doc: Document | None = None


def _repository(conn: sqlite3.Connection, source: Source) -> int:
    conn.execute(
        "INSERT INTO repositories (source, name, target) VALUES (?, ?, ?) "
        "ON CONFLICT (source) DO UPDATE SET target = excluded.target",
        (source.key, source.name, source.target),
    )
    return int(
        conn.execute("SELECT id FROM repositories WHERE source = ?", (source.key,)).fetchone()[0]
    )


def _teams(owners: Any) -> str:
    return json.dumps(sorted(owners) if isinstance(owners, list) else [])


def record(conn: sqlite3.Connection, run_id: int, outcome: Outcome) -> None:
    """Store one repository's outcome in a run, replacing an earlier one, in one transaction;
    its document masked as every other output is."""
    doc = None if outcome.doc is None else cleaned(outcome.doc)
    with transaction(conn):
        repo = _repository(conn, outcome.source)
        for table in ("findings", "secrets", "scans"):
            conn.execute(
                f"DELETE FROM {table} WHERE run_id = ? AND repository_id = ?",  # noqa: S608 (fixed names)
                (run_id, repo),
            )
        blob = zlib.compress(render_json(doc).encode("utf-8")) if doc is not None else None
        conn.execute(
            "INSERT INTO scans (run_id, repository_id, status, reason, commit_id, scanned_at, "
            "document) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, repo, outcome.status, outcome.reason, outcome.commit, now(), blob),
        )
        if doc is None:
            return
        conn.executemany(
            "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (run_id, repo, f["fingerprint"], f["rule_id"], f["category"], f["severity"],
                 f["placement"], f["path"], f["line"], f["in_head"], finding_secret(f),
                 _teams(f.get("owners")))
                for f in doc["findings"]
            ],
        )  # fmt: skip
        for s in doc["secrets"]:
            owners = {o for loc in s["locations"] for o in loc.get("owners") or ()}
            conn.execute(
                "INSERT OR REPLACE INTO secrets VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, repo, secret_key(s), s["kind"], s["category"], s["severity"],
                 s["preview"], _teams(list(owners))),
            )  # fmt: skip
            v = s["verification"]
            if v["status"] != "not-checked":
                conn.execute(
                    "INSERT OR REPLACE INTO verifications VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, secret_key(s), v["status"], v["reason"], v["data_centre"],
                     v["checked_at"]),
                )  # fmt: skip


def read_document(blob: bytes) -> Document:
    """A stored result document."""
    return cast(Document, with_rules(json.loads(zlib.decompress(blob))))
