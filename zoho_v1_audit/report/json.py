"""The JSON result document (schema_version "1"): the interchange format every renderer reads."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from zoho_v1_audit import __version__
from zoho_v1_audit.models import (
    Configuration,
    Evidence,
    Finding,
    Location,
    ScanResult,
    Secret,
    Stats,
    V1Call,
    VerificationSummary,
)

SCHEMA_VERSION = "1"
Document = dict[str, Any]


def _v1(call: V1Call | None) -> dict[str, Any] | None:
    if call is None:
        return None
    return {
        "data_centre": call.data_centre,
        "format": call.format,
        "module": call.module,
        "method": call.method,
        "product": call.product,
    }


def _evidence(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {"text": evidence.text, "line": evidence.line, "path": evidence.path}


def evidence_label(evidence: dict[str, Any] | None) -> str | None:
    """How a finding's evidence reads in a report ("v1 use on line 12 of src/api.rb")."""
    if not evidence:
        return None
    path = evidence.get("path")
    return f"{evidence['text']} of {path}" if path else str(evidence["text"])


def _location(loc: Location) -> dict[str, Any]:
    return {
        "path": loc.path,
        "line": loc.line,
        "offset": loc.offset,
        "column": loc.column,
        "commit": loc.commit,
        "author": loc.author,
        "date": loc.date,
        "in_head": loc.in_head,
        "layer": loc.layer,
        "in_final_image": loc.in_final_image,
    }


def _finding(f: Finding) -> dict[str, Any]:
    loc = f.location
    return {
        "rule_id": f.rule_id,
        "title": f.title,
        "category": f.category.value,
        "severity": f.severity.value,
        "confidence": f.confidence.value,
        "placement": f.placement.value,
        "path": loc.path,
        "line": loc.line,
        "offset": loc.offset,
        "column": loc.column,
        "end_column": loc.end_column,
        "commit": loc.commit,
        "author": loc.author,
        "date": loc.date,
        "in_head": loc.in_head,
        "layer": loc.layer,
        "in_final_image": loc.in_final_image,
        "snippet": f.snippet,
        "fingerprint": f.fingerprint,
        "secret_sha256": f.secret_sha256,
        "secret_id": f.secret_id,
        "secret_kind": f.secret_kind,
        "v1": _v1(f.v1),
        "evidence": _evidence(f.evidence),
        "owners": [],
    }


def _history(s: Secret) -> dict[str, Any]:
    """When a secret was first and last added in history, and the commit that removed it."""
    dated = sorted(
        ((loc.date, loc.commit) for loc in s.locations if loc.date and loc.commit),
        key=lambda when: datetime.fromisoformat(when[0]),
    )
    seen = [{"commit": commit, "date": date} for date, commit in dated]
    removed = s.removed
    return {
        "first_seen": seen[0] if seen else None,
        "last_seen": seen[-1] if seen else None,
        "removed": None
        if removed is None
        else {"commit": removed.commit, "author": removed.author, "date": removed.date},
    }


def _secret(s: Secret, show_secrets: bool) -> dict[str, Any]:
    v = s.verification
    doc: dict[str, Any] = {
        "id": s.id,
        "sha256": s.sha256,
        "preview": s.preview,
        "category": s.category.value,
        "kind": s.kind,
        "severity": s.severity.value,
        "data_centre_hint": s.data_centre_hint,
        "locations": [_location(loc) for loc in s.locations],
        **_history(s),
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


def _verification(v: VerificationSummary | None) -> dict[str, Any]:
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


def _configuration(config: Configuration, stats: Stats) -> dict[str, Any]:
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


def to_document(result: ScanResult, *, show_secrets: bool = False) -> Document:
    """Build the JSON document for a scan result; clear secrets only with `show_secrets`."""
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
    }


def secret_key(secret: Mapping[str, Any]) -> str:
    """A secret's identity in a document: its `id`, or its SHA-256 in results without one."""
    return cast(str, secret.get("id") or secret["sha256"])


def finding_secret(finding: Mapping[str, Any]) -> str | None:
    """The identity of a finding's secret (see `secret_key`), or None without one."""
    return cast(str | None, finding.get("secret_id") or finding.get("secret_sha256"))


def render_json(doc: Document, *, pretty: bool = False) -> str:
    """Serialise a document in its fixed key order; compact (the fast C encoder) unless `pretty`."""
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
