"""A result carries the rules it was produced with: a custom rule's remediation reaches every
report format, `report` of the saved result, and merges."""

from __future__ import annotations

import copy
import json
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import write_tree
from tests.report.docs import document, finding
from tests.report.test_sarif import _validate
from zoho_v1_audit.audit import db
from zoho_v1_audit.cli import app
from zoho_v1_audit.errors import RuleError
from zoho_v1_audit.report import json as result_json
from zoho_v1_audit.report.merge import merge, read_document

runner = CliRunner()
ADVICE = "Ask the Acme platform team for a vault lease (runbook PLAT-4242) and drop the login."
RULE_FILE = f"""rules:
  - id: acme-legacy-login
    title: Acme legacy Zoho login helper
    category: v1-credential
    severity: high
    keywords: [acme_zoho_login]
    pattern: acme_zoho_login\\(
    remediation: >-
      {ADVICE}
    examples:
      match: ["acme_zoho_login(user)"]
"""
FORMATS = ("txt", "json", "sarif", "md", "html")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scan with a custom rule file, written in every format."""
    base = tmp_path_factory.mktemp("custom")
    write_tree(base / "app", {"sync.py": "session = acme_zoho_login(user)\n"})
    (base / "acme.yaml").write_text(RULE_FILE)
    outputs = [a for ext in FORMATS for a in ("-o", str(base / f"out.{ext}"))]
    result = runner.invoke(
        app, ["scan", str(base / "app"), "--rules", str(base / "acme.yaml"), *outputs]
    )
    assert result.exit_code == 1, result.output  # a high finding
    return base


def _shows_advice(text: str) -> bool:
    return ADVICE in " ".join(text.split())


def test_every_format_shows_the_custom_remediation(scanned: Path) -> None:
    for ext in FORMATS:
        assert _shows_advice((scanned / f"out.{ext}").read_text()), ext


def test_the_result_lists_its_rules(scanned: Path) -> None:
    doc = json.loads((scanned / "out.json").read_text())
    rules = {r["id"]: r for r in doc["rules"]}
    assert rules["acme-legacy-login"] == {
        "id": "acme-legacy-login",
        "title": "Acme legacy Zoho login helper",
        "category": "v1-credential",
        "severity": "high",
        "secret_kind": None,
        "remediation": ADVICE,
    }
    assert "v1-authtoken-assignment" in rules  # and the built-in rules it ran with


def test_sarif_rule_help_is_the_custom_remediation(scanned: Path) -> None:
    log = json.loads((scanned / "out.sarif").read_text())
    _validate(log)
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "acme-legacy-login"
    assert rule["help"]["text"] == ADVICE
    assert rule["shortDescription"]["text"] == "Acme legacy Zoho login helper"
    assert _shows_advice(log["runs"][0]["results"][0]["message"]["text"])


def test_report_of_the_saved_result_needs_no_rule_file(scanned: Path, tmp_path: Path) -> None:
    outputs = [tmp_path / f"again.{ext}" for ext in ("txt", "md", "html", "sarif")]
    args = [a for out in outputs for a in ("-o", str(out))]
    result = runner.invoke(app, ["report", str(scanned / "out.json"), *args])
    assert result.exit_code == 0, result.output
    assert [out.name for out in outputs if not _shows_advice(out.read_text())] == []


def test_a_merge_keeps_every_result_s_rules(scanned: Path, tmp_path: Path) -> None:
    saved = (scanned / "out.json").read_text()
    (tmp_path / "billing.json").write_text(saved)
    (tmp_path / "crm.json").write_text(saved)
    out = tmp_path / "org.md"
    result = runner.invoke(
        app, ["report", str(tmp_path / "billing.json"), str(tmp_path / "crm.json"), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert _shows_advice(out.read_text())
    merged = merge([(p.stem, read_document(p)) for p in tmp_path.glob("*.json")])
    assert [r["id"] for r in merged["rules"]].count("acme-legacy-login") == 1
    assert merged["warnings"] == []  # the same rule twice is no conflict


def test_the_same_id_with_other_text_keeps_the_later_and_says_so() -> None:
    older = document([finding("acme-rule", "a.py", 1, category="v1-credential")], [])
    older["rules"] = [
        {"id": "acme-rule", "title": "Acme", "category": "v1-credential", "severity": "high",
         "secret_kind": None, "remediation": "Old advice."},
    ]  # fmt: skip
    newer = copy.deepcopy(older)
    newer["rules"][0]["remediation"] = "New advice."
    merged = merge([("old", older), ("new", newer)])
    assert [r["remediation"] for r in merged["rules"]] == ["New advice."]
    assert merged["warnings"] == [
        {
            "path": "new",
            "message": "rule acme-rule of this result differs from the one of old; "
            "the reports show this one",
            "repo": "new",
        }
    ]
    swapped = merge([("new", newer), ("old", older)])
    assert [r["remediation"] for r in swapped["rules"]] == ["Old advice."]


def test_results_saved_without_rules_use_the_built_in_ones(tmp_path: Path) -> None:
    doc = document([finding("v1-crmapi-scope", "a.py", 1)], [])
    del doc["rules"]  # type: ignore[misc]
    saved = tmp_path / "old.json"
    saved.write_text(json.dumps(doc))
    read = read_document(saved)
    assert "v1-crmapi-scope" in {r["id"] for r in read["rules"]}
    out = tmp_path / "old.sarif"
    assert runner.invoke(app, ["report", str(saved), "-o", str(out)]).exit_code == 0
    (rule,) = json.loads(out.read_text())["runs"][0]["tool"]["driver"]["rules"]
    assert (
        rule["help"]["text"]
        == read["rules"][[r["id"] for r in read["rules"]].index("v1-crmapi-scope")]["remediation"]
    )


def test_broken_built_in_rules_are_an_error_not_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "rules"
    broken.mkdir()
    (broken / "bad.yaml").write_text("rules: [{id: x}]\n")
    monkeypatch.setattr("zoho_v1_audit.ruleset.builtin_rules_dir", lambda: broken)
    result_json._builtin_rules.cache_clear()
    try:
        with pytest.raises(RuleError, match="title: is required"):
            result_json.with_rules({})
    finally:
        result_json._builtin_rules.cache_clear()


def test_saved_rules_are_checked(tmp_path: Path) -> None:
    doc = document([], [])
    doc["rules"] = [{"id": "r"}]  # type: ignore[typeddict-item]
    saved = tmp_path / "bad.json"
    saved.write_text(json.dumps(doc))
    result = runner.invoke(app, ["report", str(saved)])
    assert result.exit_code == 2
    assert "rules[0]: missing 'title'" in result.output


def test_documents_stored_without_rules_read_with_the_built_in_ones() -> None:
    doc = document([], [])
    built_in = doc.pop("rules")  # type: ignore[misc]
    assert (
        built_in and db.read_document(zlib.compress(json.dumps(doc).encode()))["rules"] == built_in
    )
