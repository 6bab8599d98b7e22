"""`scan -o` writes every report in one run; `report` renders saved results again, or merges them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.report.conftest import EXAMPLE, GOLDEN
from zoho_v1_audit.cli import app

runner = CliRunner()
FORMATS = ("html", "md", "sarif", "json")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scan")
    args = ["scan", str(EXAMPLE), "-j", "1"] + [
        a for f in FORMATS for a in ("-o", str(out / f"report.{f}"))
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output  # the example holds tokens
    return out


def test_one_scan_writes_every_format(scanned: Path) -> None:
    doc = json.loads((scanned / "report.json").read_text())
    assert len(doc["secrets"]) == 7
    assert json.loads((scanned / "report.sarif").read_text())["version"] == "2.1.0"
    md = (scanned / "report.md").read_text()
    assert md.startswith("# Zoho CRM API v1 audit\n")
    assert "`@acme/crm-integrations`" in md  # owners from the example's CODEOWNERS
    assert "<!DOCTYPE html>" in (scanned / "report.html").read_text()


@pytest.mark.parametrize("fmt", ["html", "md", "sarif"])
def test_saved_results_render_exactly_as_the_scan_did(
    scanned: Path, tmp_path: Path, fmt: str
) -> None:
    again = tmp_path / f"again.{fmt}"
    result = runner.invoke(app, ["report", str(scanned / "report.json"), "-o", str(again)])
    assert result.exit_code == 0, result.output
    assert again.read_text() == (scanned / f"report.{fmt}").read_text()


def test_report_to_stdout(scanned: Path) -> None:
    result = runner.invoke(
        app, ["report", str(scanned / "report.json"), "--format", "md", "--title", "Acme <audit>"]
    )
    assert result.exit_code == 0
    assert result.stdout.startswith("# Acme \\<audit\\>\n")


def test_merge_several_results(scanned: Path, tmp_path: Path) -> None:
    (tmp_path / "legacy-crm.json").write_text((scanned / "report.json").read_text())
    (tmp_path / "fixture.json").write_text((GOLDEN / "result.json").read_text())
    out = tmp_path / "org.html"
    result = runner.invoke(
        app,
        ["report", str(tmp_path / "legacy-crm.json"), str(tmp_path / "fixture.json"), "-o", str(out),
         "--repo-url", "https://github.com/acme/{repo}/blob/{commit}/{path}#L{line}"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "2 repositories" in html
    assert "https://github.com/acme/legacy-crm/blob/HEAD/.env#L3" in html
    assert "https://github.com/acme/fixture/blob/HEAD/.env#L3" in html


def test_fail_on_and_owners(scanned: Path, tmp_path: Path) -> None:
    saved = str(scanned / "report.json")
    assert runner.invoke(app, ["report", saved, "-f", "json"]).exit_code == 0
    assert (
        runner.invoke(app, ["report", saved, "-f", "json", "--fail-on", "critical"]).exit_code == 1
    )
    owners = tmp_path / "CODEOWNERS"
    owners.write_text("* @acme/security\n")
    result = runner.invoke(app, ["report", saved, "-f", "json", "--owners", str(owners)])
    assert {o for f in json.loads(result.stdout)["findings"] for o in f["owners"]} == {
        "@acme/security"
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf"], "--format must be one of"),
        (["-o", "report.pdf"], "cannot tell the format"),
        (["--repo-url", "ftp://x/{path}"], "--repo-url must start with"),
    ],
)
def test_usage_errors(scanned: Path, tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["report", str(scanned / "report.json"), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_not_a_result(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    result = runner.invoke(app, ["report", str(bad)])
    assert result.exit_code == 2
    assert "is this a zoho-v1-audit JSON result?" in result.output
