"""Repositories to audit: served by a real git daemon and as file:// remotes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.git.conftest import _isolated_git  # noqa: F401 (every git call sees a known config)
from tests.git.daemon import git_daemon
from tests.git.repo import GitRepo
from tests.helpers import TOKEN, TOKEN_EU

V1_CALL = (
    "URL = 'https://crm.zoho.com/crm/private/json/Leads/getRecords'\n"
    "def fetch(token):\n    return get(URL, authtoken=token)\n"
)


@dataclass
class Org:
    """Served repositories: their git:// URLs and local origins."""

    served: Path
    git_url: str  # git://127.0.0.1:PORT
    repos: dict[str, GitRepo]

    def url(self, name: str) -> str:
        return f"{self.git_url}/{name}"


def make_repos(base: Path) -> dict[str, GitRepo]:
    """crm: a token in HEAD; legacy: a token only in history; clean; empty (no commit);
    corrupt (an object lost)."""
    crm = GitRepo.init(base / "crm")
    crm.commit(
        "crm",
        {
            "app.env": f"ZOHO_AUTHTOKEN={TOKEN}\n",
            "src/leads.py": V1_CALL,
            ".github/CODEOWNERS": "/src/ @acme/crm-team\n",
        },
    )
    legacy = GitRepo.init(base / "legacy")
    legacy.commit("add", {"config.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n", "README": "x\n"})
    legacy.commit("remove", remove=["config.env"])
    clean = GitRepo.init(base / "clean")
    clean.commit("clean", {"main.py": "print('hello')\n"})
    empty = GitRepo.init(base / "empty")
    corrupt = GitRepo.init(base / "corrupt")
    corrupt.commit("code", {"main.py": "print('lost')\n"})
    blob = corrupt.git("rev-parse", "HEAD:main.py").strip()
    (corrupt.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    return {"crm": crm, "legacy": legacy, "clean": clean, "empty": empty, "corrupt": corrupt}


@pytest.fixture
def org(tmp_path: Path) -> Iterator[Org]:
    served = tmp_path / "served"
    served.mkdir()
    repos = make_repos(served)
    with git_daemon(served) as url:
        yield Org(served, url, repos)
