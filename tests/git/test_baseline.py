"""Baselines: stable files without secrets, loaded strictly, surviving code that moves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.helpers import TOKEN, TOKEN_EU, findings_in
from zoho_v1_audit.baseline import load_baseline, render_baseline
from zoho_v1_audit.errors import UsageError

CODE = f"""
URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi"
BACKUP_AUTHTOKEN = "{TOKEN_EU}"
"""


def test_file_is_sorted_stable_and_holds_no_secret_or_line() -> None:
    findings = findings_in(CODE, "src/crm.py") + findings_in(CODE, "a/first.py")
    text = render_baseline(findings)
    assert render_baseline(reversed(findings)) == text  # order of findings does not matter
    assert TOKEN not in text and TOKEN_EU not in text
    assert '"line"' not in text
    doc = json.loads(text)
    assert doc["schema_version"] == "1"
    entries = doc["findings"]
    assert entries == sorted(entries, key=lambda e: (e["path"], e["rule_id"], e["fingerprint"]))
    assert {e["fingerprint"] for e in entries} == {f.fingerprint for f in findings}
    # One entry a line, so entries added on two branches merge without touching each other.
    lines = text.splitlines()
    assert len(lines) == len(entries) + 6
    assert all(line.startswith('    {"fingerprint": ') for line in lines[4:-2])


def test_moved_code_keeps_its_fingerprints() -> None:
    moved = "\n" * 40 + "    " + CODE.strip().replace("\n", "\n    ") + "\n"
    before = {f.fingerprint for f in findings_in(CODE, "src/crm.py")}
    after = {f.fingerprint for f in findings_in(moved, "src/crm.py")}
    assert before and before == after


def test_empty_baseline_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    path.write_text(render_baseline([]))
    assert load_baseline(path) == frozenset()


def test_round_trip(tmp_path: Path) -> None:
    findings = findings_in(CODE, "src/crm.py")
    path = tmp_path / "b.json"
    path.write_text(render_baseline(findings))
    assert load_baseline(path) == {f.fingerprint for f in findings}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline file not found"),
        ("{not json", "not a readable baseline file"),
        ('{"findings": []}', "not a zoho-v1-audit baseline"),
        ('{"schema_version": "1", "findings": {}}', "findings: expected a list"),
        (
            '{"schema_version": "1", "findings": [{"fingerprint": "abc"}]}',
            r"findings\[0\]: expected a 64-character",
        ),
    ],
)
def test_unusable_files_are_usage_errors(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(UsageError, match=f"^{re.escape(str(path))}: {message}"):
        load_baseline(path)
