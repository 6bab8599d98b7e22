"""What the reports say: the first step, the rotate order, the migration plan, team rollups."""

from __future__ import annotations

import pytest

from tests.report.docs import document, finding, location, secret, v1
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.view import build_report


def _token_doc(*statuses: str, verification: bool = True) -> Document:
    findings, secrets = [], []
    for i, status in enumerate(statuses):
        value, path = f"token-{i}", f"f{i}.py"
        findings.append(
            finding(
                "v1-authtoken-assignment",
                path,
                1,
                category="v1-token",
                severity="critical",
                secret=value,
                kind="authtoken",
            )
        )
        checked = "2026-01-05T10:00:00+00:00" if status != "not-checked" else None
        secrets.append(
            secret(
                value,
                f"tok{i}…",
                [location(path, 1)],
                status=status,
                reason=f"because {status}",
                checked_at=checked,
            )
        )
    return document(findings, secrets, verification=verification)


@pytest.mark.parametrize(
    ("statuses", "start"),
    [
        (
            ("invalid", "live", "unknown"),
            "Revoke the 1 live secret first (tok1…): Zoho accepts it today. Then revoke the other one",
        ),
        (
            ("unsupported", "not-checked"),
            "Revoke the 2 hard-coded secrets first: none is proven dead",
        ),
        (("invalid", "invalid"), "Delete the 2 dead tokens from the code (Zoho rejects them)."),
    ],
)
def test_first_step(statuses: tuple[str, ...], start: str) -> None:
    assert build_report(_token_doc(*statuses), "t", None).first_step.startswith(start)


def test_first_step_without_secrets() -> None:
    calls = document([finding("v1-crm-endpoint", "a.py", 3, v1=v1("getRecords", "Leads"))], [])
    assert build_report(calls, "t", None).first_step.startswith(
        "No hard-coded secret was found. Move the 1 line that uses API v1 to API 2.0"
    )
    assert build_report(document([], []), "t", None).first_step.startswith("Nothing found")


def test_rotate_order_is_live_then_unproven_then_dead() -> None:
    report = build_report(
        _token_doc(
            "invalid",
            "not-checked",
            "user-disabled",
            "unsupported",
            "live-rate-limited",
            "unknown",
            "live",
        ),
        "t",
        None,
    )
    assert [s.status for s in report.secrets] == [
        "live", "live-rate-limited", "unknown", "unsupported", "not-checked", "user-disabled", "invalid",
    ]  # fmt: skip
    assert [g.key for g in report.secret_groups] == ["live", "unproven", "disabled", "invalid"]


def test_verification_notes() -> None:
    unchecked = build_report(_token_doc("not-checked", verification=False), "t", None)
    assert "--verify" in unchecked.verification_note
    retired = build_report(_token_doc("unsupported", "unsupported"), "t", None)
    assert "no authtoken's state could be proven" in retired.verification_note
    assert "revoke every one anyway" in retired.verification_note
    assert build_report(document([], []), "t", None).verification_note == ""


def test_invalid_tokens_are_deleted_not_revoked() -> None:
    (dead,) = build_report(_token_doc("invalid"), "t", None).secrets
    assert dead.steps[0].startswith("Delete it from every place listed")
    (live,) = build_report(_token_doc("live"), "t", None).secrets
    assert live.steps[0].startswith(
        "Revoke it: sign in to Zoho Accounts (`https://accounts.zoho.com`)"
    )


def test_steps_use_the_data_centre() -> None:
    doc = _token_doc("live")
    doc["secrets"][0]["verification"]["data_centre"] = "eu"
    (s,) = build_report(doc, "t", None).secrets
    assert "accounts.zoho.eu" in s.steps[0] and "api-console.zoho.eu" in s.steps[2]


def test_plan_groups_calls_and_counts_lines_once() -> None:
    doc = document(
        [
            finding(
                "v1-crm-endpoint", "a.py", 3, v1=v1("getRecords", "Potentials"), owners=["@t/a"]
            ),
            finding("v1-crmapi-scope", "a.py", 3, severity="medium", owners=["@t/a"]),
            finding(
                "v1-crm-endpoint", "b.py", 7, v1=v1("getRecords", "Potentials"), owners=["@t/b"]
            ),
            finding(
                "v1-crm-endpoint",
                "README.md",
                2,
                v1=v1("getRecords", "Potentials"),
                placement="docs",
            ),
            finding(
                "v1-other-product", "r.py", 1, v1=v1("getRecords", "Candidates", product="recruit")
            ),
        ],
        [],
    )
    plan = build_report(doc, "t", None).plan
    (row,) = plan.rows
    assert (row.module, row.method, row.call_sites, row.mentions) == (
        "Potentials",
        "getRecords",
        2,
        1,
    )
    assert row.replacement is not None and row.replacement.path == "/crm/v2/Deals"
    assert row.files == ("README.md", "a.py", "b.py")
    assert row.teams == ("@t/a", "@t/b", "(unowned)")
    assert [o.rule_id for o in plan.other] == ["v1-crmapi-scope", "v1-other-product"]
    assert plan.call_sites == 3  # a.py:3 once, b.py:7, r.py:1; the README is not code
    assert {r.team: r.call_sites for r in plan.rollup} == {"@t/a": 1, "@t/b": 1, "(unowned)": 1}


def test_teams_put_a_shared_file_under_each_owner_and_unowned_last() -> None:
    doc = document(
        [
            finding("v1-crm-endpoint", "shared.py", 1, owners=["@t/b", "@t/a"]),
            finding("v1-crm-endpoint", "free.py", 1),
            finding("v1-crm-endpoint", "a.py", 1, owners=["@t/a"]),
        ],
        [],
    )
    report = build_report(doc, "t", None)
    assert [(t.name, len(t.findings)) for t in report.teams] == [
        ("@t/a", 2),
        ("@t/b", 1),
        ("(unowned)", 1),
    ]
    assert report.owners_known


def test_links_use_the_template() -> None:
    doc = document([finding("r", "src/a b.py", 4, commit="abcdef1234567890")], [])
    doc["findings"][0]["repo"] = "svc"
    (f,) = build_report(
        doc, "t", "https://git.example/{repo}/blob/{commit}/{path}#L{line}"
    ).findings
    assert f.place.link == "https://git.example/svc/blob/abcdef1234567890/src/a%20b.py#L4"
    assert f.place.commit == "abcdef1234"


def test_the_report_says_where_tokens_were_sent() -> None:
    doc = _token_doc("live")
    doc["scan"]["verification"]["api_base"] = {"*": "http://127.0.0.1:8080"}
    doc["scan"]["verification"]["oauth_api_base"] = {"eu": "https://proxy.example/eu"}
    assert build_report(doc, "t", None).verified_against == (
        "http://127.0.0.1:8080 (every data centre)",
        "eu: https://proxy.example/eu",
    )
