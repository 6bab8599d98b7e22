"""`scan --staged`, inline ignores and the plain git hook, on real repositories and real commits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.git.cli import audit
from tests.git.repo import GitRepo
from tests.helpers import TOKEN, TOKEN_EU

URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords"
ASSIGN = 'ZOHO_AUTHTOKEN = "{token}"'


def test_staged_scans_exactly_what_is_about_to_be_committed(repo: GitRepo) -> None:
    repo.commit(
        "base", {"app.py": "a = 1\nb = 2\n", "old.py": ASSIGN.format(token=TOKEN_EU) + "\n"}
    )
    repo.write({"app.py": f"a = 1\n{ASSIGN.format(token=TOKEN)}\nb = 2\n"})
    repo.git("add", "app.py")
    repo.write(
        {"app.py": f"a = 1\n{ASSIGN.format(token=TOKEN)}\nb = 2\nURL = '{URL}'\n"}
    )  # not staged
    repo.write({"untracked.py": f"URL = '{URL}'\n"})
    run = audit("scan", str(repo.path), "--staged", "-f", "json")
    assert run.code == 1
    doc = run.doc
    assert doc["scan"]["mode"] == "staged"
    assert [(f["rule_id"], f["path"], f["line"], f["commit"]) for f in doc["findings"]] == [
        ("v1-authtoken-assignment", "app.py", 2, None)
    ]  # not the unstaged URL, not the untracked file, not the token already committed
    assert doc["stats"]["files_scanned"] == 1
    assert TOKEN not in run.stdout


def test_clean_staged_change_passes(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": ASSIGN.format(token=TOKEN) + "\n"})
    repo.write({"app.py": ASSIGN.format(token=TOKEN) + "\nprint('hi')\n", "new.py": "x = 1\n"})
    repo.git("add", "-A")
    run = audit("scan", str(repo.path), "--staged")
    assert run.code == 0, run.stdout
    assert "0 findings" in run.stdout


def test_nothing_staged(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": ASSIGN.format(token=TOKEN) + "\n"})
    assert audit("scan", str(repo.path), "--staged").code == 0


def test_staged_does_not_import_report_or_network_code(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": "x = 1\n"})
    repo.write({"app.py": "x = 2\n"})
    repo.git("add", "app.py")
    probe = (
        "import sys\n"
        "from zoho_v1_audit.cli import main\n"
        "sys.argv = ['zoho-v1-audit', 'scan', '--staged']\n"
        "try:\n    main()\n"
        "except SystemExit as e:\n"
        "    heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('jinja2', 'requests', 'urllib3')\n"
        "                   or m.startswith(('zoho_v1_audit.report.jinja', 'zoho_v1_audit.report.sarif',\n"
        "                                    'zoho_v1_audit.report.view', 'zoho_v1_audit.verify.zoho')))\n"
        "    print(e.code, heavy)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo.path, capture_output=True, text=True, check=True
    )
    assert proc.stdout.splitlines()[-1] == "0 []", proc.stderr


IGNORED = {
    "same_line.py": f"{ASSIGN.format(token=TOKEN)}  # zoho-v1-audit: ignore\n",
    "line_above.py": f"# zoho-v1-audit: ignore[v1-authtoken-assignment]\n{ASSIGN.format(token=TOKEN)}\n",
}
NOT_IGNORED = {
    "other_rule.py": f"# zoho-v1-audit: ignore[v1-crm-endpoint]\n{ASSIGN.format(token=TOKEN)}\n",
    "two_above.py": f"# zoho-v1-audit: ignore\n\n{ASSIGN.format(token=TOKEN)}\n",
}


@pytest.mark.parametrize("mode", ["--staged", "--git", None])
def test_inline_ignores_everywhere(repo: GitRepo, mode: str | None) -> None:
    repo.write({**IGNORED, **NOT_IGNORED})
    repo.git("add", "-A")
    if mode != "--staged":
        repo.commit("add")
    doc = audit("scan", str(repo.path), *([mode] if mode else []), "-f", "json").doc
    assert sorted({f["path"] for f in doc["findings"]}) == sorted(NOT_IGNORED)
    assert doc["stats"]["findings_ignored_inline"] == 2


def test_history_ignore_comment_is_not_taken_for_a_distant_added_line(repo: GitRepo) -> None:
    body = "".join(f"x{n} = {n}\n" for n in range(10))
    repo.commit("base", {"app.py": body})
    lines = body.splitlines()
    lines.insert(2, "# zoho-v1-audit: ignore")  # added in the same commit as the token,
    lines.insert(8, ASSIGN.format(token=TOKEN))  # but five lines further down
    repo.commit("edit", {"app.py": "\n".join(lines) + "\n"})
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    assert [(f["path"], f["line"]) for f in doc["findings"]] == [("app.py", 9)]
    assert doc["stats"]["findings_ignored_inline"] == 0


def _commit(repo: GitRepo, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "commit", "-q", *args], cwd=repo.path, capture_output=True, text=True, check=False
    )


def test_install_hook_blocks_a_leaky_commit_and_passes_a_clean_one(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": "x = 1\n"})
    run = audit("install-hook", str(repo.path))
    assert run.code == 0, run.stderr
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    assert os.access(hook, os.X_OK)
    assert "installed" in run.stderr

    repo.write({"app.py": f"x = 1\n{ASSIGN.format(token=TOKEN)}\n"})
    blocked = _commit(repo, "-am", "leak")  # `commit -a`: git hands the hook a temporary index
    assert blocked.returncode != 0
    assert "v1-authtoken-assignment" in blocked.stdout + blocked.stderr
    assert TOKEN not in blocked.stdout + blocked.stderr
    assert repo.git("log", "--format=%s") == "base\n"

    repo.write({"app.py": "x = 2\n"})
    assert _commit(repo, "-am", "clean").returncode == 0
    assert repo.git("log", "-1", "--format=%s") == "clean\n"


def test_install_hook_is_idempotent_and_respects_foreign_hooks(repo: GitRepo) -> None:
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    assert audit("install-hook", str(repo.path)).code == 0
    first = hook.read_text()
    again = audit("install-hook", str(repo.path))
    assert again.code == 0 and "updated" in again.stderr
    assert hook.read_text() == first

    hook.write_text("#!/bin/sh\necho team hook\n")
    refused = audit("install-hook", str(repo.path))
    assert refused.code == 2
    assert "not written by zoho-v1-audit" in refused.stderr and "--force" in refused.stderr
    assert hook.read_text() == "#!/bin/sh\necho team hook\n"

    forced = audit("install-hook", str(repo.path), "--force")
    assert forced.code == 0
    assert hook.read_text() == first
    assert (hook.parent / "pre-commit.bak").read_text() == "#!/bin/sh\necho team hook\n"


def test_install_hook_outside_a_repository(tmp_path: Path) -> None:
    run = audit("install-hook", str(tmp_path))
    assert run.code == 2 and "not in a git repository" in run.stderr
