"""The wheel carries the rules and templates, and an installed copy finds them outside a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import builtin

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("zoho_v1_audit-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    rule_files = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert {f"zoho_v1_audit/_data/rules/{n}" for n in rule_files} <= names
    templates = {p.name for p in (ROOT / "templates").glob("*.j2")}
    assert {f"zoho_v1_audit/_data/templates/{n}" for n in templates} <= names
    assert "zoho_v1_audit/py.typed" in names
    assert not any(n.startswith("tests/") for n in names)


@pytest.mark.slow
def test_installed_copy_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [sys.executable, "-c", "import zoho_v1_audit; print(zoho_v1_audit.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    )
    assert where.stdout.startswith(str(target))
    listed = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "rules", "list"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    for rule in builtin().rules:
        assert rule.id in listed.stdout
