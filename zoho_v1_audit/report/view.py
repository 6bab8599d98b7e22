"""The report as people read it, built from a result document: the context of the HTML and
Markdown templates (as `report`; the raw document is `doc`)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from zoho_v1_audit.datacentres import DEFAULT_DC
from zoho_v1_audit.migration import Replacement
from zoho_v1_audit.models import (
    NOT_REQUESTED,
    STATUS_URGENCY,
    Category,
    SecretKind,
    Severity,
    Status,
)
from zoho_v1_audit.report import guidance as g
from zoho_v1_audit.report import schema
from zoho_v1_audit.report.chart import Chart, team_chart
from zoho_v1_audit.report.json import evidence_label, finding_secret, rules_by_id, secret_key
from zoho_v1_audit.report.links import LinkTemplate
from zoho_v1_audit.report.plan import Plan, TeamView, build_plan, build_teams, replacement_for
from zoho_v1_audit.report.schema import Document
from zoho_v1_audit.report.summary import nothing_scanned, unreachable
from zoho_v1_audit.report.viewmodels import (
    Count,
    FindingView,
    Place,
    Playbook,
    RepoView,
    SecretGroup,
    SecretView,
    severity_order,
    status_order,
)

NO_SECRET = g.NO_SECRET
LIVE = (Status.LIVE, Status.LIVE_RATE_LIMITED)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything a report template shows."""

    title: str
    tool: str
    stats: Mapping[str, Any]
    started_at: str
    roots: tuple[str, ...]
    mode: str
    duration_s: float
    repos: tuple[RepoView, ...]
    verification_enabled: bool
    verification_note: str
    verified_against: tuple[str, ...]
    first_step: str
    by_severity: tuple[Count, ...]
    by_category: tuple[Count, ...]
    by_status: tuple[Count, ...]
    secrets: tuple[SecretView, ...]
    secret_groups: tuple[SecretGroup, ...]
    findings: tuple[FindingView, ...]
    plan: Plan
    teams: tuple[TeamView, ...]
    warnings: tuple[schema.Warning, ...]
    statuses: tuple[Count, ...]
    playbooks: tuple[Playbook, ...] = ()
    chart: Chart | None = None
    empty_note: str | None = None  # nothing was scanned

    @property
    def owners_known(self) -> bool:
        """Whether any finding has an owner (else the by-team view is one group)."""
        return any(f.place.owners for f in self.findings)


def _place(item: schema.Finding | schema.Location, links: LinkTemplate | None) -> Place:
    commit = item.get("commit")
    repo = item.get("repo")
    return Place(
        path=item["path"],
        line=item["line"],
        offset=item.get("offset"),
        commit=commit[:10] if commit else None,
        date=item.get("date"),
        author=item.get("author"),
        in_head=item.get("in_head", True),
        owners=tuple(item.get("owners") or ()),
        repo=repo,
        link=links.link(item["path"], item["line"], commit, repo)
        if links and item["line"] is not None
        else None,
    )


def _seen_note(secret: schema.Secret) -> str | None:
    """When history first and last added the secret (history scans only)."""
    first, last = secret.get("first_seen"), secret.get("last_seen")
    if not isinstance(first, Mapping) or not isinstance(last, Mapping):
        return None
    added = f"First added on {first['date'][:10]} in {first['commit'][:10]}"
    if last["commit"] == first["commit"]:
        return added
    return f"{added}, last added on {last['date'][:10]} in {last['commit'][:10]}"


def _removed_note(secret: schema.Secret) -> str | None:
    removed = secret.get("removed")
    if not isinstance(removed, Mapping):
        return None
    when = removed.get("date") or "an earlier commit"
    commit = removed.get("commit")
    where = f" in {commit[:10]}" if commit else ""
    return f"removed from the code on {when}{where}; still in the history, so revoke it"


def _secret(secret: schema.Secret, links: LinkTemplate | None) -> SecretView:
    v = secret["verification"]
    status = v["status"]
    data_centre = v.get("data_centre") or secret.get("data_centre_hint")
    return SecretView(
        id=secret_key(secret),
        sha256=secret["sha256"],
        preview=secret["preview"],
        kind=secret["kind"],
        kind_label=g.KIND_LABELS.get(secret["kind"], secret["kind"]),
        category=secret["category"],
        severity=secret.get("severity", Severity.CRITICAL),
        status=status,
        status_label=g.STATUS_LABELS.get(status, status),
        verdict=g.STATUS_VERDICTS.get(status, ""),
        reason=_reason(v.get("reason") or "", secret["kind"]),
        data_centre=data_centre,
        endpoint=v.get("endpoint"),
        checked_at=v.get("checked_at"),
        places=tuple(_place(loc, links) for loc in secret["locations"]),
        steps=g.secret_steps(secret["kind"], data_centre, status),
        seen=_seen_note(secret),
        removed=_removed_note(secret),
    )


def _reason(reason: str, kind: str) -> str:
    """Why a secret has its status; never "use --verify" for a kind that --verify never checks."""
    checkable = kind in set(SecretKind) and SecretKind(kind).checkable
    return g.NEVER_CHECKED if reason == NOT_REQUESTED and not checkable else reason


def _urgency(s: SecretView) -> tuple[int, int, int]:
    return (status_order(s.status), severity_order(s.severity), -len(s.places))


def _action(
    f: schema.Finding,
    status: str,
    replacement: Replacement | None,
    kind: str | None,
    rules: Mapping[str, schema.Rule],
) -> str:
    if finding_secret(f):
        if kind == SecretKind.PASSWORD:
            return "Change the password; delete the token-generation code."
        if status == Status.INVALID:
            return "Delete it (dead token)."
        return "Revoke it, then replace it (see Rotate now)."
    if replacement is not None:
        return f"Use `{replacement.http} {replacement.path}`."
    call = f.get("v1")
    product = call.get("product", "crm") if call else "crm"
    if f["category"] in (Category.V1_ENDPOINT, Category.V1_METHOD) and product == "crm":
        return "Move to API 2.0: see the migration plan."
    return g.rule_help(rules, f["rule_id"], f.get("title", f["rule_id"]), f["category"]).remediation


def _v1_call(f: schema.Finding) -> str | None:
    call = f.get("v1")
    if not call or not call.get("method"):
        return None
    return f"{call.get('module') or '…'}/{call['method']}"


def _finding(
    f: schema.Finding,
    secrets: Mapping[str, SecretView],
    links: LinkTemplate | None,
    rules: Mapping[str, schema.Rule],
) -> FindingView:
    secret = secrets.get(finding_secret(f) or "")
    status = secret.status if secret else NO_SECRET
    return FindingView(
        severity=f["severity"],
        category=f["category"],
        category_label=g.CATEGORY_LABELS.get(f["category"], f["category"]),
        rule_id=f["rule_id"],
        title=f.get("title") or f["rule_id"],
        confidence=f.get("confidence", "high"),
        placement=f.get("placement", "code"),
        place=_place(f, links),
        snippet=f["snippet"],
        status=status,
        status_label=secret.status_label if secret else "no secret",
        secret_id=finding_secret(f),
        secret_preview=secret.preview if secret else None,
        v1_call=_v1_call(f),
        action=_action(
            f, status, replacement_for(f), secret.kind if secret else f.get("secret_kind"), rules
        ),
        evidence=evidence_label(f.get("evidence")),
    )


def _counts(
    keys: Iterable[str], labels: Mapping[str, str], order: Iterable[str]
) -> tuple[Count, ...]:
    counter = Counter(keys)
    return tuple(Count(k, labels.get(k, k), counter[k]) for k in order if counter[k])


def _first_step(secrets: tuple[SecretView, ...], plan: Plan, findings: int) -> str:
    live = [s for s in secrets if s.status in LIVE]
    unproven = [s for s in secrets if s.status not in (*LIVE, Status.INVALID)]
    calls = plan.call_sites
    migrate = (
        f" Then move the {_lines(calls)} to API 2.0 (see the migration plan)." if calls else ""
    )
    if live:
        previews = ", ".join(s.preview for s in live[:5]) + (", …" if len(live) > 5 else "")
        others = "the other one" if len(unproven) == 1 else f"the {len(unproven)} others"
        return (
            f"Revoke the {_n(len(live), 'live secret')} first ({previews}): Zoho accepts "
            f"{'it' if len(live) == 1 else 'them'} today."
            + (f" Then revoke {others}: none is proven dead." if unproven else "")
            + migrate
        )
    if unproven:
        return (
            f"Revoke the {_n(len(unproven), 'hard-coded secret')} first: "
            f"{'it is not' if len(unproven) == 1 else 'none is'} proven dead, and authtokens "
            "stay valid until revoked." + migrate
        )
    if secrets:
        return (
            f"Delete the {_n(len(secrets), 'dead token')} from the code (Zoho rejects "
            f"{'it' if len(secrets) == 1 else 'them'})." + migrate
        )
    if calls:
        return (
            f"No hard-coded secret was found. Move the {_lines(calls)} to "
            "API 2.0 with OAuth 2.0, following the migration plan."
        )
    if findings:
        return "No v1 call sites or hard-coded secrets to act on; review the findings below."
    return "Nothing found: no Zoho CRM API v1 usage and no Zoho secrets in the scanned files."


def _lines(count: int) -> str:
    return "1 line that uses API v1" if count == 1 else f"{count} lines that use API v1"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _verification_note(doc: Document, secrets: tuple[SecretView, ...]) -> str:
    if not secrets:
        return ""
    if not doc["scan"]["verification"].get("enabled"):
        return (
            "Tokens were not checked against Zoho (run the scan with `--verify` to ask which are "
            "live): treat every one as live."
        )
    if unreachable(doc):
        return (
            "Verification reached no Zoho data centre (no network?): every token's state is "
            "unknown. Treat every one as live, and run the scan with `--verify` again later."
        )
    tokens = [s for s in secrets if s.kind == SecretKind.AUTHTOKEN]
    if tokens and all(s.status == Status.UNSUPPORTED for s in tokens):
        return (
            "Zoho's v1 endpoints no longer answer as v1 did, so no authtoken's state could be "
            "proven. Authtokens stay valid until revoked: revoke every one anyway."
        )
    return "Each token was checked once against Zoho; the status and reason are shown with it."


def _bases(verification: Mapping[str, Any]) -> tuple[str, ...]:
    """Where tokens were sent: `com: https://crm.zoho.com`, or one base for every data centre."""
    found: dict[str, None] = {}
    for key in ("api_base", "oauth_api_base"):
        bases = verification.get(key)
        if isinstance(bases, Mapping):
            found.update(
                {
                    (f"{url} (every data centre)" if dc == "*" else f"{dc}: {url}"): None
                    for dc, url in bases.items()
                }
            )
    return tuple(found)


def _repos(doc: Document) -> tuple[RepoView, ...]:
    return tuple(
        RepoView(
            name=r["repo"],
            roots=tuple(r["roots"]),
            mode=r["mode"],
            started_at=r["started_at"],
            files_scanned=r["files_scanned"],
            findings=r["findings"],
        )
        for r in doc["scan"].get("repos", ())
    )


def build_report(doc: Document, title: str, repo_url: str | None) -> Report:
    """The template context for a result document."""
    links = LinkTemplate(repo_url) if repo_url else None
    secrets, playbooks = _playbooks(
        sorted((_secret(s, links) for s in doc["secrets"]), key=_urgency)
    )
    by_id = {s.id: s for s in secrets}
    rules = rules_by_id(doc)
    findings = tuple(_finding(f, by_id, links, rules) for f in doc["findings"])
    plan = build_plan(doc["findings"], findings, rules)
    teams = build_teams(findings, secrets)
    statuses = _counts(
        (f.status for f in findings),
        {**g.STATUS_LABELS, NO_SECRET: "no secret"},
        (*STATUS_URGENCY, NO_SECRET),
    )
    return Report(
        title=title,
        tool=f"{doc['tool']['name']} {doc['tool']['version']}",
        started_at=doc["scan"]["started_at"],
        roots=tuple(doc["scan"]["roots"]),
        mode=doc["scan"]["mode"],
        duration_s=doc["scan"]["duration_s"],
        repos=_repos(doc),
        stats=doc["stats"],
        verification_enabled=bool(doc["scan"]["verification"].get("enabled")),
        verification_note=_verification_note(doc, secrets),
        verified_against=_bases(doc["scan"]["verification"]),
        first_step=_first_step(secrets, plan, len(findings)),
        by_severity=tuple(
            Count(s, s, sum(1 for f in findings if f.severity == s)) for s in Severity
        ),
        by_category=_counts((f.category for f in findings), g.CATEGORY_LABELS, g.CATEGORY_LABELS),
        by_status=_counts((s.status for s in secrets), g.STATUS_LABELS, STATUS_URGENCY),
        secrets=secrets,
        secret_groups=tuple(
            SecretGroup(key, heading, group)
            for key, heading, members in g.SECRET_GROUPS
            if (group := tuple(s for s in secrets if s.status in members))
        ),
        findings=findings,
        plan=plan,
        teams=teams,
        warnings=tuple(doc["warnings"]),
        statuses=statuses,
        playbooks=playbooks,
        chart=team_chart(teams),
        empty_note=nothing_scanned(doc),
    )


def _playbooks(
    secrets: Iterable[SecretView],
) -> tuple[tuple[SecretView, ...], tuple[Playbook, ...]]:
    """The secrets, each pointing at its steps, and the distinct steps in order of urgency."""
    found: dict[tuple[str, ...], Playbook] = {}
    per_kind: Counter[str] = Counter()
    linked = []
    for s in secrets:
        book = found.get(s.steps)
        if book is None:
            per_kind[s.kind] += 1
            n = per_kind[s.kind]
            book = found[s.steps] = Playbook(
                key=f"steps-{s.kind}" + (f"-{n}" if n > 1 else ""),
                heading=f"{s.kind_label}" + _variant(s),
                steps=s.steps,
            )
        linked.append(dataclasses.replace(s, playbook=book.key))
    return tuple(linked), tuple(found.values())


def _variant(s: SecretView) -> str:
    """What sets these steps apart from others for the same kind of secret."""
    if s.status == Status.INVALID:
        return ", proven dead"
    if s.data_centre and s.data_centre != DEFAULT_DC:
        return f", data centre {s.data_centre}"
    return ""
