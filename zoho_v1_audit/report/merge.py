"""Read saved result documents and merge several into one organisation-wide document.

Each merged finding, secret location and warning gets a `repo` label: the result file's name
without its extension (`billing.json` -> `billing`), or its directory's name when several files
share a name (`billing/result.json` -> `billing`). A secret found in several repositories is one
secret with all their locations. `scan.repos` keeps each result's own scan details;
`scan.mode` is the mode they share (the first result's when they differ).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from zoho_v1_audit import __version__
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.models import Severity, Status
from zoho_v1_audit.report.json import SCHEMA_VERSION, secret_key, with_rules
from zoho_v1_audit.report.schema import Document, Rule, Warning

_REQUIRED = {
    "": ("schema_version", "tool", "scan", "stats", "findings", "secrets", "warnings"),
    "scan": ("roots", "mode", "started_at", "duration_s", "verification"),
    "finding": ("rule_id", "category", "severity", "path", "line", "snippet", "fingerprint",
                "secret_sha256"),
    "secret": ("sha256", "preview", "category", "kind", "locations", "verification"),
    "location": ("path", "line"),
    "rule": ("id", "title", "category", "severity", "remediation"),
}  # fmt: skip

# When two results checked one secret, the later check wins; at equal times, proof beats doubt.
_INFORMATIVE = (Status.NOT_CHECKED, Status.UNKNOWN, Status.UNSUPPORTED, Status.INVALID,
                Status.USER_DISABLED, Status.LIVE_RATE_LIMITED, Status.LIVE)  # fmt: skip


def _check(path: Path, item: Any, kind: str, where: str) -> None:
    if not isinstance(item, dict):
        raise UsageError(f"{path}: {where or 'document'}: expected an object")
    missing = [key for key in _REQUIRED[kind] if key not in item]
    if missing:
        raise UsageError(
            f"{path}: {where or 'document'}: missing {missing[0]!r}; is this a zoho-v1-audit JSON result?"
        )


def read_document(path: Path) -> Document:
    """Load one saved result and check its shape; problems are usage errors naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not a JSON result: {exc}") from None
    _check(path, doc, "", "")
    with_rules(doc)
    if doc["schema_version"] != SCHEMA_VERSION:
        raise UsageError(
            f"{path}: schema_version {doc['schema_version']!r} is not supported (this tool reads {SCHEMA_VERSION!r})"
        )
    _check(path, doc["scan"], "scan", "scan")
    for key in ("findings", "secrets", "warnings"):
        if not isinstance(doc[key], list):
            raise UsageError(f"{path}: {key}: expected a list")
    for i, finding in enumerate(doc["findings"]):
        _check(path, finding, "finding", f"findings[{i}]")
    for i, secret in enumerate(doc["secrets"]):
        _check(path, secret, "secret", f"secrets[{i}]")
        for j, location in enumerate(secret["locations"]):
            _check(path, location, "location", f"secrets[{i}].locations[{j}]")
    if not isinstance(doc["rules"], list):
        raise UsageError(f"{path}: rules: expected a list")
    for i, rule in enumerate(doc["rules"]):
        _check(path, rule, "rule", f"rules[{i}]")
    return cast(Document, doc)


def repo_labels(paths: Sequence[Path]) -> list[str]:
    """A distinct label per result file: its stem, else its directory, else its path."""
    for label in (
        lambda p: p.stem,
        lambda p: p.resolve().parent.name,
        lambda p: str(p.with_suffix("")),
    ):
        labels = [label(p) for p in paths]
        if len(set(labels)) == len(labels):
            return labels
    raise UsageError("the same result file is given twice")


def _pick_verification(a: Mapping[str, Any], b: Mapping[str, Any]) -> Mapping[str, Any]:
    def key(v: Mapping[str, Any]) -> tuple[str, int]:
        status = v.get("status", Status.NOT_CHECKED)
        rank = _INFORMATIVE.index(status) if status in _INFORMATIVE else 0
        return (v.get("checked_at") or "", rank)

    return b if key(b) > key(a) else a


def _merge_secret(into: dict[str, Any], secret: Mapping[str, Any], repo: str) -> None:
    into["locations"].extend(_labelled(loc, repo) for loc in secret["locations"])
    into["verification"] = _pick_verification(into["verification"], secret["verification"])
    severities = [
        Severity(s) for s in (into.get("severity"), secret.get("severity")) if s in set(Severity)
    ]
    if severities:
        into["severity"] = max(severities, key=lambda s: s.rank).value
    if not into.get("data_centre_hint"):
        into["data_centre_hint"] = secret.get("data_centre_hint")
    if "removed" in secret or "removed" in into:  # removed only if gone from every repository
        a, b = into.get("removed"), secret.get("removed")
        into["removed"] = max(a, b, key=_moment) if a and b else None
    for key, pick in (("first_seen", min), ("last_seen", max)):
        seen = [s for s in (into.get(key), secret.get(key)) if s]
        if seen:
            into[key] = pick(seen, key=_moment)


def _moment(commit: Mapping[str, Any]) -> float:
    """When a commit entry (`removed`, `first_seen`, `last_seen`) happened; 0 when unknown."""
    try:
        return datetime.fromisoformat(commit["date"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return 0.0


def _labelled(item: Mapping[str, Any], repo: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(item))
    out.setdefault("repo", repo)
    return out


def _merge_rules(results: Sequence[tuple[str, Document]]) -> tuple[list[Rule], list[Warning]]:
    """Every rule of the results, once by id; where two results hold different rules under one
    id, the later result's rule is kept and a warning says so."""
    rules: dict[str, tuple[str, Rule]] = {}
    warnings: list[Warning] = []
    for repo, doc in results:
        for rule in doc["rules"]:
            known = rules.get(rule["id"])
            if known is not None and known[1] != rule:
                message = (
                    f"rule {rule['id']} of this result differs from the one of {known[0]}; "
                    "the reports show this one"
                )
                warnings.append({"path": repo, "message": message, "repo": repo})
            rules[rule["id"]] = (repo, rule)
    return [rule for _, rule in rules.values()], warnings


def merge(results: Sequence[tuple[str, Document]]) -> Document:
    """One document holding every labelled result; stats are summed."""
    findings: list[dict[str, Any]] = []
    secrets: dict[str, dict[str, Any]] = {}
    warnings: list[dict[str, Any]] = []
    stats: Counter[str] = Counter()
    counted: dict[str, Counter[str]] = {}  # stats counted by reason or rule: summed per key
    repos: list[dict[str, Any]] = []
    for repo, doc in results:
        findings.extend(_labelled(f, repo) for f in doc["findings"])
        warnings.extend(_labelled(w, repo) for w in doc["warnings"])
        for secret in doc["secrets"]:
            known = secrets.get(secret_key(secret))
            if known is None:
                secrets[secret_key(secret)] = known = copy.deepcopy(dict(secret))
                known["locations"] = [_labelled(loc, repo) for loc in secret["locations"]]
            else:
                _merge_secret(known, secret, repo)
        for key, value in cast(dict[str, Any], doc["stats"]).items():
            if isinstance(value, dict):
                counted.setdefault(key, Counter()).update(value)
            elif isinstance(value, int):
                stats[key] += value
        scan = doc["scan"]
        repos.append({
            "repo": repo,
            "roots": list(scan["roots"]),
            "mode": scan["mode"],
            "started_at": scan["started_at"],
            "duration_s": scan["duration_s"],
            "verification": scan["verification"],
            "configuration": scan.get("configuration"),
            "tool_version": doc["tool"].get("version"),
            "files_scanned": doc["stats"].get("files_scanned", 0),
            "findings": len(doc["findings"]),
        })  # fmt: skip
    modes = {r["mode"] for r in repos}
    rules, differing = _merge_rules(results)
    merged: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "zoho-v1-audit", "version": __version__},
        "scan": {
            "roots": [f"{r['repo']}:{root}" for r in repos for root in r["roots"]],
            "mode": modes.pop() if len(modes) == 1 else repos[0]["mode"],
            "started_at": min(r["started_at"] for r in repos),
            "duration_s": round(sum(r["duration_s"] for r in repos), 3),
            "verification": {"enabled": any(r["verification"].get("enabled") for r in repos)},
            "repos": repos,
        },
        "stats": {
            **stats,
            "files_skipped": {},
            **{key: dict(sorted(c.items())) for key, c in counted.items()},
        },
        "findings": findings,
        "secrets": list(secrets.values()),
        "warnings": [*warnings, *differing],
        "rules": rules,
    }
    return cast(Document, merged)


def load_results(paths: Sequence[Path]) -> Document:
    """The document of one result file, or the merge of several."""
    if not paths:
        raise UsageError("give at least one JSON result file")
    docs = [read_document(p) for p in paths]
    if len(docs) == 1:
        return docs[0]
    return merge(list(zip(repo_labels(paths), docs, strict=True)))
