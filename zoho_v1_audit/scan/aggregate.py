"""Merge per-blob results: resolve tree-wide context, suppress known findings, dedupe secrets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from zoho_v1_audit.models import SECRET_IDS, Finding, ScanWarning, Secret, Stats, preview
from zoho_v1_audit.scan.detector import MAX_FINDINGS_PER_RULE, BlobScan, context_evidence


@dataclass(frozen=True, slots=True)
class Suppressions:
    """What the user declared known: allowlist patterns and hashes, and a baseline."""

    allow_patterns: tuple[re.Pattern[str], ...] = ()
    allow_hashes: frozenset[str] = frozenset()
    baseline: frozenset[str] = frozenset()

    def allowed(self, finding: Finding) -> str | None:
        """The allow entry that covers this finding (by secret id, secret or snippet), if any."""
        if finding.secret_id in self.allow_hashes:
            return "allow sha256"
        subject = finding.secret if finding.secret is not None else finding.snippet
        for index, pattern in enumerate(self.allow_patterns, 1):
            if pattern.search(subject):
                return f"allow pattern {index}"
        return None


@dataclass(slots=True)
class Aggregator:
    """Collects blob results as they stream in; `finish` yields findings and secrets."""

    stats: Stats
    suppressions: Suppressions = Suppressions()
    warnings: list[ScanWarning] = field(default_factory=list)
    _findings: list[Finding] = field(default_factory=list)
    _context: dict[str, tuple[str, int]] = field(default_factory=dict)  # label: first place

    def add(self, scan: BlobScan) -> None:
        """Take one blob's result."""
        stats = self.stats
        self._findings.extend(scan.findings)
        for label, line in scan.context_lines.items():
            here = (scan.path, line)
            if label not in self._context or here < self._context[label]:
                self._context[label] = here
        stats.findings_ignored_inline += scan.ignored
        stats.placeholders += scan.placeholders
        for rule_id, count in scan.disabled.items():
            stats.findings_disabled[rule_id] = stats.findings_disabled.get(rule_id, 0) + count
        for rule_id, count in sorted(scan.capped.items()):
            stats.findings_capped += count
            self.warnings.append(
                ScanWarning(
                    scan.path,
                    f"{rule_id} matched {count} more times than the {MAX_FINDINGS_PER_RULE} "
                    "reported for one file",
                )
            )

    def finish(self) -> tuple[list[Finding], list[Secret]]:
        """Findings (context resolved, one per rule, line and fingerprint, suppressions applied,
        sorted) and their secrets."""
        kept: list[Finding] = []
        seen: set[tuple[str, int | None, str | None, str]] = set()
        ordered = [
            f
            for f in sorted(self._findings, key=_finding_order)
            if f.needs_context is None or f.needs_context in self._context
        ]
        SECRET_IDS.prepare((f.secret, f.secret_kind) for f in ordered if f.secret is not None)
        for f in ordered:
            if f.needs_context is not None:
                path, line = self._context[f.needs_context]
                f = replace(f, evidence=context_evidence(f.needs_context, line, path))
            key = (f.location.path, f.location.line, f.location.commit, f.fingerprint)
            if key in seen:  # the same rule and value twice on one line: one thing to fix
                continue
            seen.add(key)
            if entry := self.suppressions.allowed(f):
                self.stats.findings_allowlisted += 1
                by = self.stats.allowlisted_by
                by[entry] = by.get(entry, 0) + 1
            elif f.fingerprint in self.suppressions.baseline:
                self.stats.findings_baselined += 1
            else:
                kept.append(f)
        return kept, group_secrets(kept)


def _finding_order(f: Finding) -> tuple[str, int, int, str, str]:
    loc = f.location
    return (loc.path, loc.line or loc.offset or 0, loc.column, f.rule_id, loc.commit or "")


def group_secrets(findings: Iterable[Finding]) -> list[Secret]:
    """One Secret per distinct value, with every location, most severe first."""
    secrets: dict[str, Secret] = {}
    for f in findings:
        key = f.secret_id
        if key is None or f.secret is None or f.secret_kind is None:
            continue
        secret = secrets.get(key)
        if secret is None:
            secret = secrets[key] = Secret(
                id=key,
                sha256=f.secret_sha256,
                preview=preview(f.secret, f.secret_kind),
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
    return sorted(secrets.values(), key=lambda s: (-s.severity.rank, s.locations[0].path, s.id))
