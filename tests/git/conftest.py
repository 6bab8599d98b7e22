"""Real git repositories in temporary directories, isolated from the user's git settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.git.repo import GitRepo


@pytest.fixture(autouse=True)
def _isolated_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every git command (ours and the scanner's) sees only a known identity and no user config."""
    config = tmp_path_factory.getbasetemp() / "gitconfig"
    if not config.exists():
        config.write_text(
            "[user]\n\tname = Ada Dev\n\temail = ada@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
            '[protocol "file"]\n\tallow = always\n'
        )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in (
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_AUTHOR_DATE",
        "GIT_COMMITTER_DATE",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """An empty repository on branch main."""
    return GitRepo.init(tmp_path / "repo")
