"""`report --db` shows the advice of the rules each stored result was produced with."""

from __future__ import annotations

from pathlib import Path

from tests.audit.conftest import Org
from tests.git.cli import audit
from tests.report.test_rules_carried import ADVICE, RULE_FILE


def test_the_database_report_shows_a_custom_rule_s_remediation(org: Org, tmp_path: Path) -> None:
    rules = tmp_path / "acme.yaml"
    rules.write_text(RULE_FILE)
    org.repos["clean"].commit("log in", {"main.py": "session = acme_zoho_login(user)\n"})
    db, cache = tmp_path / "org.db", tmp_path / "cache"
    run = audit(
        "audit", org.url("clean"), "--db", str(db), "--cache-dir", str(cache), "--rules", str(rules)
    )
    assert run.code == 0, run.stderr
    outputs = [tmp_path / f"org.{ext}" for ext in ("md", "sarif", "txt")]
    report = audit("report", "--db", str(db), *(a for p in outputs for a in ("-o", str(p))))
    assert report.code == 0, report.stderr
    for out in outputs:
        assert ADVICE in " ".join(out.read_text().split()), out.name
