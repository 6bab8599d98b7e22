"""Hostile lines and files cost time linear in their size, and memory bounded by the findings kept."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import TOKEN, builtin, write_tree
from zoho_v1_audit.models import Blob
from zoho_v1_audit.scan.detector import MAX_FINDINGS_PER_RULE, detect

URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords"


def _token(i: int) -> str:
    """A distinct, well-mixed 32-hex value."""
    return hashlib.md5(str(i).encode()).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize(
    "unit",
    [
        "?authtoken=&",
        "/apiauthtoken/nb/create?",
        "scope=crmapi&",
        f"{URL} ",
        f"?authtoken={TOKEN}&",
        "authtoken zoho-v1-audit:ignore ",
    ],
    ids=["empty-authtoken", "generation-url", "scope", "crm-url", "token", "ignore-comment"],
)
def test_one_line_of_repeated_shapes_is_scanned_in_linear_time(unit: str) -> None:
    """Twice the line takes about twice the time, never four times (the old cost was quadratic)."""
    seconds = []
    for size in (1 << 20, 2 << 20):
        data = (unit * (size // len(unit))).encode()
        started = time.perf_counter()
        detect(Blob("app.js", data), builtin())
        seconds.append(time.perf_counter() - started)
    assert seconds[1] < 10, f"2 MB took {seconds[1]:.1f} s"
    assert seconds[1] < 3.5 * seconds[0] + 0.5, seconds


def test_findings_per_rule_and_file_are_capped_and_counted() -> None:
    lines = [f"ZOHO_AUTHTOKEN={_token(i)}" for i in range(MAX_FINDINGS_PER_RULE + 500)]
    scan = detect(Blob("tokens.env", "\n".join(lines).encode()), builtin())
    assert len(scan.findings) == MAX_FINDINGS_PER_RULE
    assert scan.capped["v1-authtoken-assignment"] == 500


def test_placeholders_before_the_cap_cannot_push_a_token_out_of_it() -> None:
    filler = "ZOHO_AUTHTOKEN=YOUR_AUTH_TOKEN\n" * (MAX_FINDINGS_PER_RULE * 3)
    scan = detect(Blob("a.env", f"{filler}ZOHO_AUTHTOKEN={TOKEN}\n".encode()), builtin())
    assert [f.secret for f in scan.findings] == [TOKEN]


def _peak_mb(tree: Path, out: Path) -> float:
    """The peak memory of a scan of `tree` written to `out`, measured in its own process."""
    code = (
        "import resource, sys\n"
        "from zoho_v1_audit.cli import main\n"
        "try:\n    main()\n"
        "finally:\n"
        "    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, "scan", str(tree), "-j", "1", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    return int(proc.stderr.strip().splitlines()[-1]) / 1024


@pytest.mark.slow
def test_megabytes_of_bare_parameters_keep_memory_bounded(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "tree", {"a.txt": b"authtoken=\n" * 300_000})
    (tree / "b.env").write_text("".join(f"ZOHO_AUTHTOKEN={_token(i)}\n" for i in range(30_000)))
    small = write_tree(tmp_path / "small", {"b.env": f"ZOHO_AUTHTOKEN={_token(1)}\n"})
    out = tmp_path / "out.json"
    growth = _peak_mb(tree, out) - _peak_mb(small, tmp_path / "small.json")
    assert growth < 200, f"{growth:.0f} MB more than for one finding"
    doc = json.loads(out.read_text())
    assert doc["stats"]["findings_capped"] >= 30_000 - MAX_FINDINGS_PER_RULE
    assert any("more times than the 1000 reported" in w["message"] for w in doc["warnings"])
