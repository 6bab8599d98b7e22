"""The JSON result document (schema_version "1"): the interchange format every renderer reads."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypedDict, cast

from zoho_v1_audit import __version__
from zoho_v1_audit import models as m
from zoho_v1_audit.report import schema
from zoho_v1_audit.report.schema import Document as Document
from zoho_v1_audit.ruleset import Rule

SCHEMA_VERSION = "1"
_WHERE = ("path", "line", "offset", "column")
_ORIGIN = ("commit", "author", "date", "in_head", "layer", "in_final_image")


def _v1(call: m.V1Call | None) -> schema.V1Call | None:
    if call is None:
        return None
    return {
        "data_centre": call.data_centre,
        "format": call.format,
        "module": call.module,
        "method": call.method,
        "product": call.product,
    }


def _evidence(evidence: m.Evidence | None) -> schema.Evidence | None:
    if evidence is None:
        return None
    return {"text": evidence.text, "line": evidence.line, "path": evidence.path}


def evidence_label(evidence: schema.Evidence | None) -> str | None:
    """How a finding's evidence reads in a report ("v1 use on line 12 of src/api.rb")."""
    if not evidence:
        return None
    path = evidence.get("path")
    return f"{evidence['text']} of {path}" if path else str(evidence["text"])


def _fields(loc: m.Location, keys: Iterable[str]) -> dict[str, Any]:
    return {key: getattr(loc, key) for key in keys}


def _location(loc: m.Location) -> schema.Location:
    return cast(schema.Location, _fields(loc, (*_WHERE, *_ORIGIN)))


def _finding(f: m.Finding) -> schema.Finding:
    return cast(
        schema.Finding,
        {
            "rule_id": f.rule_id,
            "title": f.title,
            "category": f.category.value,
            "severity": f.severity.value,
            "confidence": f.confidence.value,
            "placement": f.placement.value,
            **_fields(f.location, (*_WHERE, "end_column", *_ORIGIN)),
            "snippet": f.snippet,
            "fingerprint": f.fingerprint,
            "secret_sha256": f.secret_sha256,
            "secret_id": f.secret_id,
            "secret_kind": f.secret_kind,
            "v1": _v1(f.v1),
            "evidence": _evidence(f.evidence),
            "owners": [],
        },
    )


def rule_entry(rule: Rule) -> schema.Rule:
    """How a document records a rule it was produced with (remediation on one line)."""
    return {
        "id": rule.id,
        "title": rule.title,
        "category": rule.category.value,
        "severity": rule.severity.value,
        "secret_kind": rule.secret_kind.value if rule.secret_kind else None,
        "remediation": " ".join(rule.remediation.split()),
    }


@functools.cache
def _builtin_rules() -> tuple[schema.Rule, ...]:
    from zoho_v1_audit.ruleset import builtin_rules_dir, load_rules

    return tuple(rule_entry(r) for r in load_rules([builtin_rules_dir()]).rules)


def with_rules(doc: dict[str, Any]) -> dict[str, Any]:
    """A saved document with its rules: one saved before documents carried them was produced
    with the built-in rules."""
    if "rules" not in doc:
        doc["rules"] = [schema.Rule(**r) for r in _builtin_rules()]
    return doc


def rules_by_id(doc: Document) -> dict[str, schema.Rule]:
    """The rules a document was produced with, by id."""
    return {r["id"]: r for r in doc["rules"]}


class _History(TypedDict):
    first_seen: schema.Seen | None
    last_seen: schema.Seen | None
    removed: schema.Removal | None


def _history(s: m.Secret) -> _History:
    """When a secret was first and last added in history, and the commit that removed it."""
    dated = sorted(
        ((loc.date, loc.commit) for loc in s.locations if loc.date and loc.commit),
        key=lambda when: datetime.fromisoformat(when[0]),
    )
    seen: list[schema.Seen] = [{"commit": commit, "date": date} for date, commit in dated]
    removed = s.removed
    return {
        "first_seen": seen[0] if seen else None,
        "last_seen": seen[-1] if seen else None,
        "removed": None
        if removed is None
        else {"commit": removed.commit, "author": removed.author, "date": removed.date},
    }


def _secret(s: m.Secret, show_secrets: bool) -> schema.Secret:
    v, history = s.verification, _history(s)
    doc: schema.Secret = {
        "id": s.id,
        "sha256": s.sha256,
        "preview": s.preview,
        "category": s.category.value,
        "kind": s.kind,
        "severity": s.severity.value,
        "data_centre_hint": s.data_centre_hint,
        "locations": [_location(loc) for loc in s.locations],
        "first_seen": history["first_seen"],
        "last_seen": history["last_seen"],
        "removed": history["removed"],
        "verification": {
            "status": v.status.value,
            "reason": v.reason,
            "data_centre": v.data_centre,
            "endpoint": v.endpoint,
            "checked_at": v.checked_at,
        },
    }
    if show_secrets:
        doc["value"] = s.value
    return doc


def _verification(v: m.VerificationSummary | None) -> dict[str, Any]:
    if v is None:
        return {"enabled": False}
    return {
        "enabled": True,
        "api_base": dict(v.api_base),
        "oauth_api_base": dict(v.oauth_api_base),
        "data_centres": list(v.data_centres),
        "default_data_centre": v.default_data_centre,
        "timeout_s": v.timeout_s,
        "concurrency": v.concurrency,
        "deadline_s": v.deadline_s,
        "tokens_checked": v.tokens_checked,
        "requests": v.requests,
        "answered": v.answered,
        "statuses": {status.value: n for status, n in sorted(v.statuses.items())},
        "duration_s": v.duration_s,
    }


def _configuration(config: m.Configuration, stats: m.Stats) -> schema.Configuration:
    """The configuration record, each setting with the findings it hid in this scan."""

    def hidden(name: str, value: str) -> int | None:
        if name == "disable":
            return stats.findings_disabled.get(value, 0)
        if name.startswith("allow "):
            return stats.allowlisted_by.get(name, 0)
        return None

    return {
        "repo_config": config.repo_config,
        "files": [{"path": p, "sha256": sha, "origin": origin} for p, sha, origin in config.files],
        "settings": [
            {
                "name": s.name,
                "value": s.value,
                "origin": s.origin,
                "from_scanned_tree": s.from_scanned_tree,
                "broad": s.broad,
                "findings_hidden": hidden(s.name, s.value),
            }
            for s in config.settings
        ],
        "weakened_by_scanned_tree": [f"{s.name}: {s.value}" for s in config.weakening()],
        "notes": list(config.notes),
    }


def to_document(
    result: m.ScanResult, *, rules: Iterable[Rule], show_secrets: bool = False
) -> Document:
    """Build the JSON document for a scan result produced with `rules`; clear secrets only with
    `show_secrets`."""
    st = result.stats
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "zoho-v1-audit", "version": __version__},
        "scan": {
            "roots": result.roots,
            "mode": result.mode,
            "started_at": result.started_at,
            "duration_s": round(result.duration_s, 3),
            "verification": _verification(result.verification),
            "configuration": _configuration(result.configuration, st),
        },
        "stats": {
            "files_scanned": st.files_scanned,
            "bytes_scanned": st.bytes_scanned,
            "files_skipped": dict(sorted(st.files_skipped.items())),
            "findings_ignored_inline": st.findings_ignored_inline,
            "findings_allowlisted": st.findings_allowlisted,
            "findings_baselined": st.findings_baselined,
            "placeholders": st.placeholders,
            "commits_scanned": st.commits_scanned,
            "findings_disabled": dict(sorted(st.findings_disabled.items())),
            "findings_capped": st.findings_capped,
        },
        "findings": [_finding(f) for f in result.findings],
        "secrets": [_secret(s, show_secrets) for s in result.secrets],
        "warnings": [{"path": w.path, "message": w.message} for w in result.warnings],
        "rules": [rule_entry(r) for r in rules],
    }


def secret_key(secret: schema.Secret | Mapping[str, Any]) -> str:
    """A secret's identity in a document: its `id`, or its SHA-256 in results without one."""
    return cast(str, secret.get("id") or secret["sha256"])


def finding_secret(finding: schema.Finding | Mapping[str, Any]) -> str | None:
    """The identity of a finding's secret (see `secret_key`), or None without one."""
    return cast(str | None, finding.get("secret_id") or finding.get("secret_sha256"))


def cleaned(doc: Document) -> Document:
    """The document as every output shows it: no secret shape, no control character
    (`redact.clean`)."""
    from zoho_v1_audit.redact import clean

    return cast(Document, clean(cast(dict[str, Any], doc)))


def render_json(doc: Document, *, pretty: bool = False) -> str:
    """Serialise a document in its fixed key order; compact (the fast C encoder) unless `pretty`."""
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
