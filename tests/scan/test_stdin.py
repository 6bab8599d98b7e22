"""`scan -`: standard input read as one file through a real pipe."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.git.repo import GitRepo
from tests.helpers import TOKEN
from tests.scan.artifacts import zip_bytes

ENV = f"ZOHO_AUTHTOKEN={TOKEN}\n"
EXE = shutil.which("zoho-v1-audit", path=os.path.dirname(sys.executable)) or "zoho-v1-audit"


def _pipe(source: list[str], args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`SOURCE | zoho-v1-audit ARGS` through a real pipe."""
    with subprocess.Popen(source, cwd=cwd, stdout=subprocess.PIPE) as feed:
        return subprocess.run(
            [EXE, *args], stdin=feed.stdout, cwd=cwd, capture_output=True, text=True, check=False
        )


def test_echo_piped_in(tmp_path: Path) -> None:
    run = _pipe(["echo", ENV.strip()], ["scan", "-", "-f", "json"], tmp_path)
    doc = json.loads(run.stdout)
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("stdin", 1)]
    assert doc["stats"]["files_scanned"] == 1
    assert run.returncode == 1


def test_git_show_with_the_reported_name(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit("add", {"config/app.env": "a=1\n" + ENV})
    run = _pipe(
        ["git", "show", "HEAD:config/app.env"],
        ["scan", "-", "--stdin-name", "config/app.env", "-f", "json"],
        repo.path,
    )
    doc = json.loads(run.stdout)
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("config/app.env", 2)]


def test_an_archive_piped_in(tmp_path: Path) -> None:
    (tmp_path / "crm.jar").write_bytes(zip_bytes({"conf/.env": ENV.encode()}))
    run = _pipe(
        ["cat", "crm.jar"], ["scan", "-", "--stdin-name", "crm.jar", "-f", "json"], tmp_path
    )
    assert [f["path"] for f in json.loads(run.stdout)["findings"]] == ["crm.jar!/conf/.env"]


def test_stdin_with_a_directory_and_only_once(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "a.env").write_text(ENV, encoding="utf-8")
    run = _pipe(["echo", ENV.strip()], ["scan", "dir", "-", "-f", "json"], tmp_path)
    assert sorted(f["path"] for f in json.loads(run.stdout)["findings"]) == ["dir/a.env", "stdin"]
    twice = _pipe(["echo", "x"], ["scan", "-", "-"], tmp_path)
    assert twice.returncode == 2
    assert "standard input (-) can be scanned once" in twice.stderr
