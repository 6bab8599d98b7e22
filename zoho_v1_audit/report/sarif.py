"""SARIF 2.1.0 for code-scanning tools, GitHub's upload-sarif included.

One rule per rule id (help text with the remediation), one result per finding with its stable
fingerprint in `partialFingerprints`. Secrets get level `error` unless Zoho proved them dead
(`invalid`: `warning`); v1 usage is a `warning`, info findings a `note`. A merged document gives
one run per repository.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from zoho_v1_audit.models import Category, Severity, Status
from zoho_v1_audit.report import RenderOptions, schema
from zoho_v1_audit.report import guidance as g
from zoho_v1_audit.report.json import (
    Document,
    evidence_label,
    finding_secret,
    rules_by_id,
    secret_key,
)
from zoho_v1_audit.report.plan import replacement_for

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "zohoV1Audit/v1"
_SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "1.0",
}
_SECRET_CATEGORIES = (Category.V1_TOKEN, Category.V1_CREDENTIAL, Category.OAUTH_SECRET)


def _level(finding: schema.Finding, status: str | None) -> str:
    if finding_secret(finding):
        return "warning" if status == Status.INVALID else "error"
    return "note" if finding["severity"] == Severity.INFO else "warning"


def _default_level(category: str, severity: Severity) -> str:
    if severity is Severity.INFO:
        return "note"
    return "error" if category in _SECRET_CATEGORIES else "warning"


def _rule_name(rule_id: str) -> str:
    return "".join(part.capitalize() for part in rule_id.split("-"))


def _rule(
    rule_id: str, findings: Sequence[schema.Finding], rules: Mapping[str, schema.Rule]
) -> dict[str, Any]:
    first = findings[0]
    help_ = g.rule_help(rules, rule_id, first.get("title") or rule_id, first["category"])
    worst = max((Severity(f["severity"]) for f in findings), key=lambda s: s.rank)
    markdown = help_.remediation
    kind = first.get("secret_kind")
    if kind:
        steps = g.secret_steps(kind, None, Status.NOT_CHECKED)
        markdown += "\n\n" + "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    elif first["category"] not in _SECRET_CATEGORIES:
        markdown += "\n\nEach result names the API 2.0 endpoint and OAuth scope that replace its v1 call, when the call names its method."
    return {
        "id": rule_id,
        "name": _rule_name(rule_id),
        "shortDescription": {"text": help_.title},
        "fullDescription": {
            "text": f"{help_.title} ({g.CATEGORY_LABELS.get(first['category'], first['category'])})."
        },
        "help": {"text": help_.remediation, "markdown": markdown},
        "defaultConfiguration": {"level": _default_level(first["category"], worst)},
        "properties": {
            "tags": ["security", first["category"]],
            "precision": "high" if first.get("confidence", "high") == "high" else "medium",
            "security-severity": _SECURITY_SEVERITY[worst],
        },
    }


def _with_evidence(message: str, finding: schema.Finding) -> str:
    evidence = evidence_label(finding.get("evidence"))
    return f"{message} Evidence: {evidence}." if evidence else message


def _message(
    finding: schema.Finding, secret: schema.Secret | None, rules: Mapping[str, schema.Rule]
) -> str:
    title = finding.get("title") or finding["rule_id"]
    if secret is not None:
        v = secret["verification"]
        kind = g.KIND_LABELS.get(secret["kind"], secret["kind"])
        places = len(secret["locations"])
        named = kind if secret["preview"] == "…" else f"{kind} {secret['preview']}"
        return (
            f"{title}: {named}, {g.STATUS_LABELS.get(v['status'], v['status'])}"
            f" ({v['reason']}). {g.STATUS_VERDICTS.get(v['status'], '')} "
            f"It appears in {places} place{'s' if places != 1 else ''}; replace it in all of them."
        )
    replacement, call = replacement_for(finding), finding["v1"]
    if replacement is not None and call is not None:
        return (
            f"{title}: v1 {call.get('module') or '…'}/{call['method']}. Replace it with "
            f"{replacement.http} {replacement.path} on https://www.zohoapis.<dc> "
            f"(OAuth scope {replacement.scope})."
        )
    help_ = g.rule_help(rules, finding["rule_id"], title, finding["category"])
    return f"{title}. {help_.remediation}"


def _properties(finding: schema.Finding, secret: schema.Secret | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "category": finding["category"],
        "severity": finding["severity"],
        "confidence": finding.get("confidence", "high"),
        "placement": finding.get("placement", "code"),
        "snippet": finding["snippet"],
        "owners": finding.get("owners", []),
    }
    for key in ("repo", "commit", "author", "date"):
        if finding.get(key):
            props[key] = finding[key]
    if finding.get("commit"):
        props["inHead"] = finding.get("in_head", True)
    if finding.get("v1"):
        props["v1"] = finding["v1"]
    if finding.get("evidence"):
        props["evidence"] = finding["evidence"]
    replacement = replacement_for(finding)
    if replacement is not None:
        props["replacement"] = {
            "http": replacement.http,
            "path": replacement.path,
            "scope": replacement.scope,
        }
    if secret is not None:
        v = secret["verification"]
        sha256 = {"sha256": secret["sha256"]} if secret["sha256"] else {}
        props["secret"] = {
            "id": secret_key(secret),
            **sha256,
            "preview": secret["preview"],
            "kind": secret["kind"],
        }
        props["verification"] = {
            "status": v["status"],
            "reason": v["reason"],
            "dataCentre": v.get("data_centre"),
            "checkedAt": v.get("checked_at"),
        }
    return props


def _uri(path: str) -> str:
    return quote(path, safe="/")


def _result(
    finding: schema.Finding,
    rule_index: int,
    secret: schema.Secret | None,
    rules: Mapping[str, schema.Rule],
) -> dict[str, Any]:
    if finding["line"] is None:  # a binary file: the byte offset of the string
        region = {"byteOffset": finding.get("offset") or 0}
    else:
        region = {"startLine": finding["line"]}
    if finding["line"] is not None and finding.get("column"):
        region["startColumn"] = finding["column"]
        if finding.get("end_column", 0) > finding["column"]:
            region["endColumn"] = finding["end_column"]
    status = secret["verification"]["status"] if secret else None
    return {
        "ruleId": finding["rule_id"],
        "ruleIndex": rule_index,
        "level": _level(finding, status),
        "message": {"text": _with_evidence(_message(finding, secret, rules), finding)},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(finding["path"]), "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding["fingerprint"]},
        "properties": _properties(finding, secret),
    }


def _utc(timestamp: str) -> str | None:
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(
    doc: Document,
    findings: Sequence[schema.Finding],
    warnings: Sequence[schema.Warning],
    repo: str | None,
) -> dict[str, Any]:
    secrets = {secret_key(s): s for s in doc["secrets"]}
    rules = rules_by_id(doc)
    by_rule: dict[str, list[schema.Finding]] = {}
    for f in findings:
        by_rule.setdefault(f["rule_id"], []).append(f)
    index = {rule_id: i for i, rule_id in enumerate(by_rule)}
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "toolExecutionNotifications": [
            {
                "level": "warning",
                "message": {"text": w["message"]},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": _uri(w["path"]), "uriBaseId": "%SRCROOT%"}
                        }
                    }
                ],
            }
            for w in warnings
        ],
    }
    started = _utc(doc["scan"]["started_at"])
    if started:
        invocation["startTimeUtc"] = started
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": doc["tool"]["name"],
                "version": doc["tool"]["version"],
                "semanticVersion": doc["tool"]["version"],
                "rules": [_rule(rule_id, group, rules) for rule_id, group in by_rule.items()],
            }
        },
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(f, index[f["rule_id"]], secrets.get(finding_secret(f) or ""), rules)
            for f in findings
        ],
        "properties": {
            "resultSchemaVersion": doc["schema_version"],
            "mode": doc["scan"]["mode"],
            "roots": doc["scan"]["roots"],
            "verification": {"enabled": bool(doc["scan"]["verification"].get("enabled"))},
        },
    }
    if repo is not None:
        run["automationDetails"] = {"id": f"zoho-v1-audit/{repo}/"}
    return run


def to_sarif(doc: Document) -> dict[str, Any]:
    """The SARIF log of a result document."""
    repos = [r["repo"] for r in doc["scan"].get("repos", ())]
    if not repos:
        runs = [_run(doc, doc["findings"], doc["warnings"], None)]
    else:
        runs = [
            _run(
                doc,
                [f for f in doc["findings"] if f.get("repo") == repo],
                [w for w in doc["warnings"] if w.get("repo") == repo],
                repo,
            )
            for repo in repos
        ]
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def render_sarif(doc: Document, options: RenderOptions) -> str:
    """SARIF 2.1.0 as indented JSON."""
    del options  # SARIF has no presentation choices
    return json.dumps(to_sarif(doc), indent=2, ensure_ascii=False) + "\n"
