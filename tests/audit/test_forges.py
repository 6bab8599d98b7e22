"""Organisation listings from a local server that answers like the GitHub and GitLab APIs."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.audit.forge_server import Forge, forge_server
from tests.git.cli import audit
from tests.git.daemon import git_daemon
from tests.git.repo import GitRepo
from zoho_v1_audit.audit.forges import github_repos, gitlab_projects
from zoho_v1_audit.audit.sources import Listing
from zoho_v1_audit.errors import AuditError, UsageError

TOKEN = "ghp_forge-token-0123456789"  # an API token, never a Zoho one


def _repo(name: str, url: str, **flags: Any) -> dict[str, Any]:
    return {"name": name, "clone_url": url, "http_url_to_repo": url, **flags}


@pytest.fixture
def forge(monkeypatch: pytest.MonkeyPatch) -> Iterator[Forge]:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    repos = [
        _repo("a", "git://h/a"),
        _repo("old", "git://h/old", archived=True),
        _repo("fork", "git://h/fork", fork=True, forked_from_project={"id": 1}),
        _repo("b", "git://h/b"),
        _repo("c", "git://h/c"),
    ]
    with forge_server(Forge(TOKEN, github={"acme": repos}, gitlab={"acme/platform": repos})) as f:
        yield f


def test_github_pages_are_followed_with_the_token(forge: Forge) -> None:
    urls = github_repos("acme", forge.base, Listing())
    assert urls == ["git://h/a", "git://h/old", "git://h/b", "git://h/c"]  # forks left out
    assert len(forge.requests) == 3  # pages of 2
    assert all(h.get("Authorization") == f"Bearer {TOKEN}" for _, h in forge.requests)
    assert github_repos("acme", forge.base, Listing(archived=False, forks=True)) == [
        "git://h/a", "git://h/fork", "git://h/b", "git://h/c",
    ]  # fmt: skip


@pytest.mark.parametrize("link", [False, True])
def test_gitlab_pages_by_x_next_page_or_link(forge: Forge, link: bool) -> None:
    forge.gitlab_link = link
    assert gitlab_projects("acme/platform", forge.base, Listing(archived=False)) == [
        "git://h/a", "git://h/b", "git://h/c",
    ]  # fmt: skip
    path, headers = forge.requests[0]
    assert path.startswith("/groups/acme%2Fplatform/projects?") and "include_subgroups=true" in path
    assert headers.get("PRIVATE-TOKEN") == TOKEN and "Authorization" not in headers


def test_the_token_never_follows_a_next_page_elsewhere(forge: Forge) -> None:
    forge.next_host = "localhost:1"  # loopback, so the test could not leak it anyway
    with pytest.raises(AuditError, match="next page on another host"):
        github_repos("acme", forge.base, Listing())
    assert len(forge.requests) == 1


def test_refusals_and_bad_bases(forge: Forge, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong")
    with pytest.raises(AuditError, match=r"the token was refused \(HTTP 401\): Bad credentials"):
        github_repos("acme", forge.base, Listing())
    with pytest.raises(AuditError, match="not found"):
        gitlab_projects("nobody", forge.base, Listing())
    with pytest.raises(UsageError, match="--github-api: plain http is only allowed to a loopback"):
        github_repos("acme", "http://ghe.example.com/api/v3", Listing())
    with pytest.raises(UsageError, match="--gitlab-api: no credentials"):
        gitlab_projects("acme", "https://u:p@gitlab.example.com/api/v4", Listing())
    monkeypatch.setenv("GITLAB_TOKEN", "abc\r\nX-Evil: 1")
    with pytest.raises(UsageError, match="GITLAB_TOKEN holds characters"):
        gitlab_projects("acme", forge.base, Listing())


def test_an_organisation_is_audited_end_to_end(forge: Forge, tmp_path: Path) -> None:
    for name in ("billing", "portal", "crm"):
        GitRepo.init(tmp_path / "served" / name).commit("code", {"main.py": "print('hi')\n"})
    db = tmp_path / "org.db"
    with git_daemon(tmp_path / "served") as git_url:
        forge.github["acme"] = [_repo(n, f"{git_url}/{n}") for n in ("billing", "portal", "crm")]
        forge.github["acme"].append(_repo("local", (tmp_path / "served" / "crm").as_uri()))
        run = audit("audit", "--github-org", "acme", "--github-api", forge.base, "--db", str(db),
                    "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
        assert run.code == 2 and "without a usable clone_url" in run.stderr  # never file://
        del forge.github["acme"][-1]
        run = audit("audit", "--github-org", "acme", "--github-api", forge.base, "--db", str(db),
                    "--cache-dir", str(tmp_path / "cache"))  # fmt: skip
    assert run.code == 0, run.stderr
    with sqlite3.connect(db) as conn:
        names = sorted(n for (n,) in conn.execute("SELECT name FROM repositories"))
    assert names == ["billing", "crm", "portal"]
    assert TOKEN not in run.stderr + run.stdout
    assert TOKEN.encode() not in db.read_bytes()
    report = audit("report", "--db", str(db), "-f", "json")
    assert TOKEN not in report.stdout and len(json.loads(report.stdout)["scan"]["repos"]) == 3
