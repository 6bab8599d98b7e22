"""`scan URL`: remote repositories cloned into a cache over a real git daemon and file:// URLs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.git.cli import audit
from tests.git.daemon import git_daemon
from tests.git.repo import GitRepo
from tests.helpers import TOKEN, TOKEN_EU
from zoho_v1_audit.scan.remote import default_cache_dir, is_remote

ENV = f"ZOHO_AUTHTOKEN={TOKEN}\n"


@pytest.fixture
def origin(tmp_path: Path) -> GitRepo:
    """A repository whose history holds a token that a later commit removed."""
    repo = GitRepo.init(tmp_path / "served" / "crm")
    repo.commit("add config", {"config/app.env": ENV, "README": "crm\n"})
    repo.commit("remove token", remove=["config/app.env"])
    return repo


@pytest.fixture
def daemon(origin: GitRepo) -> Iterator[str]:
    """`git daemon` on a free loopback port serving the origin; its git:// URL."""
    with git_daemon(origin.path.parent) as base:
        yield f"{base}/crm"


def test_git_daemon_history_finds_the_removed_token(daemon: str, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    run = audit("scan", daemon, "--git", "--cache-dir", str(cache), "-f", "json")
    assert run.code == 1, run.stderr
    [finding] = run.doc["findings"]
    assert (finding["path"], finding["line"], finding["in_head"]) == ("config/app.env", 1, False)
    assert run.doc["scan"]["roots"] == [daemon]
    [clone] = (cache / "repos").iterdir()
    assert (clone / ".git").is_dir()
    tree = audit("scan", daemon, "--cache-dir", str(cache), "-f", "json")
    assert tree.code == 0 and tree.doc["findings"] == []  # the tree no longer has it


def test_the_cache_is_reused_and_fetched(origin: GitRepo, tmp_path: Path) -> None:
    url = origin.path.as_uri()  # file://
    cache = tmp_path / "cache"
    assert audit("scan", url, "--cache-dir", str(cache), "-f", "json").doc["findings"] == []
    [clone] = (cache / "repos").iterdir()
    marker = clone / ".git" / "marker"
    marker.write_text("kept\n", encoding="utf-8")
    origin.commit("new token", {"src/eu.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n"})
    run = audit("scan", url, "--cache-dir", str(cache), "-f", "json")
    assert [f["path"] for f in run.doc["findings"]] == ["src/eu.env"]
    assert marker.exists()  # the same clone, fetched, not a new one
    assert [p.name for p in (cache / "repos").iterdir()] == [clone.name]


def test_clones_run_nothing_from_the_repository(origin: GitRepo, tmp_path: Path) -> None:
    origin.commit(
        "submodule and attributes",
        {
            ".gitmodules": '[submodule "x"]\n\tpath = x\n\turl = ../evil\n',
            ".gitattributes": "* filter=evil\n",
        },
    )
    cache = tmp_path / "cache"
    url = origin.path.as_uri()
    assert audit("scan", url, "--cache-dir", str(cache)).code == 0
    [clone] = (cache / "repos").iterdir()
    config = subprocess.run(
        ["git", "config", "--get", "core.hooksPath"], cwd=clone, capture_output=True, text=True
    )
    assert config.stdout.strip() == "/dev/null"
    assert not (clone / "x" / ".git").exists()


def test_a_password_in_the_url_is_refused_and_never_shown(tmp_path: Path) -> None:
    run = audit("scan", "https://ada:s3cr3t-pw@127.0.0.1/crm.git", "--cache-dir", str(tmp_path))
    assert run.code == 2
    assert "holds a password" in run.stderr
    assert "s3cr3t-pw" not in run.stderr + run.stdout
    assert not (tmp_path / "repos").exists()


def test_a_remote_that_cannot_be_cloned_is_an_error(tmp_path: Path) -> None:
    missing = (tmp_path / "nowhere").as_uri()
    run = audit("scan", missing, "--cache-dir", str(tmp_path / "cache"))
    assert run.code == 2
    assert f"cannot clone {missing}" in run.stderr
    assert list((tmp_path / "cache" / "repos").iterdir()) == []  # no partial clone left


def test_what_counts_as_remote(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for url in (
        "https://h/o/r.git",
        "ssh://git@h/o/r",
        "git@github.com:org/repo.git",
        "git://h/r",
        "file:///r",
    ):
        assert is_remote(url)
    for path in ("src", "./a:b", "C:/x", "-", "dist/app.war"):
        assert not is_remote(path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "zoho-v1-audit"
    assert audit("scan", "http://127.0.0.1/r.git").code == 2
    for args in (("file:///r", "."), ("file:///r", "--staged")):
        run = audit("scan", *args, "--cache-dir", str(tmp_path))
        assert run.code == 2
        assert "a remote repository is scanned alone, and not with --staged" in run.stderr
