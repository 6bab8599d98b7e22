"""`scan --git` end to end on real repositories: what history holds, and what HEAD still holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from tests.git.cli import audit
from tests.git.repo import GitRepo
from tests.helpers import TOKEN, TOKEN_EU
from zoho_v1_audit.models import sha256_hex

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "result.schema.json").read_text())

URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords?authtoken={token}&scope=crmapi"


def leaky(token: str = TOKEN) -> str:
    return f'import requests\nURL = "{URL.format(token=token)}"\n'


CLEAN = (
    'import os\nURL = "https://www.zohoapis.com/crm/v2/Leads"\nTOKEN = os.environ["ZOHO_TOKEN"]\n'
)


@pytest.mark.parametrize("history", [[], ["--all-branches"]], ids=["head", "all-branches"])
def test_token_added_then_removed_is_still_a_secret_to_revoke(
    repo: GitRepo, history: list[str]
) -> None:
    added = repo.commit("add crm sync", {"sync.py": leaky()})
    removed = repo.commit("move to OAuth", {"sync.py": CLEAN})
    run = audit("scan", str(repo.path), "--git", *history, "-f", "json")
    assert run.code == 1, run.stderr
    doc = run.doc
    assert doc["scan"]["mode"] == "git"
    assert doc["stats"]["commits_scanned"] == 2
    [secret] = doc["secrets"]
    assert secret["sha256"] == sha256_hex(TOKEN)
    assert [
        (loc["commit"], loc["path"], loc["line"], loc["in_head"]) for loc in secret["locations"]
    ] == [(added, "sync.py", 2, False)]
    assert secret["removed"] == {
        "commit": removed,
        "author": "Ada Dev <ada@example.com>",
        "date": "2024-03-02T09:00:00+00:00",
    }
    seen = {"commit": added, "date": "2024-03-01T09:00:00+00:00"}
    assert (secret["first_seen"], secret["last_seen"]) == (seen, seen)
    jsonschema.validate(doc, SCHEMA)
    token_findings = [f for f in doc["findings"] if f["secret_sha256"]]
    assert token_findings and all(not f["in_head"] for f in token_findings)
    assert {f["commit"] for f in doc["findings"]} == {added}
    assert {f["date"] for f in doc["findings"]} == {"2024-03-01T09:00:00+00:00"}
    assert TOKEN not in run.stdout + run.stderr

    text = audit("scan", str(repo.path), "--git")
    assert (
        f"removed from the code on 2024-03-02 in {removed[:10]}, still in history: revoke it"
        in text.stdout
    )
    assert TOKEN not in text.stdout + text.stderr

    for fmt in ("md", "html"):
        report = audit("scan", str(repo.path), "--git", *history, "-f", fmt).stdout
        assert f"First added on 2024-03-01 in {added[:10]}" in report


def test_in_head_means_the_committed_tree_not_the_edited_files(repo: GitRepo) -> None:
    repo.commit("add", {"sync.py": leaky(), "old.py": leaky(TOKEN_EU)})
    repo.commit("remove one", {"old.py": CLEAN})
    repo.write({"sync.py": CLEAN, "old.py": leaky(TOKEN_EU)})  # edited, not committed
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    in_head = {s["sha256"]: s["locations"][0]["in_head"] for s in doc["secrets"]}
    assert in_head == {sha256_hex(TOKEN): True, sha256_hex(TOKEN_EU): False}


def test_token_still_in_head(repo: GitRepo) -> None:
    repo.commit("add", {"sync.py": leaky()})
    repo.commit("unrelated", {"README.md": "hello\n"})
    [secret] = audit("scan", str(repo.path), "--git", "-f", "json").doc["secrets"]
    assert secret["removed"] is None
    assert [loc["in_head"] for loc in secret["locations"]] == [True]


def test_one_secret_across_commits_and_files(repo: GitRepo) -> None:
    first = repo.commit("one", {"a.py": leaky()})
    second = repo.commit("two", {"b/c.py": leaky()})
    third = repo.commit("three", {"a.py": leaky() + f"BACKUP = '{URL.format(token=TOKEN)}'\n"})
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    [secret] = doc["secrets"]
    assert sorted(
        (loc["commit"], loc["path"], loc["line"]) for loc in secret["locations"]
    ) == sorted([(first, "a.py", 2), (second, "b/c.py", 2), (third, "a.py", 3)])
    assert secret["first_seen"] == {"commit": first, "date": "2024-03-01T09:00:00+00:00"}
    assert secret["last_seen"] == {"commit": third, "date": "2024-03-03T09:00:00+00:00"}


def test_merges_count_each_line_once_and_see_what_the_merge_wrote(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": "x = 1\n"})
    repo.git("checkout", "-q", "-b", "topic")
    on_topic = repo.commit("topic adds a token", {"topic.py": leaky()})
    repo.git("checkout", "-q", "main")
    repo.commit("main moves on", {"main.py": "y = 2\n"})
    repo.git("merge", "-q", "--no-commit", "topic")
    merge = repo.commit("merge topic, and add a token while at it", {"evil.py": leaky(TOKEN_EU)})
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    locations = {
        s["sha256"]: [(loc["commit"], loc["path"]) for loc in s["locations"]]
        for s in doc["secrets"]
    }
    assert locations == {
        sha256_hex(TOKEN): [(on_topic, "topic.py")],
        sha256_hex(TOKEN_EU): [(merge, "evil.py")],
    }


def test_rename_keeps_one_location_and_the_token_stays_in_head(repo: GitRepo) -> None:
    filler = "".join(f"# line {n}\n" for n in range(30))
    added = repo.commit("add", {"old.py": filler + leaky()})
    repo.git("mv", "old.py", "new.py")
    repo.commit("rename")
    [secret] = audit("scan", str(repo.path), "--git", "-f", "json").doc["secrets"]
    assert [(loc["commit"], loc["path"], loc["in_head"]) for loc in secret["locations"]] == [
        (added, "old.py", True)
    ]


def test_shallow_clone_reports_what_it_could_not_see(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("old token", {"old.py": leaky(TOKEN_EU)})
    repo.commit("remove it", {"old.py": CLEAN})
    repo.commit("token", {"sync.py": leaky()})
    repo.commit("later", {"README.md": "x\n"})
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True
    )
    doc = audit("scan", str(clone), "--git", "-f", "json").doc
    assert doc["stats"]["commits_scanned"] == 2
    assert [s["sha256"] for s in doc["secrets"]] == [sha256_hex(TOKEN)]
    assert any("shallow clone" in w["message"] for w in doc["warnings"])
    text = audit("scan", str(clone), "--git")
    assert "shallow clone" in text.stdout


def test_binary_diffs_are_counted(repo: GitRepo) -> None:
    repo.commit("bin", {"dump.bin": b"\x00" + leaky().encode()})
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    assert doc["findings"] == []
    assert doc["stats"]["files_skipped"] == {"binary": 1}


def test_revision_options(repo: GitRepo) -> None:
    first = repo.commit("one", {"a.py": leaky()})
    second = repo.commit("two", {"b.py": leaky(TOKEN_EU)})
    repo.git("checkout", "-q", "-b", "side")
    side = repo.commit(
        "side", {"s.py": 'X = "https://crm.zoho.eu/crm/private/xml/Leads/getRecords"\n'}
    )
    repo.git("checkout", "-q", "main")

    def commits(*options: str) -> set[str]:
        return {
            f["commit"]
            for f in audit("scan", str(repo.path), "--git", "-f", "json", *options).doc["findings"]
        }

    assert commits() == {first, second}
    assert commits("--since", first) == {second}
    assert commits("--range", f"{first}..{second}") == {second}
    assert commits("--all-branches") == {first, second, side}


def test_errors_exit_2(repo: GitRepo, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    for mode in ("--git", "--staged"):
        run = audit("scan", str(plain), mode)
        assert run.code == 2
        assert "not in a git repository" in run.stderr and "Traceback" not in run.stderr
    repo.commit("one", {"a.py": "1\n"})
    run = audit("scan", str(repo.path), "--git", "--since", "nope")
    assert (run.code, run.stderr.strip()) == (
        2,
        "zoho-v1-audit: error: --since: unknown revision 'nope' in this repository",
    )
    assert audit("scan", str(repo.path), "--git", "--staged").code == 2
    file_run = audit("scan", str(repo.path / "a.py"), "--git")
    assert file_run.code == 2 and "is a file" in file_run.stderr
    assert "path not found" in audit("scan", str(tmp_path / "nowhere"), "--staged").stderr
    assert audit("scan", str(repo.path), "--since", "HEAD").code == 2  # history options need --git


def test_secret_values_never_reach_a_git_command_line(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("add", {"sync.py": leaky()})
    repo.commit("remove", {"sync.py": CLEAN})
    wrapper_dir = tmp_path / "bin"
    wrapper_dir.mkdir()
    log = tmp_path / "argv.log"
    real_git = subprocess.run(
        ["which", "git"], capture_output=True, text=True, check=True
    ).stdout.strip()
    wrapper = wrapper_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {real_git} "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{wrapper_dir}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "scan", str(repo.path), "--git", "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    calls = log.read_text()
    assert " ls-tree " in calls and " log " in calls  # the history and in_head lookups ran
    assert TOKEN not in calls
