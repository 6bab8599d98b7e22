"""The view models of a report: one secret, one finding, one place, ready for a template."""

from __future__ import annotations

from dataclasses import dataclass

from zoho_v1_audit.models import STATUS_URGENCY, Severity, Status
from zoho_v1_audit.report.guidance import NO_SECRET, UNOWNED
from zoho_v1_audit.report.summary import spot


@dataclass(frozen=True, slots=True)
class Count:
    """A labelled count."""

    key: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Place:
    """One place in the scanned code."""

    path: str
    line: int | None
    offset: int | None
    commit: str | None
    date: str | None
    author: str | None
    in_head: bool
    owners: tuple[str, ...]
    repo: str | None
    link: str | None

    @property
    def spot(self) -> str:
        """`path:line`, or `path@offset` in a binary file."""
        return spot(self.path, self.line, self.offset)

    @property
    def teams(self) -> tuple[str, ...]:
        """Owners, or the unowned group."""
        return self.owners or (UNOWNED,)


@dataclass(frozen=True, slots=True)
class SecretView:
    """One distinct secret and how to retire it."""

    id: str
    sha256: str | None
    preview: str
    kind: str
    kind_label: str
    category: str
    severity: str
    status: str
    status_label: str
    verdict: str
    reason: str
    data_centre: str | None
    endpoint: str | None
    checked_at: str | None
    places: tuple[Place, ...]
    steps: tuple[str, ...]
    seen: str | None
    removed: str | None
    playbook: str = ""  # the id of its steps in the report (shared by secrets with the same)

    @property
    def teams(self) -> tuple[str, ...]:
        """Every team owning one of its places."""
        return tuple(dict.fromkeys(t for p in self.places for t in p.teams))

    @property
    def live(self) -> bool:
        """Proven live: Zoho answered as it does only to a valid token."""
        return self.status in (Status.LIVE, Status.LIVE_RATE_LIMITED)

    @property
    def dead(self) -> bool:
        """Proven invalid on every data centre asked."""
        return self.status == Status.INVALID


@dataclass(frozen=True, slots=True)
class Playbook:
    """Steps shared by every secret of one kind (and data centre, and state): shown once."""

    key: str
    heading: str
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SecretGroup:
    """A heading of the "Rotate now" section and its secrets."""

    key: str
    heading: str
    secrets: tuple[SecretView, ...]


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding, ready for a table row."""

    severity: str
    category: str
    category_label: str
    rule_id: str
    title: str
    confidence: str
    placement: str
    place: Place
    snippet: str
    status: str
    status_label: str
    secret_id: str | None
    secret_preview: str | None
    v1_call: str | None
    action: str
    evidence: str | None = None

    @property
    def severity_rank(self) -> int:
        """0 for critical, the most urgent."""
        return severity_order(self.severity)

    @property
    def status_rank(self) -> int:
        """Position in the rotate-now order; findings without a secret come last."""
        return status_order(self.status)


@dataclass(frozen=True, slots=True)
class RepoView:
    """One result of a merged report."""

    name: str
    roots: tuple[str, ...]
    mode: str
    started_at: str
    files_scanned: int
    findings: int


def severity_order(severity: str) -> int:
    """0 for critical, the most urgent."""
    return list(Severity).index(Severity(severity))


_STATUSES: tuple[str, ...] = (*STATUS_URGENCY, NO_SECRET)


def status_order(status: str) -> int:
    """Position in the rotate-now order; findings without a secret come last."""
    return _STATUSES.index(status) if status in _STATUSES else len(_STATUSES)
