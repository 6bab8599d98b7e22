"""Working-tree source: walk the roots lazily into files to read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from zoho_v1_audit.scan.image import is_layout_dir

SKIP_DIRS = frozenset({".git"})
STDIN = "-"  # the command line's name for standard input


@dataclass(frozen=True, slots=True)
class FileTask:
    """A file to read: where it is on disk and how reports name it."""

    disk_path: str
    path: str


@dataclass(frozen=True, slots=True)
class Skip:
    """A file not scanned, with a reason counted in the stats (and a message for warnings)."""

    path: str
    reason: str
    message: str | None = None


def display_path(path: str) -> str:
    """A path as reports show it: undecodable bytes in file names become `\\xNN` escapes."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return path


def _display_root(root: Path, several: bool) -> str:
    if not several:
        return ""
    return root.as_posix().rstrip("/") + "/"


class TreeWalker:
    """Yields files under the roots, skipping `.git/`, excluded paths and unsafe links."""

    def __init__(
        self,
        roots: Sequence[Path],
        *,
        excludes: Sequence[str] = (),
        respect_gitignore: bool = False,
        stdin_name: str = "stdin",
    ) -> None:
        self.roots = list(roots)
        self.stdin_name = stdin_name
        self.excludes = pathspec.GitIgnoreSpec.from_lines(excludes)
        self.respect_gitignore = respect_gitignore
        self.skips: list[Skip] = []

    def __iter__(self) -> Iterator[FileTask]:
        several = len(self.roots) > 1
        for root in self.roots:
            prefix = _display_root(root, several)
            if str(root) == STDIN:
                yield FileTask(STDIN, self.stdin_name)
            elif root.is_file() or (root.is_dir() and is_layout_dir(root)):
                yield FileTask(str(root), prefix.rstrip("/") or root.name)
            elif root.is_dir():
                yield from self._walk(root.resolve(), prefix)
            else:  # a device, FIFO or socket named on the command line: never opened
                self.skips.append(Skip(prefix.rstrip("/") or root.name, "not-a-regular-file"))

    def _excluded(
        self, rel: str, is_dir: bool, ignores: list[tuple[str, pathspec.GitIgnoreSpec]]
    ) -> bool:
        probe = rel + "/" if is_dir else rel
        if self.excludes.match_file(probe):
            return True
        for base, spec in ignores:
            if probe.startswith(base) and spec.match_file(probe[len(base) :]):
                return True
        return False

    def _gitignore(self, directory: str, base: str) -> list[tuple[str, pathspec.GitIgnoreSpec]]:
        if not self.respect_gitignore:
            return []
        try:
            with open(
                os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace"
            ) as fh:
                return [(base, pathspec.GitIgnoreSpec.from_lines(fh))]
        except OSError:
            return []

    def _walk(self, root: Path, prefix: str) -> Iterator[FileTask]:
        root_str = str(root)
        seen_dirs: set[tuple[int, int]] = set()
        st = root.stat()
        seen_dirs.add((st.st_dev, st.st_ino))
        stack: list[tuple[str, str, list[tuple[str, pathspec.GitIgnoreSpec]]]] = [
            (root_str, "", self._gitignore(root_str, ""))
        ]
        while stack:
            directory, rel_dir, ignores = stack.pop()
            try:
                with os.scandir(directory) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as exc:
                self.skips.append(
                    Skip(
                        display_path(prefix + rel_dir),
                        "unreadable",
                        f"cannot list directory: {exc.strerror}",
                    )
                )
                continue
            subdirs = []
            for entry in entries:
                rel = rel_dir + entry.name
                task = self._entry(entry, rel, prefix, root_str, seen_dirs, ignores)
                if isinstance(task, FileTask):
                    yield task
                elif task is not None:
                    subdirs.append(
                        (entry.path, rel + "/", ignores + self._gitignore(entry.path, rel + "/"))
                    )
            stack.extend(reversed(subdirs))

    def _entry(
        self,
        entry: os.DirEntry[str],
        rel: str,
        prefix: str,
        root: str,
        seen_dirs: set[tuple[int, int]],
        ignores: list[tuple[str, pathspec.GitIgnoreSpec]],
    ) -> FileTask | bool | None:
        """A FileTask for a file, True for a directory to descend into, None to skip."""
        try:
            is_link = entry.is_symlink()
            st = os.stat(entry.path) if is_link else entry.stat(follow_symlinks=False)
        except OSError as exc:
            path = display_path(prefix + rel)
            if entry.is_symlink():
                self.skips.append(Skip(path, "broken-link"))
            else:  # e.g. in a directory that can be listed but not entered
                self.skips.append(Skip(path, "unreadable", f"cannot read: {exc.strerror}"))
            return None
        is_dir = stat.S_ISDIR(st.st_mode)
        if is_dir and entry.name in SKIP_DIRS:
            return None
        if self._excluded(rel, is_dir, ignores):
            self.skips.append(Skip(display_path(prefix + rel), "excluded"))
            return None
        if is_link:
            target = os.path.realpath(entry.path)
            if target != root and not target.startswith(root + os.sep):
                self.skips.append(Skip(display_path(prefix + rel), "link-outside-root"))
                return None
        if is_dir:
            key = (st.st_dev, st.st_ino)
            if key in seen_dirs:
                self.skips.append(Skip(display_path(prefix + rel), "link-loop"))
                return None
            seen_dirs.add(key)
            return True
        if not stat.S_ISREG(st.st_mode):
            self.skips.append(Skip(display_path(prefix + rel), "not-a-regular-file"))
            return None
        return FileTask(entry.path, display_path(prefix + rel))
