"""Report fixtures: the fixed golden document and a real scan of the bundled example."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest

from zoho_v1_audit import app
from zoho_v1_audit.options import ScanOptions
from zoho_v1_audit.report import RenderOptions
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.merge import read_document

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"
EXAMPLE = ROOT / "examples" / "legacy-crm-app"
GOLDEN_OPTIONS = RenderOptions(
    title="Acme legacy CRM audit",
    repo_url="https://github.com/acme/app/blob/{commit}/{path}#L{line}",
)
XSS_PATH = "<img src=x onerror=alert(1)>.py"


def check_golden(name: str, text: str) -> None:
    """Compare with tests/data/golden/NAME; ZOHO_UPDATE_GOLDEN=1 rewrites it instead."""
    path = GOLDEN / name
    if os.environ.get("ZOHO_UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        f"{name} changed; review the diff and rerun with ZOHO_UPDATE_GOLDEN=1 to accept it"
    )


@pytest.fixture(scope="session")
def _golden() -> Document:
    return read_document(GOLDEN / "result.json")  # saved without rules: the built-in ones


@pytest.fixture
def golden_doc(_golden: Document) -> Document:
    """The fixed result document every golden file is rendered from (a fresh copy)."""
    return copy.deepcopy(_golden)


@pytest.fixture(scope="session")
def _example() -> Document:
    options = ScanOptions(paths=(EXAMPLE,), jobs=1)
    rules = app.load_ruleset()
    return app.document(app.scan_tree(options, rules), rules=rules, show_secrets=False, owners=None)


@pytest.fixture
def example_doc(_example: Document) -> Document:
    """The result of scanning examples/legacy-crm-app, with its CODEOWNERS teams."""
    return copy.deepcopy(_example)
