"""Only the command line, or a configuration named with --config, may raise verification limits;
a configuration found in the scanned tree may only lower them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.helpers import TOKEN, write_tree
from tests.zoho_server import ZohoServer, code
from zoho_v1_audit.cli import app

GREEDY = "verify: {timeout: 604800, concurrency: 32, deadline: 604800}\n"


def verification(tree: Path, zoho: ZohoServer, *flags: str) -> tuple[dict[str, Any], list[str]]:
    ran = CliRunner().invoke(
        app, ["scan", str(tree), "-f", "json", "--verify", "--api-base", zoho.root, *flags]
    )
    assert ran.exit_code == 1, ran.output
    doc = json.loads(ran.stdout)
    return doc["scan"]["verification"], [w["message"] for w in doc["warnings"]]


def tree_with(root: Path, config: str) -> Path:
    return write_tree(root, {"a.env": f"ZOHO_AUTHTOKEN={TOKEN}\n", ".zoho-v1-audit.yaml": config})


def test_the_scanned_tree_cannot_raise_limits(tmp_path: Path, zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=code(4834))
    section, warnings = verification(tree_with(tmp_path / "t", GREEDY), zoho)
    assert (section["timeout_s"], section["concurrency"], section["deadline_s"]) == (10, 4, 600)
    for key in ("verify.timeout", "verify.concurrency", "verify.deadline"):
        assert any(key in w and "only the command line" in w for w in warnings), key


def test_the_scanned_tree_may_lower_limits(tmp_path: Path, zoho: ZohoServer) -> None:
    zoho.script(TOKEN, default=code(4834))
    config = "verify: {timeout: 2, concurrency: 1, deadline: 30}\n"
    section, warnings = verification(tree_with(tmp_path / "t", config), zoho)
    assert (section["timeout_s"], section["concurrency"], section["deadline_s"]) == (2, 1, 30)
    assert not any("verify." in w for w in warnings)


def test_the_command_line_and_a_pinned_configuration_may_raise_them(
    tmp_path: Path, zoho: ZohoServer
) -> None:
    zoho.script(TOKEN, default=code(4834))
    tree = tree_with(tmp_path / "t", GREEDY)
    section, _ = verification(tree, zoho, "--verify-timeout", "30", "--verify-deadline", "900")
    assert (section["timeout_s"], section["deadline_s"]) == (30, 900)
    pinned = tmp_path / "audit.yaml"
    pinned.write_text("verify: {timeout: 40, concurrency: 8, deadline: 1200}\n")
    section, _ = verification(tree, zoho, "--config", str(pinned))
    assert (section["timeout_s"], section["concurrency"], section["deadline_s"]) == (40, 8, 1200)
