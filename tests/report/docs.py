"""Result documents built by hand, following the JSON contract (schema_version "1")."""

from __future__ import annotations

import hashlib
from typing import Any, cast

from zoho_v1_audit.report.json import Document, with_rules


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def location(path: str, line: int, **extra: Any) -> dict[str, Any]:
    loc: dict[str, Any] = {
        "path": path,
        "line": line,
        "column": 1,
        "commit": None,
        "author": None,
        "date": None,
        "in_head": True,
    }
    loc.update(extra)
    return loc


def finding(
    rule_id: str,
    path: str,
    line: int,
    *,
    category: str = "v1-endpoint",
    severity: str = "high",
    title: str | None = None,
    snippet: str = "x = 1",
    secret: str | None = None,
    kind: str | None = None,
    v1: dict[str, Any] | None = None,
    owners: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    f: dict[str, Any] = {
        "rule_id": rule_id,
        "title": title or rule_id.replace("-", " "),
        "category": category,
        "severity": severity,
        "confidence": "high",
        "placement": "code",
        "path": path,
        "line": line,
        "column": 5,
        "end_column": 37,
        "commit": None,
        "author": None,
        "date": None,
        "in_head": True,
        "snippet": snippet,
        "fingerprint": sha(f"{rule_id}\0{path}\0{secret or snippet}"),
        "secret_sha256": sha(secret) if secret else None,
        "secret_kind": kind,
        "v1": v1,
        "owners": owners or [],
    }
    f.update(extra)
    return f


def v1(
    method: str | None, module: str | None = None, dc: str | None = "com", product: str = "crm"
) -> dict[str, Any]:
    return {
        "data_centre": dc,
        "format": "json",
        "module": module,
        "method": method,
        "product": product,
    }


def secret(
    value: str,
    preview: str,
    locations: list[dict[str, Any]],
    *,
    status: str = "not-checked",
    reason: str = "verification was not requested (use --verify)",
    kind: str = "authtoken",
    category: str = "v1-token",
    severity: str = "critical",
    dc: str | None = "com",
    checked_at: str | None = None,
) -> dict[str, Any]:
    return {
        "sha256": sha(value),
        "preview": preview,
        "category": category,
        "kind": kind,
        "severity": severity,
        "data_centre_hint": dc,
        "locations": locations,
        "verification": {
            "status": status,
            "reason": reason,
            "data_centre": dc if checked_at else None,
            "endpoint": f"https://crm.zoho.{dc}/crm/private/json/Info/getModules"
            if checked_at
            else None,
            "checked_at": checked_at,
        },
    }


def document(
    findings: list[dict[str, Any]],
    secrets: list[dict[str, Any]],
    *,
    warnings: list[dict[str, str]] | None = None,
    mode: str = "tree",
    roots: list[str] | None = None,
    verification: bool = False,
    started_at: str = "2026-01-05T10:12:00+00:00",
) -> Document:
    """A document produced with the built-in rules."""
    doc = {
        "schema_version": "1",
        "tool": {"name": "zoho-v1-audit", "version": "0.0.0+test"},
        "scan": {
            "roots": roots or ["."],
            "mode": mode,
            "started_at": started_at,
            "duration_s": 1.5,
            "verification": {"enabled": verification},
        },
        "stats": {
            "files_scanned": 120,
            "bytes_scanned": 345678,
            "files_skipped": {},
            "findings_ignored_inline": 0,
            "findings_allowlisted": 0,
            "findings_baselined": 0,
            "placeholders": 0,
            "commits_scanned": 0,
        },
        "findings": findings,
        "secrets": secrets,
        "warnings": warnings or [],
    }
    return cast(Document, with_rules(doc))
