"""SIGINT in the middle of an audit, then a run that resumes it without rescanning."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.git.repo import GitRepo
from tests.helpers import TOKEN

REPOS = 8


def _ok_scans(db: Path) -> dict[str, str]:
    """Repository name -> scanned_at of the successful scans of run 1."""
    if not db.exists():
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute(
                "SELECT r.name, s.scanned_at FROM scans s "
                "JOIN repositories r ON r.id = s.repository_id WHERE s.run_id = 1"
            ).fetchall()
    except sqlite3.OperationalError:  # not created yet
        return {}
    return dict(rows)


@pytest.mark.slow
def test_an_interrupted_audit_resumes_where_it_stopped(tmp_path: Path) -> None:
    urls = []
    for i in range(REPOS):
        repo = GitRepo.init(tmp_path / "served" / f"repo{i}")
        files: dict[str, str | bytes] = {f"src/m{j}.py": f"x = {j}\n" * 200 for j in range(250)}
        files["app.env"] = f"ZOHO_AUTHTOKEN={TOKEN}\n"
        repo.commit("code", files)
        urls.append(repo.path.as_uri())
    db, cache = tmp_path / "org.db", tmp_path / "cache"
    cmd = [sys.executable, "-m", "zoho_v1_audit", "audit", *urls, "--db", str(db),
           "--cache-dir", str(cache), "-j", "1"]  # fmt: skip
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=os.environ)
    deadline = time.monotonic() + 60
    while len(_ok_scans(db)) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    before = _ok_scans(db)
    assert 2 <= len(before) < REPOS  # what was done is kept; the run did not finish
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT finished_at FROM runs").fetchall() == [(None,)]

    resumed = subprocess.run(cmd, capture_output=True, text=True, env=os.environ, check=False)
    assert resumed.returncode == 0, resumed.stderr
    assert (
        f"resumed run 1: {REPOS - len(before)} scanned, {len(before)} unchanged" in resumed.stderr
    )
    after = _ok_scans(db)
    assert len(after) == REPOS
    assert {name: after[name] for name in before} == before  # not scanned again
    with sqlite3.connect(db) as conn:
        [(runs, finished)] = conn.execute("SELECT count(*), count(finished_at) FROM runs")
        secrets = conn.execute("SELECT count(*) FROM secrets").fetchone()[0]
    assert (runs, finished, secrets) == (1, 1, REPOS)


def test_last_weeks_unfinished_run_is_not_resumed(tmp_path: Path) -> None:
    from tests.git.cli import audit

    (tmp_path / "src").mkdir()
    db = tmp_path / "org.db"
    assert audit("audit", str(tmp_path / "src"), "--db", str(db)).code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET finished_at = NULL")
    resumed = audit("audit", str(tmp_path / "src"), "--db", str(db))
    assert "resumed run 1: 0 scanned, 1 unchanged" in resumed.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE runs SET finished_at = NULL, started_at = '2026-01-01T06:00:00+00:00'")
    fresh = audit("audit", str(tmp_path / "src"), "--db", str(db))
    assert "run 2: 1 scanned" in fresh.stderr and "resumed" not in fresh.stderr
    other = audit("audit", str(tmp_path / "src"), "--git", "--db", str(db))
    assert "run 3" in other.stderr  # another mode is another run


@pytest.mark.slow
def test_a_terminal_sees_a_live_line_per_repository(tmp_path: Path) -> None:
    import pty

    urls = []
    for i in range(2):
        repo = GitRepo.init(tmp_path / "served" / f"repo{i}")
        repo.commit("code", {f"src/m{j}.py": f"x = {j}\n" * 300 for j in range(300)})
        urls.append(repo.path.as_uri())
    leader, follower = pty.openpty()
    cmd = [sys.executable, "-m", "zoho_v1_audit", "audit", *urls, "-j", "1",
           "--db", str(tmp_path / "org.db"), "--cache-dir", str(tmp_path / "cache")]  # fmt: skip
    env = {**os.environ, "COLUMNS": "100", "TERM": "xterm"}
    proc = subprocess.Popen(cmd, stderr=follower, stdout=subprocess.DEVNULL, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the other end closed
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    assert b"repo0: scanning: " in seen  # the live line, while it scanned
    assert b"scanned    repo0" in seen and b"scanned    repo1" in seen
