"""The migration plan (v1 call sites grouped by module and method, with their API 2.0
replacement) and the per-team views a lead plans from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from zoho_v1_audit.migration import MigrationTable, Replacement, load_table
from zoho_v1_audit.models import Category, Severity, Status
from zoho_v1_audit.report import guidance as g
from zoho_v1_audit.report import schema
from zoho_v1_audit.report.viewmodels import FindingView, Place, SecretView, severity_order

_USAGE = (Category.V1_ENDPOINT, Category.V1_METHOD)


@dataclass(frozen=True, slots=True)
class Usage:
    """How much v1 usage one row of the plan stands for, and where."""

    call_sites: int  # lines of code
    mentions: int  # lines in comments and documentation
    files: tuple[str, ...]
    teams: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PlanRow(Usage):
    """Every call of one v1 method on one module."""

    method: str
    module: str | None
    replacement: Replacement | None
    places: tuple[Place, ...]


@dataclass(frozen=True, slots=True)
class OtherUsage(Usage):
    """v1 usage without a method name (base URLs, `scope=crmapi`, authtoken parameters)."""

    rule_id: str
    title: str
    remediation: str


def _usage(views: Sequence[FindingView]) -> dict[str, Any]:
    """The `Usage` fields of a group of findings."""
    return {
        "call_sites": _code_sites(views),
        "mentions": len({_site(v) for v in views if v.placement != "code"}),
        "files": _files(views),
        "teams": _teams(views),
    }


@dataclass(frozen=True, slots=True)
class TeamRollup:
    """What one team has to do, in numbers."""

    methods: tuple[str, ...]
    team: str
    call_sites: int
    files: int
    secrets: int
    critical: int


@dataclass(frozen=True, slots=True)
class Plan:
    """The migration section."""

    table: MigrationTable  # the version, the API domain and the differences that bite
    rows: tuple[PlanRow, ...]
    other: tuple[OtherUsage, ...]
    rollup: tuple[TeamRollup, ...]
    call_sites: int
    files: int
    history: int = 0  # lines of v1 usage that history holds and HEAD no longer does


@dataclass(frozen=True, slots=True)
class TeamView:
    """One team's findings and secrets."""

    name: str
    findings: tuple[FindingView, ...]
    by_severity: tuple[tuple[str, int], ...]
    secrets: tuple[SecretView, ...]
    call_sites: int


def crm_call(finding: schema.Finding) -> tuple[str, str | None] | None:
    """The method and module of the v1 CRM call a usage finding names; None without one."""
    call = finding.get("v1")
    method = call.get("method") if call else None
    if finding["category"] not in _USAGE or not call or not method:
        return None
    return (method, call.get("module")) if call.get("product", "crm") == "crm" else None


def replacement_for(finding: schema.Finding) -> Replacement | None:
    """The API 2.0 call replacing a v1 CRM call site, when the finding names its method."""
    call = crm_call(finding)
    return None if call is None else load_table().replacement(*call)


def _site(f: FindingView) -> tuple[str | None, str, int]:
    return (f.place.repo, f.place.path, f.place.line or 0)


def _files(views: Iterable[FindingView]) -> tuple[str, ...]:
    return tuple(
        sorted({(f"{v.place.repo}: " if v.place.repo else "") + v.place.path for v in views})
    )


def _teams(views: Iterable[FindingView]) -> tuple[str, ...]:
    return tuple(sorted({t for v in views for t in v.place.teams}, key=_team_order))


def _team_order(team: str) -> tuple[bool, str]:
    return (team == g.UNOWNED, team.lower())


def _code_sites(views: Iterable[FindingView]) -> int:
    return len({_site(v) for v in views if v.placement == "code"})


def build_plan(
    raw: Sequence[schema.Finding], views: Sequence[FindingView], rules: Mapping[str, schema.Rule]
) -> Plan:
    """Group the v1 usage still in HEAD by (module, method), the rest by rule; count the
    usage found only in history apart: that work is done."""
    table = load_table()
    by_call: dict[tuple[str, str | None], list[FindingView]] = defaultdict(list)
    by_rule: dict[str, list[FindingView]] = defaultdict(list)
    replacements: dict[tuple[str, str | None], Replacement | None] = {}
    history: set[tuple[str | None, str, int]] = set()
    for f, v in zip(raw, views, strict=True):
        if f["category"] not in _USAGE:
            continue
        if not v.place.in_head:
            history.add(_site(v))
            continue
        key = crm_call(f)
        if key is not None:
            by_call[key].append(v)
            replacements.setdefault(key, replacement_for(f))
        else:
            by_rule[f["rule_id"]].append(v)
    rows = tuple(
        PlanRow(
            **_usage(vs),
            method=method,
            module=module,
            replacement=replacements[(method, module)],
            places=tuple(v.place for v in vs),
        )
        for (method, module), vs in sorted(
            by_call.items(), key=lambda kv: (kv[0][1] is None, kv[0][1] or "", kv[0][0])
        )
    )
    other = tuple(
        OtherUsage(
            **_usage(vs),
            rule_id=rule_id,
            title=vs[0].title,
            remediation=g.rule_help(rules, rule_id, vs[0].title, vs[0].category).remediation,
        )
        for rule_id, vs in sorted(by_rule.items(), key=lambda kv: -len(kv[1]))
    )
    usage = _in_head(views)
    return Plan(
        table=table,
        rows=rows,
        other=other,
        rollup=_rollup(views),
        call_sites=_code_sites(usage),
        files=len(_files(usage)),
        history=len(history),
    )


def _in_head(views: Iterable[FindingView]) -> list[FindingView]:
    """The v1 usage still in HEAD (the working tree for a tree scan)."""
    return [v for v in views if v.category in _USAGE and v.place.in_head]


def _by_team(views: Iterable[FindingView]) -> dict[str, list[FindingView]]:
    """Findings per owning team (a finding with two owners is in both)."""
    by_team: dict[str, list[FindingView]] = defaultdict(list)
    for v in views:
        for team in v.place.teams:
            by_team[team].append(v)
    return by_team


def _rollup(views: Sequence[FindingView]) -> tuple[TeamRollup, ...]:
    rollup = []
    for team, vs in _by_team(views).items():
        usage = _in_head(vs)
        rollup.append(
            TeamRollup(
                team=team,
                call_sites=_code_sites(usage),
                files=len({_site(v)[:2] for v in usage}),
                methods=tuple(sorted({v.v1_call.rpartition("/")[2] for v in usage if v.v1_call})),
                secrets=len(
                    {v.secret_id for v in vs if v.secret_id and v.status != Status.INVALID}
                ),
                critical=sum(1 for v in vs if v.severity == Severity.CRITICAL),
            )
        )
    return tuple(
        sorted(rollup, key=lambda r: (r.team == g.UNOWNED, -r.secrets, -r.call_sites, r.team))
    )


def build_teams(
    views: Sequence[FindingView], secrets: Sequence[SecretView]
) -> tuple[TeamView, ...]:
    """Findings and secrets per owning team (a finding with two owners shows under both)."""
    teams = []
    for team, vs in _by_team(views).items():
        ordered = sorted(
            vs, key=lambda v: (severity_order(v.severity), v.place.path, v.place.line or 0)
        )
        teams.append(
            TeamView(
                name=team,
                findings=tuple(ordered),
                by_severity=tuple(
                    (s.value, n) for s in Severity if (n := sum(1 for v in vs if v.severity == s))
                ),
                secrets=tuple(s for s in secrets if team in s.teams),
                call_sites=_code_sites(_in_head(vs)),
            )
        )
    return tuple(sorted(teams, key=lambda t: (t.name == g.UNOWNED, -len(t.findings), t.name)))
