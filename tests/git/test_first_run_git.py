"""History and hooks as a new user meets them: the plan holds only the work left in HEAD, and a
blocked commit says why and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import cast

from tests.git.cli import audit
from tests.git.repo import GitRepo
from tests.helpers import TOKEN
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.view import build_report

V1 = "URL = 'https://crm.zoho.com/crm/private/json/{module}/getRecords'\n"
V2 = "URL = 'https://www.zohoapis.com/crm/v2/Leads'\n"


def test_the_plan_counts_only_v1_usage_still_in_head(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("v1", {"a.py": V1.format(module="Leads"), "b.py": V1.format(module="Contacts")})
    repo.commit("a.py moves to API 2.0", {"a.py": V2})
    run = audit("scan", str(repo.path), "--git", "-f", "json")
    report = build_report(cast(Document, run.doc), "t", None)
    assert [(r.module, r.call_sites) for r in report.plan.rows] == [("Contacts", 1)]
    assert (report.plan.call_sites, report.plan.history) == (1, 1)
    assert "Move the 1 line that uses API v1" in report.first_step

    repo.commit("b.py moves too", {"b.py": V2})
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    audit("scan", str(repo.path), "--git", "-o", str(html), "-o", str(md))
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    report = build_report(cast(Document, doc), "t", None)
    assert (report.plan.call_sites, report.plan.rows, report.plan.history) == (0, (), 2)
    assert "line that uses API v1" not in report.first_step
    assert "2 lines of v1 usage are only in the history" in html.read_text()
    assert "2 lines of v1 usage are only in the history" in md.read_text()


def test_a_blocked_commit_says_what_to_do(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": "a = 1\n"})
    repo.write({"app.py": "a = 1\n"})
    clean = audit("scan", str(repo.path), "--staged")
    assert clean.code == 0 and "blocked" not in clean.stderr
    repo.write({"app.py": f"a = 1\nZOHO_AUTHTOKEN = '{TOKEN}'\n"})
    repo.git("add", "app.py")
    blocked = audit("scan", str(repo.path), "--staged")
    assert blocked.code == 1
    message = blocked.stderr.strip().splitlines()[-1]
    assert message.startswith("zoho-v1-audit: the commit is blocked: ")
    for way in ("zoho-v1-audit: ignore", "baseline create", "git commit --no-verify"):
        assert way in message
