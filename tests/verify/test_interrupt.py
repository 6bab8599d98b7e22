"""Ctrl-C while tokens are being verified, against a real server on loopback that never answers.

The run must end at once (not when its requests time out) with exit code 130, one line on
stderr, no traceback, no output file and no temporary file beside it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import write_tree
from tests.zoho_server import ZohoServer, hang, tokens

REQUEST_TIMEOUT_S = 60  # far longer than the test may take: exiting must not wait for it
PROMPT_S = 5.0  # from the signal to the exit, on a loaded CI machine


def leaky_tree(root: Path, values: list[str]) -> Path:
    """One v1 call with a hard-coded token per file."""
    return write_tree(
        root,
        {
            f"sync{i}.py": "URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords"
            f"?authtoken={value}&scope=crmapi'\n"
            for i, value in enumerate(values)
        },
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n_tokens", "concurrency"),
    [(1, 1), (6, 4)],
    ids=["one-request-in-flight", "four-in-flight-two-queued"],
)
def test_sigint_while_verifying_exits_130_at_once(
    tmp_path: Path, zoho: ZohoServer, n_tokens: int, concurrency: int
) -> None:
    values = list(tokens(n_tokens))
    for value in values:
        zoho.script(value, default=hang())
    tree = leaky_tree(tmp_path / "tree", values)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "zoho_v1_audit", "scan", str(tree), "-j", "1"),
            *("--verify", "--api-base", zoho.root),
            *("--verify-timeout", str(REQUEST_TIMEOUT_S)),
            *("--verify-concurrency", str(concurrency)),
            *("-o", str(out_dir / "out.json"), "-o", str(out_dir / "report.html")),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        waited = time.monotonic()
        while len(zoho.requests) < concurrency:  # verifying: every worker has a request out
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() - waited < 30, "verification never started"
            time.sleep(0.02)
        signalled = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        try:
            stdout, stderr = proc.communicate(timeout=REQUEST_TIMEOUT_S / 2)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {REQUEST_TIMEOUT_S / 2:g} s after SIGINT")
        seconds = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    text = stderr.decode("utf-8", "replace")
    assert proc.returncode == 130, text
    assert seconds < PROMPT_S, f"exited {seconds:.1f} s after the signal"
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1] == "zoho-v1-audit: interrupted"
    assert stdout == b""
    assert list(out_dir.iterdir()) == []
    assert len(zoho.requests) == concurrency  # nothing queued was sent after the signal
    assert not any(value in text for value in values)
