"""The git sources on real repositories: which lines become blobs, numbered and attributed how."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Generator
from pathlib import Path

import pytest

from tests.git.repo import GitRepo
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.models import Blob, ScanWarning, Stats
from zoho_v1_audit.scan.deleted import DeletedLines
from zoho_v1_audit.scan.gitsource import (
    HISTORY_OPTIONS,
    GitOptions,
    iter_history_blobs,
    iter_staged_blobs,
)
from zoho_v1_audit.scan.patches import parse_patches


def history(
    root: Path,
    *,
    since: str | None = None,
    rev_range: str | None = None,
    all_branches: bool = False,
    max_size: int = 10_000_000,
) -> tuple[list[Blob], Stats, list[ScanWarning]]:
    stats, warnings = Stats(), list[ScanWarning]()
    blobs = list(
        iter_history_blobs(
            root,
            GitOptions(since=since, rev_range=rev_range, all_branches=all_branches),
            stats,
            warnings,
            max_size=max_size,
        )
    )
    return blobs, stats, warnings


def staged(root: Path) -> tuple[list[Blob], Stats]:
    stats, warnings = Stats(), list[ScanWarning]()
    return list(iter_staged_blobs(root, stats, warnings, max_size=10_000_000)), stats


def lines(blob: Blob) -> list[tuple[int, str]]:
    assert blob.line_numbers is not None
    return list(zip(blob.line_numbers, blob.data.decode().split("\n"), strict=True))


def test_added_lines_with_their_new_line_numbers_and_origin(repo: GitRepo) -> None:
    first = repo.commit("one", {"a.py": "1\n2\n3\n4\n5\n6\n"})
    second = repo.commit("two", {"a.py": "1\nTWO\n3\n4\n5\nsix\nseven\n"})
    blobs, stats, warnings = history(repo.path)
    assert stats.commits_scanned == 2 and warnings == []
    assert [b.origin.commit for b in blobs] == [second, first]  # newest first
    newest = blobs[0]
    assert newest.path == "a.py"
    assert newest.origin.author == "Ada Dev <ada@example.com>"
    assert newest.origin.date == "2024-03-02T09:00:00+00:00"
    # Line 2 and lines 6-7 were added; an empty line stands for the unseen line 5 between them.
    assert lines(newest) == [(2, "TWO"), (5, ""), (6, "six"), (7, "seven")]
    assert lines(blobs[1]) == [(n, str(n)) for n in range(1, 7)]


def test_an_added_line_that_looks_like_a_file_header_stays_content(repo: GitRepo) -> None:
    repo.commit("one", {"a.txt": "x\n"})
    repo.commit("two", {"a.txt": "x\n++ b/evil\n+++ b/evil\ndiff --git a/b b/b\n-- sql\n"})
    blobs, _, _ = history(repo.path)
    assert [b.path for b in blobs] == ["a.txt", "a.txt"]
    assert lines(blobs[0]) == [
        (2, "++ b/evil"),
        (3, "+++ b/evil"),
        (4, "diff --git a/b b/b"),
        (5, "-- sql"),
    ]


def test_merge_contributes_only_the_lines_it_wrote(repo: GitRepo) -> None:
    repo.commit("base", {"f.py": "a\nb\nc\n"})
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic", {"f.py": "a\ntopic\nc\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"f.py": "a\nmain\nc\n", "other.py": "o\n"})
    proc = subprocess.run(
        ["git", "merge", "-q", "topic"], cwd=repo.path, capture_output=True, check=False
    )
    assert proc.returncode != 0  # a conflict, resolved by hand below
    merge = repo.commit("merge", {"f.py": "a\nresolved\nc\nextra\n"})
    blobs, stats, _ = history(repo.path)
    assert stats.commits_scanned == 4
    by_commit = {b.origin.commit: b for b in blobs}
    assert lines(by_commit[merge]) == [(2, "resolved"), (3, ""), (4, "extra")]
    assert sorted(text for b in blobs for _, text in lines(b) if text in ("topic", "main")) == [
        "main",
        "topic",
    ]  # each branch's line once, in its own commit, not again in the merge


def test_clean_merge_adds_nothing_new(repo: GitRepo) -> None:
    repo.commit("base", {"f.py": "a\n"})
    repo.git("checkout", "-q", "-b", "topic")
    topic = repo.commit("topic", {"t.py": "t\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"m.py": "m\n"})
    repo.git("merge", "-q", "--no-edit", "topic")
    blobs, stats, _ = history(repo.path)
    assert stats.commits_scanned == 4
    assert [b.origin.commit for b in blobs if b.path == "t.py"] == [topic]


def test_rename_is_not_read_again_and_later_edits_use_the_new_path(repo: GitRepo) -> None:
    content = "".join(f"line {n}\n" for n in range(20))
    repo.commit("add", {"old/name.py": content})
    (repo.path / "new").mkdir()
    repo.git("mv", "old/name.py", "new/name.py")
    repo.commit("rename")
    repo.commit("edit", {"new/name.py": content + "appended\n"})
    blobs, stats, _ = history(repo.path)
    assert stats.commits_scanned == 3
    assert [(b.path, len(lines(b))) for b in blobs] == [("new/name.py", 1), ("old/name.py", 20)]
    assert lines(blobs[0]) == [(21, "appended")]


def test_binary_changes_are_counted_not_read(repo: GitRepo) -> None:
    repo.commit("bin", {"blob.bin": b"\x00\x01authtoken=" + b"a" * 32, "t.txt": "text\n"})
    repo.commit("bin again", {"blob.bin": b"\x00\x02other"})
    repo.commit("rm", remove=["blob.bin"])
    blobs, stats, _ = history(repo.path)
    assert [b.path for b in blobs] == ["t.txt"]
    assert stats.files_skipped == {"binary": 2}  # added and changed; the deletion adds nothing


def test_unusual_file_names(repo: GitRepo) -> None:
    names = {"with space.py": "s\n", 'quote"d.py': "q\n", "tab\there.py": "t\n", "ünï.py": "u\n"}
    repo.commit("names", names)
    (repo.path / "caf\udce9.py").write_bytes(b"latin-1 name\n")  # the byte 0xE9: not UTF-8
    repo.commit("latin-1 name")
    blobs, _, _ = history(repo.path)
    assert sorted(b.path for b in blobs) == sorted([*names, "caf\\xe9.py"])


def test_crlf_line_ends_are_dropped(repo: GitRepo) -> None:
    repo.commit("crlf", {"w.bat": b"set A=1\r\nset B=2\r\n"})
    blobs, _, _ = history(repo.path)
    assert blobs[0].data == b"set A=1\nset B=2"


def test_oversized_additions_are_skipped(repo: GitRepo) -> None:
    repo.commit("big", {"big.txt": "x" * 100 + "\n", "small.txt": "s\n"})
    blobs, stats, _ = history(repo.path, max_size=50)
    assert [b.path for b in blobs] == ["small.txt"]
    assert stats.files_skipped == {"too-large": 1}


def test_since_range_and_all_branches(repo: GitRepo) -> None:
    first = repo.commit("one", {"a.py": "1\n"})
    second = repo.commit("two", {"b.py": "2\n"})
    third = repo.commit("three", {"c.py": "3\n"})
    repo.git("checkout", "-q", "-b", "side", first)
    side = repo.commit("side", {"s.py": "s\n"})
    repo.git("checkout", "-q", "main")

    def commits(**options: object) -> list[str | None]:
        blobs, _, _ = history(repo.path, **options)  # type: ignore[arg-type]
        return [b.origin.commit for b in blobs]

    assert commits() == [third, second, first]
    assert commits(since=first) == [third, second]
    assert commits(rev_range=f"{first}..{second}") == [second]
    assert set(commits(all_branches=True)) == {first, second, third, side}
    assert set(commits(since=second, all_branches=True)) == {third, side}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"since": "no-such-rev"}, "--since: unknown revision 'no-such-rev'"),
        ({"since": "--output=/tmp/x"}, "--since: not a revision"),
        ({"rev_range": "HEAD"}, "--range: expected A..B"),
        ({"rev_range": "HEAD..nowhere"}, "--range: unknown revision 'nowhere'"),
        ({"since": "HEAD", "rev_range": "HEAD..HEAD"}, "cannot be used together"),
    ],
)
def test_bad_revisions_are_usage_errors(
    repo: GitRepo, options: dict[str, str], message: str
) -> None:
    repo.commit("one", {"a.py": "1\n"})
    with pytest.raises(UsageError, match=message):
        history(repo.path, **options)  # type: ignore[arg-type]


def test_outside_a_repository(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UsageError, match="is not in a git repository"):
        history(plain)
    with pytest.raises(UsageError, match="is not in a git repository"):
        staged(plain)


def test_repository_without_commits(repo: GitRepo) -> None:
    blobs, stats, warnings = history(repo.path)
    assert blobs == [] and stats.commits_scanned == 0
    assert [w.message for w in warnings] == [
        "the repository has no commits yet: no history to scan"
    ]


def test_subdirectory_scan_is_limited_to_it_with_relative_paths(repo: GitRepo) -> None:
    repo.commit("one", {"svc/app.py": "a\n", "other/x.py": "b\n"})
    blobs, _, _ = history(repo.path / "svc")
    assert [b.path for b in blobs] == ["app.py"]


def test_shallow_clone_says_what_it_cannot_see(repo: GitRepo, tmp_path: Path) -> None:
    for n in range(4):
        repo.commit(f"c{n}", {f"f{n}.py": f"{n}\n"})
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo.path}", str(clone)], check=True
    )
    blobs, stats, warnings = history(clone)
    assert stats.commits_scanned == 2
    # The cut-off commit shows its whole tree as added, so nothing present there is missed.
    assert sorted(b.path for b in blobs) == ["f0.py", "f1.py", "f2.py", "f3.py"]
    assert len(warnings) == 1
    assert "shallow clone" in warnings[0].message and "git fetch --unshallow" in warnings[0].message


def test_stopping_early_stops_git(repo: GitRepo) -> None:
    for n in range(3):
        repo.commit(f"c{n}", {f"f{n}.py": f"{n}\n"})
    stream = iter_history_blobs(repo.path, GitOptions(), Stats(), [], max_size=10_000_000)
    assert isinstance(stream, Generator)
    assert next(stream).path == "f2.py"
    stream.close()  # must not hang or raise


def test_staged_is_exactly_the_index(repo: GitRepo) -> None:
    repo.commit("base", {"a.py": "1\n2\n3\n", "gone.py": "bye\n"})
    repo.write({"a.py": "1\nstaged\n3\n", "new.py": "fresh\n"})
    repo.git("add", "a.py", "new.py")
    repo.git("rm", "-q", "gone.py")
    repo.write({"a.py": "1\nstaged\n3\nunstaged\n", "untracked.py": "u\n"})
    blobs, stats = staged(repo.path)
    assert [(b.path, lines(b)) for b in blobs] == [
        ("a.py", [(2, "staged")]),
        ("new.py", [(1, "fresh")]),
    ]
    assert all(b.origin.commit is None for b in blobs)
    assert stats.commits_scanned == 0


def test_staged_before_the_first_commit(repo: GitRepo) -> None:
    repo.write({"first.py": "hello\n"})
    repo.git("add", "first.py")
    blobs, _ = staged(repo.path)
    assert [(b.path, lines(b)) for b in blobs] == [("first.py", [(1, "hello")])]


def test_staged_needs_a_work_tree(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("one", {"a.py": "1\n"})
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    with pytest.raises(UsageError, match="needs a work tree"):
        staged(bare)
    blobs, _, _ = history(bare)  # history works on a bare mirror
    assert [b.path for b in blobs] == ["a.py"]


def test_chunk_boundaries_change_nothing(repo: GitRepo) -> None:
    repo.commit("base", {"f.py": "a\nb\nc\nd\n", "g.py": "one\r\ntwo\r\n"})
    repo.git("checkout", "-q", "-b", "topic")
    repo.commit("topic", {"f.py": "a\ntopic\nc\nd\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"f.py": "a\nb\nc\nmain\nmore\n", "g.py": "one\r\n"})
    repo.git("merge", "-q", "--no-edit", "topic")
    repo.commit("edit", {"f.py": "x\ntopic\nc\n+main\nmore\n"})
    stream = subprocess.run(
        ["git", *HISTORY_OPTIONS], cwd=repo.path, capture_output=True, check=True
    ).stdout
    lines_ = stream.splitlines(keepends=True)
    splits = {
        "whole": [stream],
        "per line": lines_,
        "pairs": [b"".join(lines_[i : i + 2]) for i in range(0, len(lines_), 2)],
    }
    results = {}
    for name, chunks in splits.items():
        with contextlib.closing(DeletedLines()) as deleted:
            blobs = list(parse_patches(chunks, Stats(), max_size=1000, deleted=deleted))
            results[name] = (blobs, b"".join(deleted.lines()))
    assert results["whole"] == results["per line"] == results["pairs"]
    blobs, removed = results["whole"]
    assert {b.data for b in blobs} >= {b"topic", b"main\nmore", b"x\n\n+main"}
    assert b"-b\n" in removed and b"-two\r\n" in removed and b"-d\n" in removed
