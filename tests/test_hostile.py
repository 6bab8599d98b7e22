"""Hostile trees: huge lines, odd names, deep and wide directories, interrupts, random text."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import TOKEN, builtin, findings_in, scan, write_tree
from zoho_v1_audit.models import Blob
from zoho_v1_audit.scan.detector import detect

URL = f"https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi"


@pytest.mark.slow
def test_50_mb_single_line_is_scanned_in_linear_time(tmp_path: Path) -> None:
    minified = tmp_path / "app.min.js"
    with minified.open("wb") as fh:
        # Dense like a real bundle: identifiers, strings, a `key` and a `token` every few KB.
        filler = (
            b"function r(e,t){if(null==e)return{};var n,o,i=function(e,t){return e.map(t)}(e,t);"
            * 20
        )
        chunk = filler + b"var p={key:n.key,token:o.token,v:1000.5};" + filler
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(chunk)
        fh.write(f"fetch('{URL}')".encode())
    started = time.perf_counter()
    result = scan(tmp_path, max_file_size=60 * 1024 * 1024)
    elapsed = time.perf_counter() - started
    assert [s.value for s in result.secrets] == [TOKEN]
    assert elapsed < 20, f"took {elapsed:.1f} s"
    skipped = scan(tmp_path)
    assert skipped.stats.files_skipped == {"too-large": 1}
    assert skipped.findings == []


def test_odd_file_names_survive_every_output(tmp_path: Path) -> None:
    names = [
        "new\nline.env",
        "<img src=x onerror=alert(1)>.env",
        "a|b`c*d.env",
        'comma,"quote".env',
    ]
    write_tree(tmp_path, dict.fromkeys(names, f"ZOHO_AUTHTOKEN={TOKEN}\n"))
    (tmp_path / os.fsdecode(b"latin1-\xe9.env")).write_text(f"ZOHO_AUTHTOKEN={TOKEN}\n")
    result = scan(tmp_path)
    (secret,) = result.secrets
    paths = sorted(loc.path for loc in secret.locations)
    assert "latin1-\\xe9.env" in paths
    assert set(names) <= set(paths)
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "scan", str(tmp_path), "--format", "json"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 1
    doc = json.loads(proc.stdout.decode("utf-8"))
    assert len(doc["secrets"][0]["locations"]) == 5


@pytest.mark.slow
def test_wide_and_deep_trees(tmp_path: Path) -> None:
    wide = tmp_path / "wide"
    wide.mkdir()
    for i in range(100_000):
        (wide / f"f{i}.txt").write_bytes(b"x\n")
    (wide / "zz.env").write_text(f"ZOHO_AUTHTOKEN={TOKEN}\n")
    deep = tmp_path / "deep"
    path = deep
    for i in range(200):
        path = path / f"d{i}"
    path.mkdir(parents=True)
    (path / ".env").write_text(f"ZOHO_AUTHTOKEN={TOKEN}\n")
    result = scan(tmp_path)
    assert result.stats.files_scanned == 100_002
    assert len(result.secrets[0].locations) == 2


@pytest.mark.slow
def test_interrupt_exits_130_and_leaves_no_partial_output(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    for i in range(3000):
        write_tree(tree, {f"d{i % 50}/f{i}.py": ("key = 1\n" * 2000)})
    out = tmp_path / "report.json"
    proc = subprocess.Popen(
        # The Python engine searches every `key` line: busy for seconds (Hyperscan skips them all).
        [
            sys.executable,
            "-m",
            "zoho_v1_audit",
            "scan",
            str(tree),
            "-o",
            str(out),
            "--jobs",
            "2",
            "--engine",
            "python",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    time.sleep(1.5)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in stderr
    assert b"interrupted" in stderr
    assert list(tmp_path.iterdir()) == [tree]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.text(max_size=300),
    after=st.text(max_size=300),
    form=st.sampled_from(
        [
            "ZOHO_AUTHTOKEN={t}",
            "'authtoken' => '{t}'",
            '"authtoken": "{t}"',
            "<authtoken>{t}</authtoken>",
            URL,
        ]
    ),
)
def test_planted_token_is_always_found(before: str, after: str, form: str) -> None:
    text = f"{before}\n{form.format(t=TOKEN)}\n{after}"
    assert TOKEN in {f.secret for f in findings_in(text)}


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(data: bytes) -> None:
    detect(Blob("random.bin", data), builtin())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=500))
def test_text_without_zoho_context_reports_no_secret(text: str) -> None:
    hexy = text + f"\nchecksum = '{TOKEN}'\nid = {TOKEN}\n"
    assert [f for f in findings_in(hexy) if f.secret] == []
