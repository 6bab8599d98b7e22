"""A small driver for real git repositories in tests."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path


class GitRepo:
    """A work tree driven through the git command line, with one commit per day from START."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.day = 0

    @classmethod
    def init(cls, path: Path) -> GitRepo:
        path.mkdir(parents=True)
        repo = cls(path)
        repo.git("init", "-q")
        return repo

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        """Run git here; its stdout."""
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout

    def write(self, files: Mapping[str, str | bytes]) -> None:
        """Create or overwrite files in the work tree."""
        for rel, content in files.items():
            target = self.path / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")

    def date(self) -> str:
        """The date the next commit gets."""
        return f"2024-03-{1 + self.day:02d}T09:00:00+00:00"

    def commit(
        self,
        message: str,
        files: Mapping[str, str | bytes] | None = None,
        remove: Iterable[str] = (),
    ) -> str:
        """Write, stage everything, commit on the next day; the new commit's full hash."""
        self.write(files or {})
        for rel in remove:
            self.git("rm", "-q", rel)
        self.git("add", "-A")
        when = self.date()
        self.day += 1
        self.git(
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            message,
            env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
        )
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").strip()
