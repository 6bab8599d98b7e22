"""The migration's trend: per finished run and per team, v1 lines, distinct secrets, live tokens,
and what was fixed and what is new since the run before.

A v1 line is a distinct (repository, path, line) of v1 usage in code that is still in HEAD.
Several databases (one per CI shard) are merged run by run: the n-th finished run of each is
one run of the organisation, its repositories the union of theirs.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from zoho_v1_audit.audit.db import LIVE
from zoho_v1_audit.report.guidance import UNOWNED

_USAGE = ("v1-endpoint", "v1-method")


@dataclass(slots=True)
class RunFacts:
    """What one finished run saw, keyed by repository source so that shards merge."""

    started: str
    repos: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    v1_lines: dict[tuple[str, str, int], set[str]] = field(default_factory=dict)  # -> teams
    secrets: dict[str, set[str]] = field(default_factory=dict)  # sha256 -> teams
    live: set[str] = field(default_factory=set)
    findings: set[tuple[str, str]] = field(default_factory=set)  # (repository, fingerprint)

    def merge(self, other: RunFacts) -> None:
        """Add a shard's run of the same ordinal."""
        self.started = min(self.started, other.started)
        self.repos |= other.repos
        self.failed = (self.failed | other.failed) - self.repos
        for key, teams in other.v1_lines.items():
            self.v1_lines.setdefault(key, set()).update(teams)
        for sha, teams in other.secrets.items():
            self.secrets.setdefault(sha, set()).update(teams)
        self.live |= other.live
        self.findings |= other.findings


def _teams(raw: str) -> set[str]:
    return set(json.loads(raw)) or {UNOWNED}


def run_facts(conn: sqlite3.Connection) -> list[RunFacts]:
    """The facts of every finished run of one database, oldest first."""
    runs = conn.execute(
        "SELECT id, started_at FROM runs WHERE finished_at IS NOT NULL ORDER BY id"
    ).fetchall()
    facts = []
    for run_id, started in runs:
        run = RunFacts(started)
        for source, status in conn.execute(
            "SELECT r.source, s.status FROM scans s JOIN repositories r ON r.id = s.repository_id "
            "WHERE s.run_id = ?",
            (run_id,),
        ):
            (run.repos if status == "ok" else run.failed).add(source)
        for source, fingerprint, category, placement, path, line, in_head, teams in conn.execute(
            "SELECT r.source, f.fingerprint, f.category, f.placement, f.path, f.line, f.in_head, "
            "f.teams FROM findings f JOIN repositories r ON r.id = f.repository_id "
            "WHERE f.run_id = ?",
            (run_id,),
        ):
            run.findings.add((source, fingerprint))
            if category in _USAGE and placement == "code" and in_head != 0:
                run.v1_lines.setdefault((source, path, line or 0), set()).update(_teams(teams))
        for sha, teams in conn.execute(
            "SELECT sha256, teams FROM secrets WHERE run_id = ?", (run_id,)
        ):
            run.secrets.setdefault(sha, set()).update(_teams(teams))
        live = conn.execute(
            f"SELECT sha256 FROM verifications WHERE run_id = ? AND status IN {LIVE!r}",  # noqa: S608 (constants)
            (run_id,),
        )
        run.live = {sha for (sha,) in live} & run.secrets.keys()
        facts.append(run)
    return facts


def merge_runs(databases: Iterable[list[RunFacts]]) -> list[RunFacts]:
    """Runs of several databases merged by ordinal."""
    merged: list[RunFacts] = []
    for runs in databases:
        for i, run in enumerate(runs):
            if i < len(merged):
                merged[i].merge(run)
            else:
                merged.append(RunFacts(run.started))
                merged[i].merge(run)
    return merged


def _count(run: RunFacts, team: str | None) -> dict[str, int]:
    def owned(teams: set[str]) -> bool:
        return team is None or team in teams

    return {
        "v1_lines": sum(1 for teams in run.v1_lines.values() if owned(teams)),
        "secrets": sum(1 for teams in run.secrets.values() if owned(teams)),
        "live": sum(1 for sha in run.live if owned(run.secrets[sha])),
    }


def runs_section(runs: Sequence[RunFacts]) -> list[dict[str, Any]]:
    """The `runs` array of the report document: one entry per run, oldest first, each with
    every team that any run saw."""
    out: list[dict[str, Any]] = []
    previous: RunFacts | None = None
    teams = sorted(  # every team of every run, so that a team down to zero still shows
        {t for r in runs for ts in (*r.v1_lines.values(), *r.secrets.values()) for t in ts},
        key=lambda t: (t == UNOWNED, t.lower()),
    )
    for number, run in enumerate(runs, start=1):
        entry: dict[str, Any] = {
            "run": number,
            "started": run.started,
            "repos": len(run.repos),
            "failed": len(run.failed),
            **_count(run, None),
            "fixed": None,
            "new": None,
            "teams": [{"team": team, **_count(run, team)} for team in teams],
        }
        if previous is not None:  # compared on the repositories both runs scanned
            both = run.repos & previous.repos
            now = {f for f in run.findings if f[0] in both}
            before = {f for f in previous.findings if f[0] in both}
            entry["fixed"], entry["new"] = len(before - now), len(now - before)
        out.append(entry)
        previous = run
    return out
