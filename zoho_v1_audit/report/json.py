"""The JSON result document (schema_version "1"): the interchange format every renderer reads."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from zoho_v1_audit import __version__
from zoho_v1_audit.models import Finding, Location, ScanResult, Secret, V1Call

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
        "secret_kind": f.secret_kind,
        "v1": _v1(f.v1),
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
            "verification": result.verification,
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
        },
        "findings": [_finding(f) for f in result.findings],
        "secrets": [_secret(s, show_secrets) for s in result.secrets],
        "warnings": [{"path": w.path, "message": w.message} for w in result.warnings],
    }


def render_json(doc: Document, *, pretty: bool = False) -> str:
    """Serialise a document in its fixed key order; compact (the fast C encoder) unless `pretty`."""
    if pretty:
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"
