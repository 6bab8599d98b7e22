"""SIGTERM and SIGHUP end a run as Ctrl-C does, and outputs are written all together or not at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.helpers import TOKEN, write_tree
from zoho_v1_audit.cli import app

PROMPT_S = 30.0  # from the signal to a clean exit, on a loaded machine


def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid`, read from /proc."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.add(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _busy_tree(root: Path) -> Path:
    """Enough files for a worker pool and enough findings for outputs of several megabytes."""
    line = f"url = 'https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}'\n"
    for i in range(2500):
        write_tree(root, {f"d{i % 40}/f{i}.py": "key = 1\n" * 400 + line * 8})
    return root


def _start(tree: Path, out: Path) -> subprocess.Popen[bytes]:
    outputs = [f"-o{out / name}" for name in ("r.json", "r.sarif", "r.html", "r.md")]
    return subprocess.Popen(
        # The Python engine keeps the scan busy long enough to be interrupted on any machine.
        [
            sys.executable,
            "-m",
            "zoho_v1_audit",
            "scan",
            str(tree),
            "-j",
            "2",
            "--engine",
            "python",
            *outputs,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["TERM", "HUP"])
def test_signal_while_scanning_stops_workers_and_leaves_nothing(
    tmp_path: Path, signum: signal.Signals
) -> None:
    tree, out = _busy_tree(tmp_path / "tree"), tmp_path / "out"
    out.mkdir()
    proc = _start(tree, out)
    deadline = time.monotonic() + 60
    while not (workers := _children(proc.pid)) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert workers, "the scan never started its worker pool"
    proc.send_signal(signum)  # the main process only, as a CI runner's timeout does
    _, stderr = proc.communicate(timeout=PROMPT_S)
    assert proc.returncode == 130
    assert b"interrupted" in stderr
    assert b"Traceback" not in stderr
    assert list(out.iterdir()) == []
    gone_by = time.monotonic() + PROMPT_S
    while any(_alive(pid) for pid in workers) and time.monotonic() < gone_by:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in workers), "worker processes outlived the scan"


@pytest.mark.slow
def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path: Path) -> None:
    tree, out = _busy_tree(tmp_path / "tree"), tmp_path / "out"
    out.mkdir()
    proc = _start(tree, out)
    while proc.poll() is None and not any(p.suffix == ".tmp" for p in out.iterdir()):
        time.sleep(0.001)
    assert proc.poll() is None, "the run ended before its outputs were staged"
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=PROMPT_S)
    assert proc.returncode == 130
    assert list(out.iterdir()) == []


def test_one_failing_output_writes_none_of_them(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "tree", {"a.env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    first = tmp_path / "report.md"
    first.write_text("the previous report\n")
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    blocked.chmod(0o500)  # root ignores modes: a missing directory fails for everyone
    missing = tmp_path / "no-such-dir" / "report.json"
    result = CliRunner().invoke(
        app,
        ["scan", str(tree), "-o", str(first), "-o", str(tmp_path / "r.html"), "-o", str(missing)],
    )
    assert result.exit_code == 2
    assert "cannot write" in result.output
    assert first.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "report.md", "tree"]


def test_baseline_create_refuses_to_overwrite_a_file_that_is_not_a_baseline(
    tmp_path: Path,
) -> None:
    tree = write_tree(tmp_path / "tree", {"a.env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    precious = tmp_path / "notes.json"
    precious.write_text('{"not": "a baseline"}\n')
    refused = CliRunner().invoke(app, ["baseline", "create", str(tree), "-o", str(precious)])
    assert refused.exit_code == 2
    assert "--force" in refused.output
    assert precious.read_text() == '{"not": "a baseline"}\n'
    again = tmp_path / "baseline.json"
    for _ in range(2):  # a baseline may be rewritten without --force
        assert (
            CliRunner().invoke(app, ["baseline", "create", str(tree), "-o", str(again)]).exit_code
            == 0
        )
    forced = CliRunner().invoke(
        app, ["baseline", "create", str(tree), "-o", str(precious), "--force"]
    )
    assert forced.exit_code == 0
    assert '"schema_version": "1"' in precious.read_text()
