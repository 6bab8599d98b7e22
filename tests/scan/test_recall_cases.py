"""The labelled, hand-written cases: every labelled line found, no look-alike line reported;
and the context behind findings that rest on it (bound names, Zoho neighbours, evidence)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import yaml

from tests.helpers import PASSWORD, TOKEN, builtin, findings_in, ids, scan, write_tree
from zoho_v1_audit.report.json import to_document
from zoho_v1_audit.scan import neighbours

ROOT = Path(__file__).resolve().parents[2]


def _recall_cases() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "recall_cases", ROOT / "bench" / "recall_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being defined
    spec.loader.exec_module(module)
    return module


def test_every_labelled_line_is_found_and_no_lookalike_is_reported() -> None:
    rc = _recall_cases()
    labels = yaml.safe_load(rc.LABELS.read_text(encoding="utf-8"))
    s = rc.score(rc.CASES, labels)
    assert set(s.labelled) == {"v1", "token", "password", "oauth"}
    assert s.near_misses >= 30
    assert s.missed == []
    assert s.false_flags == []


def test_every_case_file_is_labelled_and_every_label_points_into_its_file() -> None:
    rc = _recall_cases()
    labels = yaml.safe_load(rc.LABELS.read_text(encoding="utf-8"))
    files = {p.relative_to(rc.CASES).as_posix() for p in rc.CASES.rglob("*") if p.is_file()}
    assert files == set(labels)
    for path, kinds in labels.items():
        count = len((rc.CASES / path).read_text(encoding="utf-8").splitlines())
        assert all(1 <= line <= count for lines in kinds.values() for line in lines), path


def test_a_literal_bound_to_a_name_is_reported_where_it_is_bound_with_the_use_as_evidence() -> None:
    text = f"<?php\n$auth = \"{TOKEN}\";\n\n$q = array('authtoken' => $auth);\n"
    found = [f for f in findings_in(text, "sync.php") if f.rule_id == "v1-authtoken-bound-name"]
    assert [(f.location.line, f.secret) for f in found] == [(2, TOKEN)]
    evidence = found[0].evidence
    assert evidence is not None
    assert (evidence.line, evidence.text) == (
        4,
        "32 hex bound to $auth, used as the authtoken on line 4",
    )


def test_a_literal_bound_to_a_name_used_elsewhere_is_not_reported() -> None:
    text = f"CACHE = '{TOKEN}'\nurl = BASE + '?authtoken=' + token\ncache.get(CACHE)\n"
    assert "v1-authtoken-bound-name" not in ids(findings_in(text))


def test_names_followed_to_their_bindings_are_capped_per_file() -> None:
    """A file of thousands of distinct names on authtoken lines costs a bounded number of passes."""
    uses = "".join(f"q{i} = '?authtoken=' + name{i}\n" for i in range(neighbours.MAX_NAMES + 50))
    bound = "".join(f"name{i} = '{TOKEN[:-3]}{i:03d}'\n" for i in range(neighbours.MAX_NAMES + 50))
    found = [f for f in findings_in(bound + uses) if f.rule_id == "v1-authtoken-bound-name"]
    assert 0 < len(found) <= neighbours.MAX_NAMES


def test_a_password_counts_only_in_a_block_that_names_zoho() -> None:
    text = (
        "database:\n  user: app\n  password: Db-Only-2016\n"
        f"zoho:\n  login: ops@northwind.io\n  password: {PASSWORD}\n"
    )
    found = [f for f in findings_in(text, "config/app.yml") if f.rule_id == "zoho-login-password"]
    assert [(f.location.line, f.secret) for f in found] == [(6, PASSWORD)]
    assert found[0].evidence is not None and found[0].evidence.line == 4


def test_a_flat_file_line_does_not_borrow_zoho_from_its_neighbours() -> None:
    text = f"ZOHO_USER=ops@northwind.io\nDB_PASSWORD={PASSWORD}\n"
    assert "zoho-login-password" not in ids(findings_in(text, ".env"))


def test_the_block_walk_is_bounded_on_a_huge_flat_mapping() -> None:
    text = "zoho:\n" + "  k: v\n" * 5000 + f"  password: {PASSWORD}\n"
    assert "zoho-login-password" not in ids(findings_in(text, "big.yml"))


def test_a_bare_authorization_header_needs_a_zoho_host_in_the_file() -> None:
    header = f"headers = {{'Authorization': '{TOKEN}'}}\n"
    assert "v1-authtoken-authorization-header" not in ids(findings_in(header))
    found = findings_in("BASE = 'https://desk.zoho.com/api/v1'\n" + header)
    assert "v1-authtoken-authorization-header" in ids(found)


def test_evidence_reaches_the_json_document_and_names_the_file_across_the_tree(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path,
        {
            "lib/api.rb": "BASE = 'https://crm.zoho.com/crm/private/json/'\n",
            "app/sync.rb": "client.request(client.build_url('Leads', 'getRecords'))\n",
        },
    )
    doc = to_document(scan(root), rules=builtin().rules)
    by_rule = {f["rule_id"]: f for f in doc["findings"]}
    assert by_rule["v1-crm-endpoint"]["evidence"] is None
    assert by_rule["v1-method-call"]["evidence"] == {
        "text": "v1 use on line 1",
        "line": 1,
        "path": "lib/api.rb",
    }
    json.dumps(doc)
