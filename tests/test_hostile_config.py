"""A scanned repository's own configuration: recorded, flagged when it weakens the scan, never a
way to read outside the repository, exhaust memory or hang, and ignored on request."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TOKEN, run_cli, write_tree

CONFIG = ".zoho-v1-audit.yaml"
MEMORY = 1 << 30  # a scan that needs more has let memory run away
WEAKENING = 'disable: [v1-authtoken-assignment]\nallow: ["."]\nfail_on: never\nexclude: ["*.bak"]\n'


def leaky(root: Path, config: str | None = WEAKENING) -> Path:
    files = {"a.env": f"ZOHO_AUTHTOKEN={TOKEN}\n", "old.bak": f"ZOHO_AUTHTOKEN={TOKEN}\n"}
    if config is not None:
        files[CONFIG] = config
    return write_tree(root, files)


def document(tree: Path, *flags: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    out = tree.parent / "out.json"
    proc = run_cli("scan", str(tree), "-o", str(out), *flags, memory=MEMORY)
    return proc, json.loads(out.read_text())


def test_configuration_that_weakens_its_own_scan_is_recorded_and_warned(tmp_path: Path) -> None:
    tree = leaky(tmp_path / "tree")
    proc, doc = document(tree)
    assert proc.returncode == 0  # fail_on: never, as the file asks: but not silently
    warnings = [line for line in proc.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 1
    for named in (
        "disable: v1-authtoken-assignment",
        "allow pattern 1: matches any token",
        "fail_on: never",
        "--no-repo-config",
    ):
        assert named in warnings[0]
    record = doc["scan"]["configuration"]
    assert record["repo_config"] == "used"
    digest = hashlib.sha256((tree / CONFIG).read_bytes()).hexdigest()
    assert record["files"] == [
        {"path": str(tree / CONFIG), "sha256": digest, "origin": "scanned tree"}
    ]
    hidden = {s["name"]: s["findings_hidden"] for s in record["settings"]}
    assert hidden == {"disable": 1, "allow pattern 1": 1, "exclude": None, "fail_on": None}
    assert record["weakened_by_scanned_tree"] == [
        "disable: v1-authtoken-assignment", "allow pattern 1: matches any token", "fail_on: never",
    ]  # fmt: skip
    assert doc["stats"]["findings_disabled"] == {"v1-authtoken-assignment": 1}
    assert doc["stats"]["files_skipped"] == {"excluded": 1}
    assert any("weakens this scan" in w["message"] for w in doc["warnings"])


def test_no_repo_config_ignores_the_scanned_trees_configuration(tmp_path: Path) -> None:
    tree = leaky(tmp_path / "tree")
    proc, doc = document(tree, "--no-repo-config")
    assert proc.returncode == 1
    assert "warning" not in proc.stderr
    assert doc["scan"]["configuration"]["repo_config"] == "ignored (--no-repo-config)"
    assert doc["scan"]["configuration"]["settings"] == []
    assert {f["path"] for f in doc["findings"]} == {"a.env", "old.bak"}


def test_a_configuration_named_on_the_command_line_is_trusted_and_not_flagged(
    tmp_path: Path,
) -> None:
    tree = leaky(tmp_path / "tree", config=None)
    pinned = tmp_path / "audit.yaml"
    pinned.write_text(WEAKENING)
    proc, doc = document(tree, "--config", str(pinned))
    assert "warning" not in proc.stderr
    record = doc["scan"]["configuration"]
    assert record["files"][0]["origin"] == "command line"
    assert record["weakened_by_scanned_tree"] == []
    assert not any(s["from_scanned_tree"] for s in record["settings"])


def test_a_placeholder_for_everything_in_the_trees_rule_file_is_flagged(tmp_path: Path) -> None:
    rules = (
        "placeholders: ['.*']\nrules:\n  - id: legacy-proxy\n    title: Legacy proxy\n"
        "    category: v1-endpoint\n    severity: low\n    keywords: [legacy-proxy]\n"
        "    pattern: 'legacy-proxy'\n"
    )
    tree = write_tree(
        tmp_path / "tree",
        {"a.env": f"ZOHO_AUTHTOKEN={TOKEN}\n", CONFIG: "rules: [r.yaml]\n", "r.yaml": rules},
    )
    proc, doc = document(tree)
    assert "placeholders: 1 patterns in" in proc.stderr
    [setting] = [s for s in doc["scan"]["configuration"]["settings"] if s["name"] == "placeholders"]
    assert setting["broad"] and setting["from_scanned_tree"]
    digest = hashlib.sha256(rules.encode()).hexdigest()
    assert {"path": str(tree / "r.yaml"), "sha256": digest, "origin": str(tree / CONFIG)} in doc[
        "scan"
    ]["configuration"]["files"]


def _fifo(path: Path) -> None:
    os.mkfifo(path)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("config", "plant", "words"),
    [
        ("rules: [r.yaml]", lambda t: (t / "r.yaml").symlink_to("/dev/zero"), "outside the scanned repository"),
        ("owners: owners.txt", lambda t: (t / "owners.txt").symlink_to("/dev/zero"), "outside the scanned repository"),
        ("rules: [r.yaml]", lambda t: _fifo(t / "r.yaml"), "not a regular file"),
        ("owners: owners.txt", lambda t: _fifo(t / "owners.txt"), "not a regular file"),
        ("rules: [r.yaml]", lambda t: (t / "r.yaml").write_bytes(b"#" * (2 << 20)), "larger than 1024 KiB"),
        ("owners: ../outside/CODEOWNERS", lambda t: None, "outside the scanned repository"),
        ("rules: [linked]", lambda t: (t / "linked").symlink_to(t.parent / "outside"), "outside the scanned repository"),
        (None, lambda t: (t / "CODEOWNERS").symlink_to("/dev/zero"), "outside the scanned repository"),
        (None, lambda t: (t / "CODEOWNERS").symlink_to(t.parent / "outside" / "CODEOWNERS"), "outside the scanned repository"),
    ],
    ids=[
        "rules-dev-zero", "owners-dev-zero", "rules-fifo", "owners-fifo", "rules-huge",
        "owners-outside", "rules-dir-outside", "codeowners-dev-zero", "codeowners-outside",
    ],
)  # fmt: skip
def test_files_the_configuration_names_stay_small_regular_and_inside(
    tmp_path: Path, config: str | None, plant: Any, words: str
) -> None:
    write_tree(tmp_path / "outside", {"CODEOWNERS": "* @someone\n", "x.yaml": "rules: []\n"})
    tree = leaky(tmp_path / "tree", config=config)
    (tree / ".git").mkdir()  # the repository's root
    plant(tree)
    started = time.monotonic()
    proc = run_cli("scan", str(tree), "-f", "json", memory=MEMORY)
    assert time.monotonic() - started < 20
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("zoho-v1-audit: error: ") and words in line, line


@pytest.mark.slow
@pytest.mark.parametrize("flag", ["--owners", "--rules", "--config", "--baseline"])
def test_a_device_named_on_the_command_line_is_refused_too(tmp_path: Path, flag: str) -> None:
    tree = leaky(tmp_path / "tree", config=None)
    proc = run_cli("scan", str(tree), flag, "/dev/zero", memory=MEMORY)
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert "/dev/zero" in line and "not a regular file" in line, line
