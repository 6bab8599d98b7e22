"""Reading saved results and merging several into one document labelled by repository."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import jsonschema
import pytest

from tests.report.conftest import ROOT
from tests.report.docs import document, finding, location, secret
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.merge import load_results, merge, read_document, repo_labels
from zoho_v1_audit.report.view import build_report

RESULT_SCHEMA = json.loads((ROOT / "docs" / "result.schema.json").read_text())
TOKEN = "3f9a2c7e1b4d8f60a5c9e2b7d1f4a8c3"


def _repo(
    name: str, status: str = "not-checked", checked_at: str | None = None, **extra: Any
) -> Document:
    path = f"{name}/settings.py"
    doc = document(
        [
            finding(
                "v1-authtoken-assignment",
                path,
                3,
                category="v1-token",
                severity="critical",
                secret=TOKEN,
                kind="authtoken",
            ),
            finding("v1-crm-endpoint", f"{name}/client.py", 9),
        ],
        [
            secret(
                TOKEN,
                "3f9a…a8c3",
                [location(path, 3)],
                status=status,
                checked_at=checked_at,
                **extra,
            )
        ],
        warnings=[{"path": f"{name}/big.bin", "message": "too large"}],
        roots=[name],
    )
    doc["stats"]["files_skipped"] = {"binary": 1}
    return doc


def test_labels_are_file_names_then_directories(tmp_path: Path) -> None:
    assert repo_labels([Path("out/billing.json"), Path("out/crm.json")]) == ["billing", "crm"]
    a, b = tmp_path / "billing" / "result.json", tmp_path / "crm" / "result.json"
    assert repo_labels([a, b]) == ["billing", "crm"]
    with pytest.raises(UsageError, match="given twice"):
        repo_labels([a, a])


def test_merged_document_keeps_the_contract() -> None:
    merged = merge([("billing", _repo("billing")), ("crm", _repo("crm"))])
    jsonschema.validate(merged, RESULT_SCHEMA)
    assert merged["schema_version"] == "1"
    assert [f["repo"] for f in merged["findings"]] == ["billing", "billing", "crm", "crm"]
    assert [w["repo"] for w in merged["warnings"]] == ["billing", "crm"]
    assert merged["scan"]["roots"] == ["billing:billing", "crm:crm"]
    assert [r["repo"] for r in merged["scan"]["repos"]] == ["billing", "crm"]
    assert merged["stats"]["files_scanned"] == 240
    assert merged["stats"]["files_skipped"] == {"binary": 2}


def test_a_secret_in_several_repositories_is_one_secret() -> None:
    merged = merge([("billing", _repo("billing")), ("crm", _repo("crm"))])
    (only,) = merged["secrets"]
    assert [(loc["repo"], loc["path"]) for loc in only["locations"]] == [
        ("billing", "billing/settings.py"),
        ("crm", "crm/settings.py"),
    ]


def test_the_latest_verification_wins() -> None:
    older = _repo("a", "live", "2026-01-01T00:00:00+00:00")
    newer = _repo("b", "invalid", "2026-02-01T00:00:00+00:00")
    unchecked = _repo("c")
    assert merge([("a", older), ("b", newer)])["secrets"][0]["verification"]["status"] == "invalid"
    assert merge([("b", newer), ("a", older)])["secrets"][0]["verification"]["status"] == "invalid"
    assert merge([("a", older), ("c", unchecked)])["secrets"][0]["verification"]["status"] == "live"
    assert merge([("c", unchecked), ("a", older)])["secrets"][0]["verification"]["status"] == "live"


def test_severity_is_the_highest_and_removal_needs_every_repository() -> None:
    a, b = _repo("a"), _repo("b")
    a["secrets"][0]["severity"] = "high"
    a["secrets"][0]["removed"] = {"commit": "abc", "author": None, "date": "2025-01-01"}
    b["secrets"][0]["removed"] = None
    merged = merge([("a", a), ("b", b)])["secrets"][0]
    assert merged["severity"] == "critical"
    assert merged["removed"] is None
    b["secrets"][0]["removed"] = {"commit": "def", "author": None, "date": "2025-06-01"}
    removed = merge([("a", a), ("b", b)])["secrets"][0]["removed"]
    assert removed is not None and removed["commit"] == "def"


def test_first_and_last_seen_span_every_repository() -> None:
    a, b = _repo("a"), _repo("b")
    a["secrets"][0]["first_seen"] = {"commit": "a1", "date": "2024-03-01T09:00:00+02:00"}
    a["secrets"][0]["last_seen"] = {"commit": "a2", "date": "2024-09-01T09:00:00+00:00"}
    b["secrets"][0]["first_seen"] = {"commit": "b1", "date": "2024-03-01T08:00:00+00:00"}
    b["secrets"][0]["last_seen"] = {"commit": "b2", "date": "2024-09-01T08:00:00-02:00"}
    merged = merge([("a", a), ("b", b)])["secrets"][0]
    first, last = merged["first_seen"], merged["last_seen"]
    assert first is not None and last is not None
    assert (first["commit"], last["commit"]) == ("a1", "b2")
    view = build_report(merge([("a", a), ("b", b)]), "t", None).secrets[0]
    assert view.seen == "First added on 2024-03-01 in a1, last added on 2024-09-01 in b2"


def test_inputs_are_not_changed() -> None:
    a = _repo("a")
    before = json.dumps(a, sort_keys=True)
    merge([("a", a), ("b", _repo("b"))])
    assert json.dumps(a, sort_keys=True) == before


def test_one_file_is_rendered_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    doc = _repo("x")
    path.write_text(json.dumps(doc))
    assert load_results([path]) == doc


def test_several_files_are_merged(tmp_path: Path) -> None:
    for name in ("billing", "crm"):
        (tmp_path / f"{name}.json").write_text(json.dumps(_repo(name)))
    merged = load_results([tmp_path / "billing.json", tmp_path / "crm.json"])
    assert {f["repo"] for f in merged["findings"]} == {"billing", "crm"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "not a JSON result"),
        ("[]", "document: expected an object"),
        ('{"schema_version": "2"}', "missing 'tool'"),
        (None, "schema_version '2' is not supported"),
        ("drop-path", r"findings\[1\]: missing 'path'"),
    ],
)
def test_bad_files_are_usage_errors_naming_the_file(
    tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "r.json"
    doc = _repo("x")
    if content is None:
        doc["schema_version"] = "2"
        content = json.dumps(doc)
    elif content == "drop-path":
        del cast(dict[str, Any], doc["findings"][1])["path"]
        content = json.dumps(doc)
    path.write_text(content)
    with pytest.raises(UsageError, match=message) as caught:
        read_document(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read"):
        load_results([tmp_path / "nope.json"])
