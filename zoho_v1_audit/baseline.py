"""Baselines: the fingerprints of known findings, so a scan reports only new ones.

The file holds no secret and no line number: one entry per line, sorted by path, rule and
fingerprint, and no timestamp, so moving code does not change it and two branches that add
entries merge cleanly in git.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from zoho_v1_audit.errors import UsageError, reason
from zoho_v1_audit.files import read_limited
from zoho_v1_audit.models import Finding
from zoho_v1_audit.redact import display

SCHEMA_VERSION = "1"
DEFAULT_NAME = ".zoho-v1-audit-baseline.json"
MAX_BASELINE_BYTES = 256 << 20  # about two million findings


def render_baseline(findings: Iterable[Finding]) -> str:
    """The baseline file for these findings: stable bytes for the same set of fingerprints."""
    entries = sorted({(f.location.path, f.rule_id, f.fingerprint) for f in findings})
    lines = [
        json.dumps({"fingerprint": fp, "rule_id": rule, "path": display(path)}, ensure_ascii=False)
        for path, rule, fp in entries
    ]
    items = "[\n" + ",\n".join(f"    {line}" for line in lines) + "\n  ]" if lines else "[]"
    return (
        "{\n"
        f'  "schema_version": "{SCHEMA_VERSION}",\n'
        '  "tool": "zoho-v1-audit",\n'
        f'  "findings": {items}\n'
        "}\n"
    )


def check_replaceable(path: Path) -> None:
    """UsageError when `path` exists and is not a baseline: `baseline create` would destroy it."""
    if not path.exists() and not path.is_symlink():
        return
    try:
        load_baseline(path)
    except UsageError:
        raise UsageError(
            f"{path} exists and is not a zoho-v1-audit baseline; choose another file with -o, "
            "or pass --force to replace it"
        ) from None


def load_baseline(path: Path) -> frozenset[str]:
    """The fingerprints recorded in a baseline file; UsageError when it cannot be used."""
    if not path.exists():
        raise UsageError(f"{path}: baseline file not found")
    raw = read_limited(path, "baseline file", limit=MAX_BASELINE_BYTES, error=UsageError)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UsageError(f"{path}: not a readable baseline file: {reason(exc)}") from None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(
            f"{path}: not a zoho-v1-audit baseline (schema_version {SCHEMA_VERSION!r} expected); "
            "create one with `zoho-v1-audit baseline create`"
        )
    entries = data.get("findings")
    if not isinstance(entries, list):
        raise UsageError(f"{path}: findings: expected a list")
    fingerprints: set[str] = set()
    for index, entry in enumerate(entries):
        fp = entry.get("fingerprint") if isinstance(entry, dict) else None
        if not isinstance(fp, str) or len(fp) != 64:
            raise UsageError(f"{path}: findings[{index}]: expected a 64-character fingerprint")
        fingerprints.add(fp)
    return frozenset(fingerprints)
