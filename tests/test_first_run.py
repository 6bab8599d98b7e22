"""What a new user reads: counts, plurals, warnings, suggestions, help, and the README's commands."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import PASSWORD, TOKEN, run_cli, write_tree
from tests.zoho_server import ZohoServer, code
from zoho_v1_audit.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
runner = CliRunner()

JAVA = 'post.setParameter("authtoken", props.getProperty("zoho.crm.authtoken"));\n'


def test_one_finding_per_rule_line_and_fingerprint(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"Exporter.java": JAVA})
    result = runner.invoke(app, ["scan", str(root), "-f", "json"])
    params = [
        f for f in json.loads(result.stdout)["findings"] if f["rule_id"] == "v1-authtoken-parameter"
    ]
    assert [(f["line"], f["column"]) for f in params] == [(1, 20)]  # twice on the line, once here

    baseline = tmp_path / "baseline.json"
    created = runner.invoke(app, ["baseline", "create", str(root), "-o", str(baseline)])
    entries = json.loads(baseline.read_text())["findings"]
    said = re.search(r"wrote (\d+) entr(?:y|ies) for (\d+) findings? to ", created.stderr)
    assert said is not None, created.stderr
    assert int(said[1]) == int(said[2]) == len(entries) == 1


def test_prose_naming_the_variable_is_not_a_parameter(tmp_path: Path) -> None:
    script = 'echo "Put it in .env (ZOHO_AUTHTOKEN) and deploy/k8s/zoho-secret.yaml"\n'
    root = write_tree(tmp_path / "app", {"get.sh": script, "call.py": JAVA})
    doc = json.loads(runner.invoke(app, ["scan", str(root), "-f", "json"]).stdout)
    assert [f["path"] for f in doc["findings"]] == ["call.py"]


def test_plurals_in_the_summary_line(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    result = runner.invoke(app, ["scan", str(root)])
    assert "1 finding (1 critical), 1 distinct secret; scanned 1 file " in result.stdout
    assert "1 findings" not in result.stdout and "1 files" not in result.stdout


def test_hidden_findings_are_counted_in_the_summary(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "app",
        {
            "a.env": f"ZOHO_AUTHTOKEN={TOKEN}\n",
            "b.py": f"AUTHTOKEN = '{TOKEN}'  # zoho-v1-audit: ignore\n",
            "c.sh": f"curl 'https://accounts.zoho.com/apiauthtoken/nb/create?PASSWORD={PASSWORD}'\n",
            ".zoho-v1-audit.yaml": "allow: ['^Winter']\n",
        },
    )
    baseline = tmp_path / "baseline.json"
    runner.invoke(app, ["baseline", "create", str(root), "-o", str(baseline)])
    root.joinpath("a.env").write_text(f"ZOHO_AUTHTOKEN={TOKEN}\nOTHER=1\n")
    result = runner.invoke(app, ["scan", str(root), "--baseline", str(baseline)])
    line = result.stdout.strip().splitlines()[-1]
    assert re.search(r"; not shown: \d+ baselined, 1 allowlisted, 1 inline-ignored$", line), line


@pytest.mark.parametrize(
    "files", [{}, {"a.png": b"\x89PNG\r\n\x1a\n\0\0", "b.jpg": b"\xff\xd8\xff\xe0\0\x10JFIF"}]
)
def test_warns_when_nothing_was_scanned(tmp_path: Path, files: dict[str, bytes]) -> None:
    root = tmp_path / "app"
    root.mkdir()
    write_tree(root, files)
    shown = runner.invoke(app, ["scan", str(root)])
    assert shown.exit_code == 0
    reason = "(skipped: 2 media)" if files else "(it holds no files)"
    assert f"warning: nothing was scanned: no readable file under {root} {reason}" in shown.stdout
    written = runner.invoke(app, ["scan", str(root), "-o", str(tmp_path / "r.json")])
    assert "zoho-v1-audit: warning: nothing was scanned" in written.stderr
    html = tmp_path / "r.html"
    runner.invoke(app, ["scan", str(root), "-o", str(html)])
    assert "Warning: nothing was scanned" in html.read_text()


def test_no_warning_when_files_were_read(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"a.py": "print(1)\n"})
    assert "nothing was scanned" not in runner.invoke(app, ["scan", str(root)]).output


def test_unknown_extension_takes_format_or_says_how(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"a.py": "print(1)\n"})
    pdf = tmp_path / "report.pdf"
    refused = runner.invoke(app, ["scan", str(root), "-o", str(pdf)])
    assert refused.exit_code == 2 and not pdf.exists()
    assert "add --format FORMAT (text, json, sarif, md, html)" in refused.stderr
    taken = runner.invoke(app, ["scan", str(root), "--format", "html", "-o", str(pdf)])
    assert taken.exit_code == 0, taken.stderr
    assert pdf.read_text().startswith("<!DOCTYPE html>")
    assert f"wrote {pdf}\n" in taken.stderr


def test_names_every_file_written(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"a.py": "print(1)\n"})
    outs = [tmp_path / "r.html", tmp_path / "r.md", tmp_path / "r.json"]
    result = runner.invoke(app, ["scan", str(root), *(a for p in outs for a in ("-o", str(p)))])
    assert result.stderr.splitlines()[0] == "wrote " + ", ".join(map(str, outs))


def test_verification_options_without_verify_are_flagged(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"a.py": "print(1)\n"})
    result = runner.invoke(
        app, ["scan", str(root), "--dc", "eu", "--verify-timeout", "3", "--verify-deadline", "9"]
    )
    assert (
        "zoho-v1-audit: warning: --dc, --verify-timeout, --verify-deadline apply only with "
        "--verify; ignored"
    ) in result.stderr
    alone = runner.invoke(app, ["scan", str(root), "--api-base", "https://proxy.example"])
    assert "--api-base applies only with --verify" in alone.stderr
    assert "warning" not in runner.invoke(app, ["scan", str(root)]).stderr


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_verification_that_reaches_no_data_centre_says_so(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    html = tmp_path / "r.html"
    base = f"http://127.0.0.1:{_closed_port()}"
    result = runner.invoke(
        app, ["scan", str(root), "--verify", "--api-base", base, "-o", str(html), "-j", "1"]
    )
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert warnings == [
        "zoho-v1-audit: warning: --verify reached no Zoho data centre: none of the 3 requests got "
        "an answer, so no token's state is known; check the network (or --api-base) and run "
        "again, and revoke every token meanwhile"
    ]
    page = html.read_text()
    assert "Verification reached no Zoho data centre" in page
    assert "checked once against Zoho" not in page


def test_no_unreachable_warning_when_zoho_answers(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    with ZohoServer() as zoho:
        zoho.script(TOKEN, default=code("4834"))
        bases = [a for b in zoho.api_bases("com") for a in ("--api-base", b)]
        result = runner.invoke(app, ["scan", str(root), "--verify", *bases, "-f", "json"])
    doc = json.loads(result.stdout)
    assert doc["scan"]["verification"]["answered"] == doc["scan"]["verification"]["requests"] == 1
    assert "reached no Zoho data centre" not in result.stderr


def test_wrong_flags_get_close_suggestions_or_none() -> None:
    wrong = run_cli("scan", "--wrong-flag")
    assert wrong.returncode == 2
    assert "No such option: --wrong-flag" in wrong.stderr and "Possible" not in wrong.stderr
    typo = run_cli("scan", "--verfy")
    assert "No such option: --verfy (Possible options: --verify)" in typo.stderr


def test_scan_help_fits_80_columns_in_panels() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "scan", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "COLUMNS": "80", "TERM": "dumb", "NO_COLOR": "1"},
    )
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert not any("…" in line for line in lines)  # nothing cut off
    for panel in ("What to scan", "Git history", "Output", "Verification", "Suppression"):
        assert any(line.startswith(f"╭─ {panel}") for line in lines), panel
    text = " ".join(" ".join(line.strip("│ ").split()) for line in lines)
    assert "Exit codes: 0 nothing at or above --fail-on; 1 findings" in text
    assert "https://h/{commit}/{path}#L{line}" in text
    assert len(lines) < 90


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)\n```", section, flags=re.S)


def test_readme_quick_start_uses_a_virtual_environment_and_ci_runs_its_test_command() -> None:
    scan, tests = _quick_start_commands()
    for command in (scan, tests):
        assert "\n" not in command  # one line, copy-paste exact
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install ")
    assert tests in (ROOT / ".ci" / "run").read_text()
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    for written in re.findall(r"-o (\S+)", scan):
        assert f"/{written}" in ignored


def test_readme_installs_only_from_a_pinned_commit() -> None:
    installs = re.findall(r"pip install (\S+)", README)
    assert "zoho-v1-audit" not in installs  # a name anyone could register on PyPI
    remote = [i for i in installs if "git+" in i]
    assert remote and all(i.endswith('@<commit-sha>"') for i in remote)
    (rev,) = re.findall(r"^\s+rev: (\S+)", README, flags=re.M)
    assert re.fullmatch(r"[0-9a-f]{40}", rev)
