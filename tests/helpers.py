"""Small builders shared by tests: rule sets, trees on disk, fake but well-formed secrets."""

from __future__ import annotations

import functools
import os
import re
import resource
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from zoho_v1_audit import app
from zoho_v1_audit.models import Blob, Finding, ScanResult, Stats
from zoho_v1_audit.options import ScanOptions
from zoho_v1_audit.ruleset import RuleSet
from zoho_v1_audit.scan.aggregate import Aggregator
from zoho_v1_audit.scan.detector import detect

TOKEN = "3f9a2c7e1b4d8f60a5c9e2b7d1f4a8c3"
TOKEN_EU = "9b1e4d7a2c5f8e0b3d6a9c2f5e8b1d4a"
ALNUM_TOKEN = "k4m9p2q7r1s8t3u6v0w5x2y9z4a7b1c6"
REFRESH = f"1000.{TOKEN}.{TOKEN_EU}"
PASSWORD = "Winter2016!crm"


@functools.cache
def builtin() -> RuleSet:
    """The bundled rules, loaded once per test session."""
    return app.load_ruleset()


def findings_in(text: str, path: str = "src/app.py") -> list[Finding]:
    """Findings for one text scanned as a whole tree."""
    aggregator = Aggregator(Stats())
    aggregator.add(detect(Blob(path, text.encode("utf-8")), builtin()))
    return aggregator.finish()[0]


def ids(findings: list[Finding]) -> list[str]:
    """Rule ids in order."""
    return [f.rule_id for f in findings]


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create files under root (parents included)."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def scan(root: Path, **options: object) -> ScanResult:
    """Scan a directory with the bundled rules."""
    return app.scan_tree(ScanOptions(paths=(root,), **options), builtin())  # type: ignore[arg-type]


def unwrapped(html: str) -> str:
    """A page without the <span> and <wbr> that let paths and API names wrap at separators."""
    return re.sub(r"</?span>|<wbr>", "", html)


def run_cli(
    *args: str, cwd: Path | None = None, memory: int | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process, as a user runs it (the parser's errors
    go through `main`); `memory` caps its address space, in bytes."""

    def limit() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "100"},
        preexec_fn=limit,
    )
