"""Evidence of findings that rest on context shows in every report format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import TOKEN, builtin, scan, write_tree
from zoho_v1_audit.report import OutputFormat, RenderOptions
from zoho_v1_audit.report.json import Document, to_document
from zoho_v1_audit.report.render import render

_BOUND = "32 hex bound to $auth, used as the authtoken on line 4"
_ELSEWHERE = "v1 use on line 1 of lib/api.rb"


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Document:
    root: Path = tmp_path_factory.mktemp("evidence")
    write_tree(
        root,
        {
            "sync.php": f"<?php\n$auth = \"{TOKEN}\";\n\n$q = array('authtoken' => $auth);\n",
            "lib/api.rb": "BASE = 'https://crm.zoho.com/crm/private/json/'\n",
            "app/sync.rb": "client.request(client.build_url('Leads', 'getRecords'))\n",
        },
    )
    return to_document(scan(root), rules=builtin().rules)


@pytest.mark.parametrize("fmt", [OutputFormat.TEXT, OutputFormat.MARKDOWN, OutputFormat.HTML])
def test_reports_for_people_show_the_evidence(doc: Document, fmt: OutputFormat) -> None:
    text = render(doc, fmt, RenderOptions(width=400))  # wide enough that no table cell wraps
    flat = " ".join(text.split())
    assert _BOUND.replace("$", "") in flat.replace("$", "").replace("\\", "")
    assert _ELSEWHERE in flat


def test_sarif_carries_the_evidence_in_message_and_properties(doc: Document) -> None:
    sarif = json.loads(render(doc, OutputFormat.SARIF, RenderOptions()))
    results = sarif["runs"][0]["results"]
    bound = next(r for r in results if r["ruleId"] == "v1-authtoken-bound-name")
    assert bound["message"]["text"].endswith(f"Evidence: {_BOUND}.")
    assert bound["properties"]["evidence"] == {"text": _BOUND, "line": 4, "path": None}
    method = next(r for r in results if r["ruleId"] == "v1-method-call")
    assert method["properties"]["evidence"]["path"] == "lib/api.rb"


def test_findings_that_stand_alone_carry_no_evidence(doc: Document) -> None:
    findings = doc["findings"]
    assert isinstance(findings, list)
    endpoint = next(f for f in findings if f["rule_id"] == "v1-crm-endpoint")
    assert endpoint["evidence"] is None
