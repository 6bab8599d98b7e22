"""Configuration and baselines through the command line: precedence, discovery, new findings only."""

from __future__ import annotations

import json
from pathlib import Path

from tests.git.cli import audit
from tests.git.repo import GitRepo
from tests.helpers import TOKEN, TOKEN_EU, write_tree
from tests.zoho_server import ZohoServer, code, result
from zoho_v1_audit.models import sha256_hex

LEAK = f'URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={TOKEN}&scope=crmapi"\n'
DOC = "See https://crm.zoho.com/crm/private/json/Leads/getRecords in the old docs.\n"


def rules_of(run_doc: dict[str, object]) -> set[tuple[str, str]]:
    return {(f["path"], f["rule_id"]) for f in run_doc["findings"]}  # type: ignore[attr-defined]


def test_config_found_from_a_subdirectory_and_flags_win(repo: GitRepo) -> None:
    write_tree(
        repo.path,
        {
            ".zoho-v1-audit.yaml": "fail_on: never\nexclude: [vendor/]\n",
            "svc/app.py": LEAK,
            "svc/vendor/lib.py": LEAK,
        },
    )
    run = audit("scan", str(repo.path / "svc"), "-f", "json")
    assert run.code == 0  # fail_on: never from the file
    assert {f["path"] for f in run.doc["findings"]} == {"app.py"}  # vendor/ excluded
    assert audit("scan", str(repo.path / "svc"), "--fail-on", "critical").code == 1  # the flag wins
    both = audit("scan", str(repo.path / "svc"), "--exclude", "app.py", "-f", "json")
    assert both.doc["findings"] == []  # flag globs add to the file's


def test_config_applies_to_history_and_staged(repo: GitRepo) -> None:
    write_tree(repo.path, {".zoho-v1-audit.yaml": "exclude: ['fixtures/']\n"})
    repo.commit("add", {"fixtures/leak.py": LEAK, "docs.md": DOC})
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    assert {f["path"] for f in doc["findings"]} == {"docs.md"}
    repo.write({"fixtures/more.py": LEAK})
    repo.git("add", "-A")
    assert audit("scan", str(repo.path), "--staged").code == 0


def test_allow_disable_and_max_file_size(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "pyproject.toml": (
                "[tool.zoho-v1-audit]\n"
                f'allow = ["{sha256_hex(TOKEN)}"]\n'
                'disable = ["v1-crm-endpoint"]\n'
                'max_file_size = "1k"\n'
            ),
            "a.py": LEAK + f"B = 'authtoken={TOKEN_EU}'\n",
            "big.py": LEAK + "#" * 2000,
        },
    )
    doc = audit("scan", str(tmp_path), "-f", "json").doc
    assert {f["secret_sha256"] for f in doc["findings"]} - {None} == {sha256_hex(TOKEN_EU)}
    assert "v1-crm-endpoint" not in {f["rule_id"] for f in doc["findings"]}
    assert doc["stats"]["findings_allowlisted"] >= 1
    assert doc["stats"]["files_skipped"] == {"too-large": 1}
    flags = audit("scan", str(tmp_path), "--max-file-size", "1MB", "-f", "json").doc
    assert flags["stats"]["files_skipped"] == {}


def test_explicit_config_and_bad_config(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".zoho-v1-audit.yaml": "fail_on: sometimes\n",
            "a.py": LEAK,
            "ci.yaml": "fail_on: never\n",
        },
    )
    bad = audit("scan", str(tmp_path))
    assert bad.code == 2
    assert bad.stderr.strip() == (
        f"zoho-v1-audit: error: {tmp_path / '.zoho-v1-audit.yaml'}: fail_on: must be one of "
        "critical, high, medium, low, info, never, got 'sometimes'"
    )
    assert audit("scan", str(tmp_path), "--config", str(tmp_path / "ci.yaml")).code == 0
    missing = audit("scan", str(tmp_path), "--config", str(tmp_path / "nope.yaml"))
    assert missing.code == 2 and "config file not found" in missing.stderr
    write_tree(tmp_path, {".zoho-v1-audit.yaml": "disable: [no-such-rule]\n"})
    unknown = audit("scan", str(tmp_path))
    assert (
        unknown.code == 2
        and ".zoho-v1-audit.yaml: disable: unknown rule id(s): no-such-rule" in unknown.stderr
    )


def test_baseline_reports_only_new_findings_and_survives_moved_code(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "app", {"src/crm.py": LEAK, "docs/old.md": DOC})
    baseline = tmp_path / ".zoho-v1-audit-baseline.json"
    created = audit("baseline", "create", str(root), "-o", str(baseline))
    assert created.code == 0, created.stderr
    assert "3 findings" in created.stderr
    text = baseline.read_text()
    assert TOKEN not in text and json.loads(text)["schema_version"] == "1"

    same = audit("scan", str(root), "--baseline", str(baseline), "-f", "json")
    assert same.code == 0
    assert same.doc["findings"] == [] and same.doc["stats"]["findings_baselined"] == 3

    (root / "src" / "crm.py").write_text(
        "import os\n\n\ndef sync():\n    pass\n\n" + LEAK
    )  # moved down
    moved = audit("scan", str(root), "--baseline", str(baseline), "-f", "json")
    assert moved.code == 0 and moved.doc["stats"]["findings_baselined"] == 3

    (root / "src" / "new.py").write_text(f"ZOHO_AUTHTOKEN = '{TOKEN_EU}'\n")
    new = audit("scan", str(root), "--baseline", str(baseline), "-f", "json")
    assert new.code == 1
    assert {(f["path"], f["secret_sha256"]) for f in new.doc["findings"]} == {
        ("src/new.py", sha256_hex(TOKEN_EU))
    }
    assert new.doc["stats"]["findings_baselined"] == 3

    again = tmp_path / "again.json"
    audit("baseline", "create", str(root), "-o", str(again))
    assert len(json.loads(again.read_text())["findings"]) == 4
    kept = {line.rstrip(",") for line in again.read_text().splitlines()}
    assert {line.rstrip(",") for line in text.splitlines()} <= kept  # old entries unchanged


def test_baseline_applies_to_history(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("leak", {"src/crm.py": LEAK})
    baseline = tmp_path / "b.json"
    assert audit("baseline", "create", str(repo.path), "-o", str(baseline)).code == 0
    repo.commit("leak again in a later commit, same file", {"src/crm.py": "# moved\n" + LEAK})
    run = audit("scan", str(repo.path), "--git", "--baseline", str(baseline), "-f", "json")
    assert run.code == 0 and run.doc["findings"] == []
    assert run.doc["stats"]["findings_baselined"] == 2


def test_bad_baseline_exits_2(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": LEAK, "b.json": "[]"})
    run = audit("scan", str(tmp_path), "--baseline", str(tmp_path / "b.json"))
    assert run.code == 2 and "not a zoho-v1-audit baseline" in run.stderr


def test_include_limits_the_scan(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {".zoho-v1-audit.yaml": "include: ['src/']\n", "src/a.py": LEAK, "scripts/b.py": LEAK},
    )
    doc = audit("scan", str(tmp_path), "-f", "json").doc
    assert {f["path"] for f in doc["findings"]} == {"src/a.py"}
    assert doc["stats"]["files_skipped"]["excluded"] == 2  # scripts/b.py and the config file


def test_verify_settings_from_a_named_config_and_flags_over_them(tmp_path: Path) -> None:
    tree = write_tree(tmp_path / "app", {".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})  # no URL: no DC hint
    with ZohoServer() as zoho:
        zoho.script(TOKEN, eu=result(), com=code("4834"))
        settings = tmp_path / "audit.yaml"
        bases = ", ".join(zoho.api_bases("com", "eu"))
        settings.write_text(f"verify: {{dc: eu, timeout: 2, api_base: [{bases}]}}\n")
        run = audit("scan", str(tree), "--config", str(settings), "--verify", "-f", "json")
        [secret] = run.doc["secrets"]
        assert secret["verification"]["status"] == "live"
        assert [r.dc for r in zoho.for_token(TOKEN)] == ["eu"]  # the file's dc is tried first
        audit("scan", str(tree), "--config", str(settings), "--verify", "--dc", "com")
        assert [r.dc for r in zoho.for_token(TOKEN)] == ["eu", "com", "eu"]  # the flag wins
