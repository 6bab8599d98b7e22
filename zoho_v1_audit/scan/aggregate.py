"""Merge per-blob results: resolve tree-wide context, suppress known findings, dedupe secrets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from zoho_v1_audit.models import Finding, Secret, Stats, preview
from zoho_v1_audit.scan.detector import BlobScan


@dataclass(frozen=True, slots=True)
class Suppressions:
    """What the user declared known: allowlist patterns and hashes, and a baseline."""

    allow_patterns: tuple[re.Pattern[str], ...] = ()
    allow_hashes: frozenset[str] = frozenset()
    baseline: frozenset[str] = frozenset()

    def allowed(self, finding: Finding) -> bool:
        """Whether the allowlist covers this finding (by secret hash, secret or snippet)."""
        if finding.secret_sha256 in self.allow_hashes:
            return True
        subject = finding.secret if finding.secret is not None else finding.snippet
        return any(p.search(subject) for p in self.allow_patterns)


@dataclass(slots=True)
class Aggregator:
    """Collects blob results as they stream in; `finish` yields findings and secrets."""

    stats: Stats
    suppressions: Suppressions = Suppressions()
    _findings: list[Finding] = field(default_factory=list)
    _context: set[str] = field(default_factory=set)

    def add(self, scan: BlobScan) -> None:
        """Take one blob's result."""
        self._findings.extend(scan.findings)
        self._context |= scan.context
        self.stats.findings_ignored_inline += scan.ignored
        self.stats.placeholders += scan.placeholders

    def finish(self) -> tuple[list[Finding], list[Secret]]:
        """Findings (context resolved, suppressions applied, sorted) and their secrets."""
        kept: list[Finding] = []
        for f in self._findings:
            if f.needs_context is not None and f.needs_context not in self._context:
                continue
            if self.suppressions.allowed(f):
                self.stats.findings_allowlisted += 1
            elif f.fingerprint in self.suppressions.baseline:
                self.stats.findings_baselined += 1
            else:
                kept.append(f)
        kept.sort(key=_finding_order)
        return kept, group_secrets(kept)


def _finding_order(f: Finding) -> tuple[str, int, int, str, str]:
    loc = f.location
    return (loc.path, loc.line or loc.offset or 0, loc.column, f.rule_id, loc.commit or "")


def group_secrets(findings: Iterable[Finding]) -> list[Secret]:
    """One Secret per distinct value, with every location, most severe first."""
    secrets: dict[str, Secret] = {}
    for f in findings:
        sha = f.secret_sha256
        if sha is None or f.secret is None or f.secret_kind is None:
            continue
        secret = secrets.get(sha)
        if secret is None:
            secret = secrets[sha] = Secret(
                sha256=sha,
                preview=preview(f.secret),
                category=f.category,
                kind=f.secret_kind,
                severity=f.severity,
                locations=[],
                value=f.secret,
            )
        elif f.severity.rank > secret.severity.rank:
            secret.severity, secret.kind, secret.category = f.severity, f.secret_kind, f.category
        if f.location not in secret.locations:
            secret.locations.append(f.location)
        if secret.data_centre_hint is None and f.v1 is not None:
            secret.data_centre_hint = f.v1.data_centre
    return sorted(secrets.values(), key=lambda s: (-s.severity.rank, s.locations[0].path, s.sha256))
