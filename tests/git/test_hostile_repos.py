"""Hostile git repositories: corrupt objects, a missing or unborn HEAD, a submodule, 10,000 commits.

Every case runs the real command line in a subprocess and must end with exit code 0, 1 or 2
within a time bound, with no traceback; an error is one line on stderr that says what git
could not do. A repository git cannot read is an error (exit 2), never a partial result that
looks complete.
"""

from __future__ import annotations

import hashlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.git.cli import Run
from tests.git.repo import GitRepo
from tests.helpers import TOKEN, TOKEN_EU
from zoho_v1_audit.models import sha256_hex

TIME_LIMIT_S = 20.0
URL = "https://crm.zoho.com/crm/private/json/Leads/getRecords"


@dataclass(frozen=True)
class Ran(Run):
    """One command-line run in a subprocess, timed."""

    seconds: float

    @property
    def error(self) -> str:
        """The one line an error run writes to stderr."""
        lines = self.stderr.splitlines()
        assert len(lines) == 1, self.stderr
        assert lines[0].startswith("zoho-v1-audit: error: "), lines[0]
        return lines[0]


def audit(*args: str, env: Mapping[str, str] | None = None, limit: float = TIME_LIMIT_S) -> Ran:
    """`python -m zoho_v1_audit ARGS`, checked for what every hostile case must do."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=limit * 3,
        check=False,
    )
    ran = Ran(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    assert ran.code in (0, 1, 2), ran.stderr
    assert "Traceback" not in ran.stderr and "internal error" not in ran.stderr, ran.stderr
    assert ran.seconds < limit, f"took {ran.seconds:.1f} s"
    assert TOKEN not in ran.stdout + ran.stderr and TOKEN_EU not in ran.stdout + ran.stderr
    return ran


def secret_places(doc: dict[str, Any]) -> dict[str, list[tuple[str, bool]]]:
    """Each secret's SHA-256 and its (path, in_head) places."""
    return {
        s["sha256"]: [(loc["path"], loc["in_head"]) for loc in s["locations"]]
        for s in doc["secrets"]
    }


def loose_object(repo: GitRepo, oid: str) -> Path:
    path = repo.path / ".git" / "objects" / oid[:2] / oid[2:]
    assert path.is_file(), f"{oid} is not a loose object"
    path.chmod(0o644)
    return path


def flip_packed_object(repo: GitRepo, oid: str) -> None:
    """Repack everything, then invert the bytes of one object's data inside the pack."""
    repo.git("repack", "-q", "-a", "-d")
    [index] = (repo.path / ".git" / "objects" / "pack").glob("*.idx")
    listing = repo.git("verify-pack", "-v", str(index))
    [row] = [line.split() for line in listing.splitlines() if line.startswith(oid)]
    size_in_pack, offset = int(row[3]), int(row[4])
    pack = index.with_suffix(".pack")
    data = bytearray(pack.read_bytes())
    for i in range(offset + 2, offset + size_in_pack):  # past the object header
        data[i] ^= 0xFF
    pack.chmod(0o644)
    pack.write_bytes(bytes(data))


# ------------------------------------------------------------------------- corrupt objects


@pytest.fixture
def leaky_history(repo: GitRepo) -> GitRepo:
    """A token committed and removed (only history holds it), another still in HEAD."""
    repo.commit(
        "add sync",
        {"config/old.env": f"ZOHO_AUTHTOKEN={TOKEN}\n", "app.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n"},
    )
    repo.commit("remove the old token", remove=["config/old.env"])
    return repo


def _garbage(path: Path) -> None:
    path.write_bytes(b"garbage")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("what", "damage"),
    [
        ("removed-blob", "garbage"),
        ("removed-blob", "truncate"),
        ("first-commit", "garbage"),
        ("first-tree", "garbage"),
        ("removed-blob", "packed"),
    ],
)
def test_corrupt_object_is_one_clear_error_and_no_output(
    leaky_history: GitRepo, tmp_path: Path, what: str, damage: str
) -> None:
    repo = leaky_history
    oid = repo.git(
        "rev-parse",
        {
            "removed-blob": "HEAD~1:config/old.env",
            "first-commit": "HEAD~1",
            "first-tree": "HEAD~1^{tree}",
        }[what],
    ).strip()
    if damage == "packed":
        flip_packed_object(repo, oid)
    else:
        {"garbage": _garbage, "truncate": _truncate}[damage](loose_object(repo, oid))
    out = tmp_path / "out"
    out.mkdir()

    history = audit("scan", str(repo.path), "--git", "-o", str(out / "result.json"))
    assert history.code == 2
    assert history.error.startswith("zoho-v1-audit: error: git log failed: ")
    assert oid in history.error  # git's own words name the object it could not read
    assert list(out.iterdir()) == []  # no result that looks complete, no temporary file

    tree = audit("scan", str(repo.path), "-f", "json")  # the work tree does not need .git
    assert tree.code == 1
    assert secret_places(tree.doc) == {sha256_hex(TOKEN_EU): [("app.env", True)]}


def _blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


@pytest.mark.slow
@pytest.mark.parametrize("damage", ["garbage", "truncate"])
def test_corrupt_head_file_outside_the_scanned_range_is_an_error(
    repo: GitRepo, tmp_path: Path, damage: str
) -> None:
    """`--since` reads only the new commits; deciding what HEAD still holds reads all of HEAD.

    In a bare repository every HEAD file comes from git. A file git cannot read is an error:
    what it holds is unknown, and a `cat-file` that gives up at it (its object sorts first)
    never reaches the new file, whose v1 call would then look removed from HEAD.
    """
    new = f"URL = '{URL}'\n".encode()
    old = next(
        data
        for i in range(1000)
        for data in [f"legacy notes {i}\n".encode() * 400]
        if _blob_id(data) < _blob_id(new)
    )
    repo.commit("notes", {"notes.txt": old})
    repo.commit("v1 client", {"client.py": new})
    bare = tmp_path / "bare.git"
    subprocess.run(
        ["git", "clone", "-q", "--bare", "--no-hardlinks", str(repo.path), str(bare)], check=True
    )
    path = bare / "objects" / _blob_id(old)[:2] / _blob_id(old)[2:]
    path.chmod(0o644)
    {"garbage": _garbage, "truncate": _truncate}[damage](path)

    ran = audit("scan", str(bare), "--git", "--since", "HEAD~1", "-f", "json")
    assert ran.code == 2, ran.stdout
    assert ran.error.startswith("zoho-v1-audit: error: git cat-file failed: ")
    assert _blob_id(old) in ran.error


# -------------------------------------------------------------------- missing and unborn HEAD


def test_missing_head_file(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("add", {"app.env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    (repo.path / ".git" / "HEAD").unlink()
    ceiling = {"GIT_CEILING_DIRECTORIES": str(tmp_path)}  # never find a repository further up

    history = audit("scan", str(repo.path), "--git", env=ceiling)
    assert history.code == 2
    assert "is not in a git repository" in history.error

    tree = audit("scan", str(repo.path), "-f", "json", env=ceiling)
    assert tree.code == 1
    assert secret_places(tree.doc) == {sha256_hex(TOKEN): [("app.env", True)]}


@pytest.fixture
def unborn(repo: GitRepo) -> GitRepo:
    """HEAD on a branch without commits, beside a branch that has them (`checkout --orphan`)."""
    repo.commit("add", {"app.env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    repo.git("symbolic-ref", "HEAD", "refs/heads/gh-pages")
    return repo


def test_unborn_head_scans_nothing_and_says_so(unborn: GitRepo) -> None:
    ran = audit("scan", str(unborn.path), "--git", "-f", "json")
    assert ran.code == 0
    doc = ran.doc
    assert doc["findings"] == [] and doc["stats"]["commits_scanned"] == 0
    [warning] = doc["warnings"]
    assert "no history to scan" in warning["message"]

    every = audit("scan", str(unborn.path), "--git", "--all-branches", "-f", "json")
    assert every.code == 1
    assert secret_places(every.doc) == {sha256_hex(TOKEN): [("app.env", False)]}


def test_unborn_head_beside_other_branches_points_to_all_branches(unborn: GitRepo) -> None:
    [warning] = audit("scan", str(unborn.path), "--git", "-f", "json").doc["warnings"]
    assert "no commits yet" not in warning["message"]
    assert "--all-branches" in warning["message"]


# ------------------------------------------------------------------------------- submodules


@pytest.fixture
def with_submodule(tmp_path: Path) -> tuple[GitRepo, GitRepo]:
    """A superproject with its own token, and a submodule at vendor/sub with another."""
    sub = GitRepo.init(tmp_path / "sub")
    sub.commit("lib", {".env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n", "lib.py": "x = 1\n"})
    top = GitRepo.init(tmp_path / "top")
    top.commit("app", {"app.env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    top.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub.path), "vendor/sub"
    )
    top.commit("add the submodule")
    inner = GitRepo(top.path / "vendor" / "sub")
    inner.day = 10
    inner.commit("lib two", {"lib.py": "x = 2\n"})
    top.commit("bump the submodule")  # a gitlink change: `Subproject commit` lines in the patch
    return top, inner


@pytest.mark.slow
def test_submodule_files_are_scanned_in_the_tree_and_its_history_is_its_own(
    with_submodule: tuple[GitRepo, GitRepo],
) -> None:
    top, inner = with_submodule
    tree = audit("scan", str(top.path), "-f", "json")
    assert tree.code == 1
    assert secret_places(tree.doc) == {
        sha256_hex(TOKEN): [("app.env", True)],
        sha256_hex(TOKEN_EU): [("vendor/sub/.env", True)],
    }

    history = audit("scan", str(top.path), "--git", "-f", "json")
    assert history.code == 1
    doc = history.doc
    assert doc["warnings"] == []
    assert doc["stats"]["commits_scanned"] == 3
    assert doc["stats"]["files_scanned"] == 2  # app.env and .gitmodules; gitlinks are not files
    # The superproject's history records only which commit the submodule is at.
    assert secret_places(doc) == {sha256_hex(TOKEN): [("app.env", True)]}
    assert all(not f["path"].startswith("vendor/sub") for f in doc["findings"])

    own = audit("scan", str(inner.path), "--git", "-f", "json")
    assert own.code == 1
    assert secret_places(own.doc) == {sha256_hex(TOKEN_EU): [(".env", True)]}
    assert own.doc["stats"]["commits_scanned"] == 2


# ------------------------------------------------------------------------- 10,000 commits

N_COMMITS = 10_000
THIRD = "c0ffee00d15ea5e0b5e551011ca7f00d"
PLANTED = {  # commit number: (path, text, commit number that removes it or None)
    3: ("config/old.env", f"ZOHO_AUTHTOKEN={TOKEN}\n", 6_000),
    5: ("src/legacy.py", f"URL = '{URL}?authtoken={TOKEN_EU}&scope=crmapi'\n", 9_000),
    8: ("deploy/keep.env", f"ZOHO_AUTHTOKEN={THIRD}\n", None),
}
EPOCH = 1_700_000_000


def fast_import_stream(n: int) -> bytes:
    """`n` commits on main: each rewrites one of 50 modules (40 lines), a few plant tokens
    that later ones remove."""
    removals = {gone: path for path, _, gone in PLANTED.values() if gone is not None}
    out: list[bytes] = []
    for i in range(1, n + 1):
        module = "".join(f"value_{k} = compute({i}, {k})  # revision {i}\n" for k in range(40))
        files = {f"src/mod{i % 50}.py": module}
        if i in PLANTED:
            path, text, _ = PLANTED[i]
            files[path] = text
        message = f"change {i}\n".encode()
        when = f"{EPOCH + 60 * i} +0000"
        out.append(
            f"commit refs/heads/main\nmark :{i}\n"
            f"author Ada Dev <ada@example.com> {when}\n"
            f"committer Ada Dev <ada@example.com> {when}\n"
            f"data {len(message)}\n".encode()
            + message
        )
        if i > 1:
            out.append(f"from :{i - 1}\n".encode())
        for path, text in files.items():
            data = text.encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
        if i in removals:
            out.append(f"D {removals[i]}\n".encode())
        out.append(b"\n")
    return b"".join(out)


def build(path: Path, n: int) -> dict[int, str]:
    """A repository of `n` generated commits, checked out; commit number to hash."""
    repo = GitRepo.init(path)
    marks = path / ".git" / "marks"
    subprocess.run(
        ["git", "fast-import", "--quiet", f"--export-marks={marks}"],
        input=fast_import_stream(n),
        cwd=path,
        check=True,
    )
    repo.git("symbolic-ref", "HEAD", "refs/heads/main")
    repo.git("reset", "-q", "--hard", "main")
    return {
        int(mark.removeprefix(":")): sha
        for mark, sha in (line.split() for line in marks.read_text().splitlines())
    }


# Runs the command line and, at exit, reports this process's own peak resident memory: VmHWM
# belongs to the process's memory map, which exec replaced, so pytest's size does not count.
# (getrusage(RUSAGE_CHILDREN) would report the largest child ever waited for, git included,
# and a child's high-water mark from before its exec.)
MEASURED = """\
import atexit, runpy, sys
def peak():
    with open("/proc/self/status") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    sys.stderr.write(f"peak-rss-kb {kb}\\n")
atexit.register(peak)
sys.argv[0] = "zoho-v1-audit"
runpy.run_module("zoho_v1_audit", run_name="__main__", alter_sys=True)
"""


def measured_scan(path: Path) -> tuple[Ran, int]:
    """`scan --git -f json` on a repository; the run and its peak RSS in KiB."""
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, "scan", str(path), "--git", "-f", "json"],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT_S * 3,
        check=False,
    )
    *rest, last = proc.stderr.splitlines()
    name, kb = last.split()
    assert name == "peak-rss-kb"
    ran = Ran(proc.returncode, proc.stdout, "\n".join(rest), time.monotonic() - started)
    assert "Traceback" not in ran.stderr
    return ran, int(kb)


def _small_files_only() -> None:
    """In the child: writing past 1 KB fails with EFBIG instead of killing the process."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))


def test_a_machine_that_cannot_write_is_one_clear_error(repo: GitRepo) -> None:
    repo.commit("data", {"a.txt": "line\n" * 5000})
    repo.commit("trim", {"a.txt": "x\n"})  # 25 KB of deleted lines for the history scan to keep
    proc = subprocess.run(
        [sys.executable, "-m", "zoho_v1_audit", "scan", str(repo.path), "--git"],
        capture_output=True,
        text=True,
        preexec_fn=_small_files_only,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (2, "zoho-v1-audit: error: File too large\n")


@pytest.mark.slow
def test_history_with_a_50_mb_line_is_read_in_linear_time(repo: GitRepo) -> None:
    line = b"var a=1;" * (50 * 1024 * 1024 // 8) + f"fetch('{URL}?authtoken={TOKEN}')".encode()
    repo.commit("bundle", {"app.min.js": line})
    ran = audit("scan", str(repo.path), "--git", "--max-file-size", "60MB", "-f", "json", limit=15)
    assert secret_places(ran.doc) == {sha256_hex(TOKEN): [("app.min.js", True)]}


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_ten_thousand_commits_in_bounded_time_and_flat_memory(tmp_path: Path) -> None:
    commits = build(tmp_path / "big", N_COMMITS)
    assert len(commits) == N_COMMITS
    build(tmp_path / "small", 10)
    small, baseline_kb = measured_scan(tmp_path / "small")
    assert small.code == 1, small.stderr

    ran, peak_kb = measured_scan(tmp_path / "big")
    assert ran.code == 1, ran.stderr
    assert ran.seconds < TIME_LIMIT_S, f"scan --git took {ran.seconds:.1f} s"
    doc = ran.doc
    assert doc["stats"]["commits_scanned"] == N_COMMITS
    secrets = {s["sha256"]: s for s in doc["secrets"]}
    for number, (path, _, gone) in PLANTED.items():
        value = {3: TOKEN, 5: TOKEN_EU, 8: THIRD}[number]
        secret = secrets.pop(sha256_hex(value))
        assert [(loc["commit"], loc["path"], loc["in_head"]) for loc in secret["locations"]] == [
            (commits[number], path, gone is None)
        ]
        assert (secret["removed"] or {}).get("commit") == (commits[gone] if gone else None)
    assert secrets == {}
    # Streaming: ~20 MB of patches over 10,000 commits cost (almost) nothing over 10 commits.
    assert peak_kb - baseline_kb < 16 * 1024, f"peak {peak_kb} KiB vs {baseline_kb} KiB"
