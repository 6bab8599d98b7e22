"""Decompression bombs end in seconds, in bounded memory, with a warning naming the archive."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers import TOKEN

GIB = 1 << 30
# Runs the command line in a child and prints its peak RSS (MiB) as getrusage reports it.
CHILD = """
import resource, sys
from zoho_v1_audit.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bomb.zip (a 2 GiB member of zeros, about 2 MB on disk) and nested.zip (ten of them)."""
    root = tmp_path_factory.mktemp("bombs")
    with (
        zipfile.ZipFile(root / "bomb.zip", "w", zipfile.ZIP_DEFLATED) as zf,
        zf.open("zeros.bin", "w", force_zip64=True) as out,  # written streaming
    ):
        chunk = bytes(1 << 20)
        for _ in range(2 * GIB // len(chunk)):
            out.write(chunk)
    with zipfile.ZipFile(root / "nested.zip", "w", zipfile.ZIP_STORED) as zf:
        for i in range(10):
            zf.write(root / "bomb.zip", f"layer{i}/bomb.zip")
    return root


@pytest.mark.parametrize("name", ["bomb.zip", "nested.zip"])
def test_bomb_ends_fast_in_bounded_memory_with_a_warning(
    bombs: Path, tmp_path: Path, name: str
) -> None:
    os.link(bombs / name, tmp_path / name)
    (tmp_path / "app.env").write_text(f"ZOHO_AUTHTOKEN={TOKEN}\n", encoding="utf-8")
    result = tmp_path / "result.json"
    args = ["scan", str(tmp_path), "-o", str(result), "--fail-on", "never", "-j", "1"]
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True
    )
    assert time.perf_counter() - started < 30
    assert int(child.stdout.split()[-1]) < 300
    doc = json.loads(result.read_text(encoding="utf-8"))
    assert doc["stats"]["files_skipped"] == {"archive-budget": 1}
    assert doc["warnings"] == [
        {"path": name, "message": "archive partly scanned: compression ratio over 100:1"}
    ]
    assert [f["path"] for f in doc["findings"]] == ["app.env"]  # the scan went on
