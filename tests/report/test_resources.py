"""Bundled data: found in the wheel's `_data/`, else in the checkout, else a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from zoho_v1_audit import resources
from zoho_v1_audit.errors import AuditError
from zoho_v1_audit.resources import data_dir

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", ["rules", "templates"])
def test_checkout(kind: str) -> None:
    assert data_dir(kind) == ROOT / kind  # type: ignore[arg-type]


def test_installed_data_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "_data" / "templates").mkdir(parents=True)
    monkeypatch.setattr(resources, "files", lambda _package: tmp_path)
    assert data_dir("templates") == tmp_path / "_data" / "templates"


def test_missing_data_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "files", lambda _package: tmp_path)
    monkeypatch.setattr(resources, "__file__", str(tmp_path / "pkg" / "resources.py"))
    with pytest.raises(AuditError, match="bundled rules not found"):
        data_dir("rules")


@pytest.mark.slow
def test_an_installed_wheel_renders_every_report(tmp_path: Path) -> None:
    """Templates, their inline assets and the migration table ship in the wheel and are used."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("zoho_v1_audit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("templates/_report.js", "templates/_report.css", "rules/migration/v1-to-v2.yaml"):
        assert f"zoho_v1_audit/_data/{name}" in names
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run(
        [sys.executable, "-c", "from zoho_v1_audit.resources import data_dir; print(data_dir('templates'))"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "zoho_v1_audit" / "_data" / "templates")
    result = ROOT / "tests" / "data" / "golden" / "result.json"
    run = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "report", str(result),
         "-o", "r.html", "-o", "r.md", "-o", "r.sarif"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "GET /crm/v2/Deals" in (tmp_path / "r.md").read_text()
    assert "function apply()" in (tmp_path / "r.html").read_text()
    assert '"version": "2.1.0"' in (tmp_path / "r.sarif").read_text()
