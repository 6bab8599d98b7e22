"""The HTML report puts the decision first: a summary with a per-team chart and table, each
secret's steps once per kind, and no advice to verify what is never verified."""

from __future__ import annotations

import re
from typing import Any

from tests.report.conftest import GOLDEN_OPTIONS
from tests.report.docs import document, finding, location, secret
from zoho_v1_audit.report.chart import BAR_W, BAR_X, team_chart
from zoho_v1_audit.report.jinja import render_html
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.view import build_report

A, B, C = "a" * 32, "b" * 32, "c" * 32


def _token(value: str, preview: str, path: str, team: str, **kw: Any) -> tuple[Any, Any]:
    f = finding(
        "v1-authtoken-assignment", path, 1, category="v1-token", severity="critical",
        secret=value, kind=kw.get("kind", "authtoken"), owners=[team],
    )  # fmt: skip
    loc = location(path, 1, owners=[team])
    return f, secret(value, preview, [loc], **kw)


def _doc() -> Document:
    pairs = [
        _token(A, "aaaa…aaaa", "a.py", "@acme/web"),
        _token(B, "bbbb…bbbb", "b.py", "@acme/web"),
        _token(C, "cccc…cccc", "c.py", "@acme/billing", kind="password", category="v1-credential"),
        _token("1000." + A + "." + B, "1000.aa…bb", "o.py", "@acme/billing", kind="refresh-token",
               category="oauth-secret"),
    ]  # fmt: skip
    usage = finding("v1-crm-endpoint", "d.py", 3, severity="medium", owners=["@acme/web"])
    return document([usage, *(f for f, _ in pairs)], [s for _, s in pairs])


def test_steps_are_shown_once_per_kind_and_every_card_links_to_them() -> None:
    html = render_html(_doc(), GOLDEN_OPTIONS)
    assert html.count("Sign in to Zoho Accounts") + html.count("sign in to Zoho Accounts") == 1
    assert html.count("<ol>") == 3  # authtoken, password, refresh token
    links = re.findall(r'<a href="#(steps-[a-z-]+)">How to retire it', html)
    assert sorted(links) == sorted(
        ["steps-authtoken", "steps-authtoken", "steps-password", "steps-refresh-token"]
    )
    for key in set(links):
        assert f'id="{key}"' in html


def test_the_summary_comes_before_the_details() -> None:
    html = render_html(_doc(), GOLDEN_OPTIONS)
    order = ["team-chart", "<h3>Per team</h3>", 'id="rotate"', 'id="steps"', 'id="migration"']
    order += ['id="findings"', 'id="teams"', 'id="details"']
    positions = [html.index(mark) for mark in order]
    assert positions == sorted(positions)


def test_the_chart_draws_findings_and_secrets_per_team_by_severity() -> None:
    report = build_report(_doc(), "t", None)
    chart = team_chart(report.teams)
    assert chart is not None
    rows = {row.team: row for row in chart.rows}
    web = rows["@acme/web"].bars
    assert [(s.severity, s.count) for s in web[0].segments] == [("critical", 2), ("medium", 1)]
    assert (web[0].total, web[1].total) == (3, 2)
    assert web[0].segments[0].x == BAR_X
    assert web[0].end == BAR_X + BAR_W + 6  # the team with most findings fills the width
    html = render_html(_doc(), GOLDEN_OPTIONS)
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'class="c-critical findings"' in svg and 'class="c-critical secrets"' in svg
    assert "style=" not in svg and "<script" not in svg  # the page's CSP allows neither
    assert ">3 findings</text>" in svg and ">2 secrets</text>" in svg


def test_many_teams_are_cut_and_counted() -> None:
    findings = [
        finding("v1-crm-endpoint", f"t{i}.py", 1, owners=[f"@acme/team-{i:02d}"]) for i in range(15)
    ]
    report = build_report(document(findings, []), "t", None)
    chart = team_chart(report.teams)
    assert chart is not None and (len(chart.rows), chart.left_out) == (12, 3)
    assert "3 more teams are in the table" in render_html(document(findings, []), GOLDEN_OPTIONS)


def test_kinds_that_are_never_checked_do_not_say_use_verify() -> None:
    report = build_report(_doc(), "t", None)
    reasons = {s.kind: s.reason for s in report.secrets}
    assert reasons["authtoken"] == "verification was not requested (use --verify)"
    for kind in ("password", "refresh-token"):
        assert "use --verify" not in reasons[kind]
        assert reasons[kind].startswith("never checked, with or without --verify")
