"""The real pre-commit framework installs the hook from this repository and runs it on commits."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git.repo import GitRepo
from tests.helpers import TOKEN

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = (
    "pyproject.toml",
    "README.md",
    ".pre-commit-hooks.yaml",
    "zoho_v1_audit",
    "rules",
    "templates",
)
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"


def hook_repository(path: Path) -> tuple[Path, str]:
    """A git repository holding this checkout's current package files; (path, commit)."""
    path.mkdir()
    for name in SHIPPED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, path / name)
    repo = GitRepo(path)
    repo.git("init", "-q")
    return path, repo.commit("package")


@pytest.mark.slow
def test_pre_commit_framework_blocks_v1_and_passes_clean_commits(tmp_path: Path) -> None:
    hooks, rev = hook_repository(tmp_path / "zoho-v1-audit")
    app = GitRepo.init(tmp_path / "app")
    marker = tmp_path / "PWNED"
    app.write(
        {
            ".pre-commit-config.yaml": (
                f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: zoho-v1-audit\n"
            ),
            "main.py": "print('hello')\n",
            # The repository's own package of the same name, on a PYTHONPATH holding ".":
            # the hook must import the tool from its own environment, never this one.
            "zoho_v1_audit/__init__.py": f"open({str(marker)!r}, 'w')\n",
            "zoho_v1_audit/__main__.py": "raise SystemExit(0)\n",
        }
    )
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PYTHONPATH": ".",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=app.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
        )

    installed = run(str(PRE_COMMIT), "install", "--install-hooks")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    app.git("add", "-A")
    clean = run("git", "commit", "-q", "-m", "clean")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert (
        "zoho-v1-audit....." in clean.stderr and "Passed" in clean.stderr
    )  # git hooks talk on stderr

    app.write(
        {
            "crm.py": f"URL = 'https://crm.zoho.eu/crm/private/json/Leads/getRecords?authtoken={TOKEN}'\n"
        }
    )
    app.git("add", "crm.py")
    leak = run("git", "commit", "-q", "-m", "leak")
    assert leak.returncode != 0
    output = leak.stdout + leak.stderr
    assert "Failed" in output and "v1-authtoken-assignment" in output
    assert TOKEN not in output
    assert app.git("log", "--format=%s") == "clean\n"
    assert not marker.exists()
