"""The command line end to end: exit codes, outputs, errors, secrets kept out of every byte."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from tests.helpers import PASSWORD, TOKEN, builtin, write_tree
from zoho_v1_audit import __version__
from zoho_v1_audit.cli import app
from zoho_v1_audit.report import RenderOptions
from zoho_v1_audit.report.summary import summary_line
from zoho_v1_audit.report.text import render_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "legacy-crm-app"
SCHEMA = json.loads((ROOT / "docs" / "result.schema.json").read_text())
runner = CliRunner()


@pytest.fixture
def leaky(tmp_path: Path) -> Path:
    """A tree with a token, a password and a plain v1 URL."""
    return write_tree(
        tmp_path / "repo",
        {
            ".env": f"ZOHO_AUTHTOKEN={TOKEN}\n",
            "gen.sh": f"curl 'https://accounts.zoho.com/apiauthtoken/nb/create?SCOPE=ZohoCRM/crmapi&EMAIL_ID=a@acme.example&PASSWORD={PASSWORD}'\n",
            "docs/api.md": "GET https://crm.zoho.com/crm/private/json/Leads/getRecords\n",
        },
    )


def test_text_report_and_exit_code(leaky: Path) -> None:
    result = runner.invoke(app, ["scan", str(leaky)])
    assert result.exit_code == 1
    assert "v1-authtoken-assignment" in result.stdout
    assert "4 findings (2 critical, 1 high, 1 medium)" in result.stdout
    assert TOKEN not in result.stdout and PASSWORD not in result.stdout


def test_clean_tree_exits_zero(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": "print('hello')\n"})
    result = runner.invoke(app, ["scan", str(tmp_path)])
    assert result.exit_code == 0
    assert "0 findings (none)" in result.stdout


@pytest.mark.parametrize(("fail_on", "code"), [("never", 0), ("critical", 1), ("info", 1)])
def test_fail_on(leaky: Path, fail_on: str, code: int) -> None:
    assert runner.invoke(app, ["scan", str(leaky), "--fail-on", fail_on]).exit_code == code


def test_fail_on_threshold_above_every_finding(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.md": "see https://crm.zoho.com/crm/private/json/Leads/getRecords\n"})
    assert runner.invoke(app, ["scan", str(tmp_path), "--fail-on", "high"]).exit_code == 0
    assert runner.invoke(app, ["scan", str(tmp_path), "--fail-on", "medium"]).exit_code == 1


def test_json_matches_the_schema_and_hides_secrets(leaky: Path) -> None:
    result = runner.invoke(app, ["scan", str(leaky), "--format", "json"])
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert {s["kind"] for s in doc["secrets"]} == {"authtoken", "password"}
    assert TOKEN not in result.stdout and PASSWORD not in result.stdout
    assert all("value" not in s for s in doc["secrets"])


def test_text_report_ends_with_the_whole_summary_on_one_line(leaky: Path) -> None:
    doc = json.loads(runner.invoke(app, ["scan", str(leaky), "-f", "json"]).stdout)
    narrow = render_text(doc, RenderOptions(width=40))
    assert narrow.splitlines()[-1] == summary_line(doc)


def test_show_secrets_is_explicit(leaky: Path) -> None:
    result = runner.invoke(app, ["scan", str(leaky), "--format", "json", "--show-secrets"])
    doc = json.loads(result.stdout)
    assert {s["value"] for s in doc["secrets"]} == {TOKEN, PASSWORD}


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_output_modes_follow_the_umask_or_the_replaced_file_and_secrets_stay_private(
    leaky: Path, tmp_path: Path
) -> None:
    new, kept, private = tmp_path / "new.json", tmp_path / "kept.md", tmp_path / "private.json"
    kept.write_text("old")
    kept.chmod(0o640)
    private.write_text("old")
    private.chmod(0o644)
    runner.invoke(app, ["scan", str(leaky), "-o", str(new), "-o", str(kept)])
    runner.invoke(app, ["scan", str(leaky), "-o", str(private), "--show-secrets"])
    modes = {p.name: p.stat().st_mode & 0o777 for p in (new, kept, private)}
    assert modes == {"new.json": 0o644, "kept.md": 0o640, "private.json": 0o600}
    assert TOKEN in private.read_text()


def test_several_outputs_in_one_run(leaky: Path, tmp_path: Path) -> None:
    out_json, out_txt = tmp_path / "r.json", tmp_path / "r.txt"
    result = runner.invoke(app, ["scan", str(leaky), "-o", str(out_json), "-o", str(out_txt)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "4 findings" in result.stderr
    assert json.loads(out_json.read_text())["schema_version"] == "1"
    assert "Secrets to revoke" in out_txt.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json", "r.txt", "repo"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "{tree}", "-o", "{tmp}/report.xyz"], "cannot tell the format of"),
        (["scan", "{tmp}/missing"], "path not found"),
        (["scan", "{tree}", "--max-file-size", "lots"], "not a size"),
        (["scan", "{tree}", "--fail-on", "urgent"], "--fail-on must be one of"),
        (["scan", "{tree}", "--format", "xyz"], "--format must be one of"),
        (["report", "{tmp}/r.json", "--format", "pdf"], "--format must be one of"),
        (["scan", "{tree}", "--repo-url", "ftp://host/{{path}}"], "--repo-url must start with"),
        (["scan", "{tree}", "-o", "{tmp}/no/such/dir/r.json"], "cannot write"),
        (["scan", "{tree}", "--rules", "{tmp}/missing.yaml"], "rule file not found"),
        (["scan", "{tree}", "--disable", "no-such-rule"], "unknown rule id"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    leaky: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    argv = [a.format(tree=leaky, tmp=tmp_path) for a in args]
    result = runner.invoke(app, argv)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".r.json.*"))


def test_disable_and_extra_rules(leaky: Path, tmp_path: Path) -> None:
    rule = tmp_path / "extra.yaml"
    rule.write_text(
        "rules:\n  - id: acme-legacy\n    title: Acme legacy host\n    category: v1-endpoint\n"
        "    severity: low\n    keywords: [crm/private/]\n    pattern: 'crm/private/json'\n"
    )
    result = runner.invoke(
        app,
        [
            "scan",
            str(leaky),
            "--format",
            "json",
            "--rules",
            str(rule),
            "--disable",
            "v1-crm-endpoint",
        ],
    )
    rule_ids = {f["rule_id"] for f in json.loads(result.stdout)["findings"]}
    assert "acme-legacy" in rule_ids and "v1-crm-endpoint" not in rule_ids


def test_rules_list_shows_every_rule() -> None:
    result = runner.invoke(app, ["rules", "list"])
    assert result.exit_code == 0
    for rule in builtin().rules:
        assert rule.id in result.stdout


def test_rules_test_passes_and_catches_a_wrong_example(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["rules", "test"])
    assert ok.exit_code == 0 and ", 0 failed" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - id: acme-legacy\n    title: t\n    category: v1-endpoint\n    severity: low\n"
        "    keywords: [legacy]\n    pattern: 'legacy-host'\n"
        "    examples: {match: ['legacy-hst'], no_match: ['other']}\n"
    )
    failed = runner.invoke(app, ["rules", "test", str(bad)])
    assert failed.exit_code == 1
    assert "FAIL acme-legacy" in failed.stderr and ", 1 failed" in failed.stdout
    bad.write_text("rules: [")
    assert runner.invoke(app, ["rules", "test", str(bad)]).exit_code == 2


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.stdout.strip() == f"zoho-v1-audit {__version__}"


def test_installed_script_on_the_bundled_example(tmp_path: Path) -> None:
    script = shutil.which("zoho-v1-audit", path=os.path.dirname(sys.executable))
    assert script is not None, "the console script is installed next to the interpreter"
    out = tmp_path / "example.json"
    proc = subprocess.run(
        [script, "scan", str(EXAMPLE), "-o", str(out)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SCHEMA)
    assert len(doc["secrets"]) >= 5
    assert any(len(s["locations"]) >= 3 for s in doc["secrets"])


def test_python_dash_m(leaky: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "zoho_v1_audit",
            "scan",
            str(leaky),
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0
    assert len(json.loads(proc.stdout)["secrets"]) == 2
