"""Run an audit: fetch and scan each repository, `jobs` at a time, and record each outcome in
the database in its own transaction, so an interrupted audit loses only what was in flight.

The last run is resumed when it did not finish and audits the same repositories in the same
mode: a repository it already scanned at the same commit is not scanned again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from zoho_v1_audit import app as use_cases
from zoho_v1_audit.audit import db
from zoho_v1_audit.audit.display import Display
from zoho_v1_audit.audit.sources import PARALLEL_REPOSITORIES, Source
from zoho_v1_audit.errors import AuditError, ExitCode
from zoho_v1_audit.models import Secret, Severity, Verification, VerificationSummary
from zoho_v1_audit.options import ScanOptions
from zoho_v1_audit.redact import display
from zoho_v1_audit.ruleset import RuleSet
from zoho_v1_audit.scan.gitrepo import run_git, scan_dir
from zoho_v1_audit.scan.gitsource import GitOptions
from zoho_v1_audit.scan.remote import fetch
from zoho_v1_audit.verify import verify_secrets
from zoho_v1_audit.verify.options import VerifyOptions


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """How each repository is scanned."""

    scan: ScanOptions
    cache_dir: Path
    history: bool = False  # --git: every commit's added lines, not just HEAD's tree
    jobs: int = PARALLEL_REPOSITORIES  # repositories at once
    verify: VerifyOptions | None = None
    owners: Path | None = None  # a CODEOWNERS file for every repository (default: each its own)


@dataclass(slots=True)
class Summary:
    """What the run did."""

    run_id: int
    resumed: bool
    scanned: int = 0
    unchanged: int = 0
    failed: int = 0
    severities: set[str] = field(default_factory=set)

    def exit_code(self, threshold: Severity | None) -> ExitCode:
        """INCOMPLETE when a repository failed, else FINDINGS at or above the threshold."""
        if self.failed:
            return ExitCode.INCOMPLETE
        if threshold is not None and any(
            Severity(s).rank >= threshold.rank for s in self.severities
        ):
            return ExitCode.FINDINGS
        return ExitCode.CLEAN


def plan_key(sources: Sequence[Source], history: bool) -> str:
    """What a run audits: a resumed run must audit the same repositories in the same mode."""
    text = "\n".join(["git" if history else "tree", *sorted(s.key for s in sources)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _head(root: Path) -> str | None:
    """The commit checked out at `root`, or None outside a repository or before a commit."""
    found = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD", ok=(0, 1, 128))
    return found.stdout.decode("ascii", "replace").strip() if found.returncode == 0 else None


class _Auditor:
    """Fetch, scan and verify one repository at a time (called from worker threads)."""

    def __init__(
        self, options: AuditOptions, rules: RuleSet, done: dict[str, str | None], display: Display
    ) -> None:
        self.options, self.rules, self.done, self.display = options, rules, done, display
        self._verified: dict[str, Verification] = {}
        self._lock = threading.Lock()

    def __call__(self, source: Source) -> db.Outcome:
        try:
            return self._audit(source)
        except AuditError as exc:
            return db.Outcome(source, "failed", reason=display(str(exc)))
        except OSError as exc:
            return db.Outcome(source, "failed", reason=display(f"{exc.strerror or exc}"))
        except Exception as exc:  # a bug must not cost the other repositories
            name = type(exc).__name__  # not its message, which could quote scanned data
            return db.Outcome(source, "failed", reason=f"internal error: {name}; please report it")

    def _audit(self, source: Source) -> db.Outcome:
        self.display.fetching(source)
        if source.remote:
            root = fetch(source.target, self.options.cache_dir)
        else:
            root = scan_dir(Path(source.target))
        commit = _head(root)
        if source.remote and commit is None:
            return db.Outcome(source, "failed", reason="empty repository: no commit to scan")
        if source.key in self.done and self.done[source.key] == commit:
            return db.Outcome(source, "unchanged", commit=commit)
        scan = dataclasses.replace(self.options.scan, paths=(root,), jobs=1)
        history = GitOptions() if self.options.history else None
        with self.display.scanning(source) as progress:
            result = use_cases.scan(scan, history, lambda: self.rules, progress)
        if self.options.verify is not None:
            result.verification = self._verify(result.secrets, self.options.verify)
        doc = use_cases.document(
            result, rules=self.rules, show_secrets=False, owners=self.options.owners
        )
        doc["scan"]["roots"] = [source.target]
        return db.Outcome(source, "ok", commit=commit, doc=doc)

    def _verify(self, secrets: list[Secret], options: VerifyOptions) -> VerificationSummary:
        """Verify each distinct secret once per run, however many repositories hold it
        (one repository's verification at a time; each runs its own requests in parallel)."""
        with self._lock:
            new = [s for s in secrets if s.id not in self._verified]
            for s in secrets:
                s.verification = self._verified.get(s.id, s.verification)
            section = verify_secrets(new, options, progress=False)
            self._verified.update((s.id, s.verification) for s in new)
        return section


def run_audit(
    conn: sqlite3.Connection,
    sources: Sequence[Source],
    rules: RuleSet,
    options: AuditOptions,
    display: Display,
) -> Summary:
    """Audit every source into the database; a failing repository does not stop the others."""
    run_id, resumed = db.start_run(
        conn, plan_key(sources, options.history), "git" if options.history else "tree"
    )
    done = db.scanned(conn, run_id)
    summary = Summary(run_id, resumed)
    auditor = _Auditor(options, rules, done, display)
    pool = ThreadPoolExecutor(max_workers=options.jobs, thread_name_prefix="audit")
    try:
        pending: set[Future[db.Outcome]] = {pool.submit(auditor, s) for s in sources}
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()
                _take(conn, summary, outcome, done)
                display.done(outcome)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    db.finish_run(conn, run_id)
    return summary


def _take(
    conn: sqlite3.Connection, summary: Summary, outcome: db.Outcome, done: dict[str, str | None]
) -> None:
    if outcome.status == "unchanged":
        summary.unchanged += 1
        return
    if outcome.status == "failed":
        summary.failed += 1
        if outcome.source.key in done:  # scanned earlier in this run: that scan stands
            return
    else:
        summary.scanned += 1
        findings = outcome.doc["findings"] if outcome.doc else []
        summary.severities.update(f["severity"] for f in findings)
    db.record(conn, summary.run_id, outcome)
