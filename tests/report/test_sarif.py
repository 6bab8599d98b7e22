"""SARIF: golden mapping, the official 2.1.0 schema, GitHub's conventions (SARIF Multitool)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.report.conftest import GOLDEN_OPTIONS, ROOT, check_golden
from tests.report.docs import document, finding
from zoho_v1_audit.report import RenderOptions
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.merge import merge
from zoho_v1_audit.report.sarif import FINGERPRINT_KEY, render_sarif, to_sarif

SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())


def _validate(log: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]
    assert errors == []


def _results(log: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {
        (r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r["locations"][0]["physicalLocation"]["region"]["startLine"]): r
        for run in log["runs"]
        for r in run["results"]
    }  # fmt: skip


def test_golden(golden_doc: Document) -> None:
    check_golden("report.sarif", render_sarif(golden_doc, GOLDEN_OPTIONS))


def test_valid_against_the_official_schema(golden_doc: Document, example_doc: Document) -> None:
    _validate(to_sarif(golden_doc))
    _validate(to_sarif(example_doc))
    _validate(to_sarif(document([], [])))
    _validate(to_sarif(merge([("a", golden_doc), ("b", example_doc)])))


def test_the_schema_catches_a_broken_log(golden_doc: Document) -> None:
    log = to_sarif(golden_doc)
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(AssertionError):
        _validate(log)


def test_levels_follow_verification(golden_doc: Document) -> None:
    results = _results(to_sarif(golden_doc))
    assert results[(".env", 3)]["level"] == "error"  # live
    assert results[("web/webhook.js", 10)]["level"] == "error"  # unproven
    assert results[("scripts/get_authtoken.sh", 9)]["level"] == "error"  # a password, not checked
    assert results[("billing/zoho_config.php", 8)]["level"] == "warning"  # invalid
    assert results[("web/webhook.js", 21)]["level"] == "warning"  # v1 usage
    assert results[("sync/zoho_oauth.py", 14)]["level"] == "note"  # info


def test_results_carry_fingerprint_location_and_status(golden_doc: Document) -> None:
    log = to_sarif(golden_doc)
    run = log["runs"][0]
    by_fingerprint = {f["fingerprint"]: f for f in golden_doc["findings"]}
    assert len(run["results"]) == len(golden_doc["findings"])
    for result in run["results"]:
        finding = by_fingerprint[result["partialFingerprints"][FINGERPRINT_KEY]]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["region"]["startLine"] == finding["line"]
        assert location["region"]["startColumn"] == finding["column"]
        assert (
            run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"]
            == result["ruleId"]
            == finding["rule_id"]
        )
        assert result["message"]["text"]
    live = _results(log)[(".env", 3)]
    assert live["properties"]["verification"]["status"] == "live"
    assert live["properties"]["secret"]["preview"] == "c580…825c"
    assert "Zoho accepted this token" in live["message"]["text"]
    call = _results(log)[("platform/Exporter.java", 15)]
    assert call["properties"]["replacement"] == {
        "http": "GET",
        "path": "/crm/v2/Deals",
        "scope": "ZohoCRM.modules.deals.READ",
    }
    assert "GET /crm/v2/Deals" in call["message"]["text"]


def test_uris_are_relative_and_percent_encoded(golden_doc: Document) -> None:
    uris = {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for r in to_sarif(golden_doc)["runs"][0]["results"]
    }
    assert "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.py" in uris
    assert all(not u.startswith(("/", "file:")) and " " not in u and "<" not in u for u in uris)


def test_one_rule_per_id_with_help(golden_doc: Document) -> None:
    rules = to_sarif(golden_doc)["runs"][0]["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert len(ids) == len(set(ids)) == len({f["rule_id"] for f in golden_doc["findings"]})
    token = next(r for r in rules if r["id"] == "v1-authtoken-assignment")
    assert "Active Authtokens" in token["help"]["text"]  # the built-in rule's remediation
    assert "1. Revoke it" in token["help"]["markdown"]
    assert token["properties"]["security-severity"] == "9.5"
    assert token["defaultConfiguration"]["level"] == "error"


def test_merged_document_gives_one_run_per_repository(golden_doc: Document) -> None:
    other = document([finding("v1-crm-endpoint", "app.py", 3)], [])
    log = to_sarif(merge([("billing", golden_doc), ("crm-sync", other)]))
    assert [r["automationDetails"]["id"] for r in log["runs"]] == [
        "zoho-v1-audit/billing/",
        "zoho-v1-audit/crm-sync/",
    ]
    assert [len(r["results"]) for r in log["runs"]] == [len(golden_doc["findings"]), 1]


@cache
def _multitool() -> str | None:
    """The SARIF Multitool: SARIF_MULTITOOL when set (CI sets it: then it must work), else PATH."""
    return (
        os.environ.get("SARIF_MULTITOOL")
        or shutil.which("sarif-multitool-linux")
        or shutil.which("sarif-multitool")
    )


@pytest.mark.slow
@pytest.mark.skipif(
    _multitool() is None,
    reason="SARIF Multitool not installed (npm install @microsoft/sarif-multitool-linux; set SARIF_MULTITOOL to its binary)",
)
def test_github_rules_of_the_sarif_multitool(
    golden_doc: Document, example_doc: Document, tmp_path: Path
) -> None:
    tool = _multitool()
    assert tool is not None and Path(tool).is_file(), f"SARIF_MULTITOOL={tool} is not a file"
    for name, doc in (("golden", golden_doc), ("example", example_doc)):
        log = tmp_path / f"{name}.sarif"
        log.write_text(render_sarif(doc, RenderOptions()))
        out = tmp_path / f"{name}.validation.sarif"
        run = subprocess.run(
            [tool, "validate", str(log), "--rule-kind", "Gh", "--output", str(out), "--log", "ForceOverwrite"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        reported = json.loads(out.read_text())
        problems = [
            f"{r['ruleId']}: {r['message']}"
            for report in reported["runs"]
            for r in report.get("results", [])
            if r.get("level", "warning") in ("error", "warning")
        ]
        assert problems == [], "\n".join(problems)
