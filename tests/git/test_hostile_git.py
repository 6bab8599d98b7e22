"""A repository that attacks through git: its config, attributes, replace refs, hooks, its files.

Everything under `.git/` is as untrusted as the work tree: an archive or a shared workspace
delivers `.git/config` as easily as a clone delivers files. Each test plants a command that
would write a marker file (or open a loopback connection) and asserts that it never runs, or
hides a token the way git allows and asserts that the scan still finds it.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.git.cli import audit as cli_audit
from tests.git.repo import GitRepo
from tests.git.test_hostile_repos import MEASURED, Ran, audit
from tests.helpers import TOKEN, TOKEN_EU
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.hooks import install_hook
from zoho_v1_audit.models import sha256_hex
from zoho_v1_audit.scan import gitrepo

LEAK = f"ZOHO_AUTHTOKEN={TOKEN}\n"


def found(ran: Ran) -> set[str]:
    """The SHA-256 of every secret a JSON run reported."""
    return {s["sha256"] for s in ran.doc["secrets"]}


# ------------------------------------------------------------------------- the plain git hook

HOSTILE_PACKAGE = {
    "zoho_v1_audit/__init__.py": "open({marker!r}, 'w').write('imported')\n",
    "zoho_v1_audit/__main__.py": "raise SystemExit(0)\n",
}


def test_the_hook_runs_the_installed_tool_not_a_package_committed_to_the_repository(
    repo: GitRepo, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    repo.commit("base", {"app.py": "x = 1\n"})
    assert audit("install-hook", str(repo.path)).code == 0
    repo.write({k: v.format(marker=str(marker)) for k, v in HOSTILE_PACKAGE.items()})
    repo.write({"a.env": LEAK})
    repo.git("add", "-A")
    # A PYTHONPATH holding "." (common in development shells) must not let it in either.
    commit = subprocess.run(
        ["git", "commit", "-q", "-m", "x"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": "."},
        check=False,
    )
    assert not marker.exists()
    assert commit.returncode != 0, commit.stdout + commit.stderr
    assert "v1-authtoken" in commit.stdout + commit.stderr
    assert repo.git("log", "--format=%s") == "base\n"


def test_install_hook_refuses_a_python_that_cannot_import_the_tool_isolated(
    repo: GitRepo, tmp_path: Path
) -> None:
    venv.create(tmp_path / "venv", with_pip=False)  # a Python without zoho-v1-audit
    python = str(tmp_path / "venv" / "bin" / "python")
    with pytest.raises(UsageError, match="cannot import zoho_v1_audit"):
        install_hook(repo.path, force=False, python=python)
    assert not (repo.path / ".git" / "hooks" / "pre-commit").exists()


def test_the_pre_commit_framework_entry_runs_python_isolated() -> None:
    hooks = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"
    entry = next(
        line.split(":", 1)[1].strip() for line in hooks.read_text().splitlines() if "entry:" in line
    )
    # `python` is the hook environment's interpreter (pre-commit puts its bin/ first on PATH).
    assert shlex.split(entry)[:4] == ["python", "-I", "-m", "zoho_v1_audit"]


# ------------------------------------------------------------------- commands in .git/config


@pytest.fixture
def markers(tmp_path: Path) -> Path:
    path = tmp_path / "markers"
    path.mkdir()
    return path


def touch(markers: Path, name: str) -> str:
    """A shell command that leaves a marker named `name`, then fails."""
    return f"touch {shlex.quote(str(markers / name))}; false"


def plant_commands(repo: GitRepo, markers: Path) -> None:
    """Every git setting and attribute that names a command, each leaving its own marker."""
    settings = {
        "core.fsmonitor": touch(markers, "fsmonitor"),
        "core.pager": touch(markers, "pager"),
        "pager.log": touch(markers, "pager.log"),
        "pager.diff": touch(markers, "pager.diff"),
        "diff.external": touch(markers, "diff.external"),
        "diff.evil.textconv": touch(markers, "textconv"),
        "diff.evil.command": touch(markers, "diff.command"),
        "filter.evil.clean": touch(markers, "clean"),
        "filter.evil.smudge": touch(markers, "smudge"),
        "filter.evil.process": touch(markers, "process"),
        "filter.evil.required": "true",
        "core.askPass": touch(markers, "askpass"),
        "credential.helper": "!" + touch(markers, "credential"),
        "core.sshCommand": touch(markers, "ssh"),
        "gpg.program": touch(markers, "gpg"),
        "log.showSignature": "true",
        "diff.submodule": "log",
        "core.hooksPath": str(markers.parent / "evil-hooks"),
    }
    for key, value in settings.items():
        repo.git("config", key, value)
    hooks = markers.parent / "evil-hooks"
    hooks.mkdir()
    for hook in ("pre-commit", "post-checkout", "reference-transaction", "pre-auto-gc"):
        (hooks / hook).write_text(f"#!/bin/sh\n{touch(markers, hook)}\n")
        (hooks / hook).chmod(0o755)
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "attributes").write_text("* diff=evil filter=evil\n")


def test_commands_in_the_repository_config_never_run(repo: GitRepo, markers: Path) -> None:
    repo.commit("base", {".gitattributes": "* diff=evil filter=evil\n", "app.py": "x = 1\n"})
    repo.commit("leak", {"old.env": LEAK})
    repo.commit("remove", remove=["old.env"])  # dating the removal reads history again
    repo.write({"new.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n", "app.py": "x = 2\n"})
    repo.git("add", "-A")
    plant_commands(repo, markers)

    history = audit("scan", str(repo.path), "--git", "-f", "json")
    staged = audit("scan", str(repo.path), "--staged", "-f", "json")
    tree = audit("scan", str(repo.path), "-f", "json")

    assert sorted(p.name for p in markers.iterdir()) == []
    assert history.code == 1 and found(history) == {sha256_hex(TOKEN)}
    assert staged.code == 1 and found(staged) == {sha256_hex(TOKEN_EU)}
    assert tree.code == 1 and found(tree) == {sha256_hex(TOKEN_EU)}


def test_a_mailmap_fifo_is_never_read(repo: GitRepo, tmp_path: Path) -> None:
    """Authors are shown as their commits record them: no .mailmap is opened (a FIFO would
    block git forever)."""
    repo.commit("leak", {"old.env": LEAK})
    os.mkfifo(repo.path / ".mailmap")
    os.mkfifo(tmp_path / "mailmap")
    repo.git("config", "mailmap.file", str(tmp_path / "mailmap"))
    ran = audit("scan", str(repo.path), "--git", "-f", "json")
    assert found(ran) == {sha256_hex(TOKEN)}
    assert ran.doc["findings"][0]["author"] == "Ada Dev <ada@example.com>"


def test_a_config_include_that_never_answers_is_a_clear_error(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo.commit("leak", {"old.env": LEAK})
    os.mkfifo(tmp_path / "fifo")
    repo.git("config", "include.path", str(tmp_path / "fifo"))  # git config writes, never reads it
    monkeypatch.setattr(gitrepo, "SHORT_TIMEOUT", 1.0)
    for mode in ("--git", "--staged"):
        ran = cli_audit("scan", str(repo.path), mode)
        assert ran.code == 2
        assert "did not finish in 1 s" in ran.stderr and "include.path" in ran.stderr


# ---------------------------------------------------------------------- partial clone, network


@pytest.fixture
def loopback() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 that nothing should connect to."""
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    yield server
    server.close()


def connected(server: socket.socket) -> bool:
    try:
        conn, _ = server.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize("remote", ["ext", "ssh", "http", "file"])
def test_a_partial_clone_never_fetches_what_it_lacks(
    repo: GitRepo, tmp_path: Path, markers: Path, loopback: socket.socket, remote: str
) -> None:
    repo.commit("leak", {"old.env": LEAK})
    repo.commit("remove", remove=["old.env"])
    repo.git("config", "uploadpack.allowFilter", "true")
    clone = GitRepo(tmp_path / "clone")
    subprocess.run(
        ["git", "clone", "-q", "--filter=blob:none", f"file://{repo.path}", str(clone.path)],
        check=True,
    )
    port = loopback.getsockname()[1]
    url = {
        "ext": f"ext::sh -c {touch(markers, 'ext').replace(' ', '% ')}",
        "ssh": "ssh://git@example.invalid/repo.git",
        "http": f"http://127.0.0.1:{port}/repo.git",
        "file": f"file://{repo.path}",  # reachable: a fetch would succeed and hide the gap
    }[remote]
    clone.git("config", "remote.origin.url", url)
    clone.git("config", "protocol.allow", "always")
    clone.git("config", "core.sshCommand", touch(markers, "ssh"))
    clone.git("config", "remote.origin.uploadpack", touch(markers, "uploadpack"))

    ran = audit("scan", str(clone.path), "--git", "-f", "json")

    assert sorted(p.name for p in markers.iterdir()) == []
    assert not connected(loopback)
    assert ran.code == 2
    assert "partial clone" in ran.error and "never fetches" in ran.error
    # Nothing was fetched: the token's blob is still missing from the clone.
    missing = clone.git("rev-list", "--objects", "--all", "--missing=print")
    assert any(line.startswith("?") for line in missing.splitlines())


# ----------------------------------------------------------------------- hiding from the scan


@pytest.mark.parametrize("attributes", ["* -diff", "* binary", "* diff=foo", "*.env -text -diff"])
def test_attributes_cannot_hide_a_token(repo: GitRepo, attributes: str) -> None:
    repo.commit("attributes", {".gitattributes": attributes + "\n", "app.py": "x = 1\n"})
    repo.commit("leak", {"old.env": LEAK})
    repo.git("config", "diff.foo.binary", "true")
    repo.write({"new.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n"})
    repo.git("add", "-A")

    history = audit("scan", str(repo.path), "--git", "-f", "json")
    staged = audit("scan", str(repo.path), "--staged", "-f", "json")

    assert found(history) == {sha256_hex(TOKEN)}
    assert found(staged) == {sha256_hex(TOKEN_EU)}
    assert history.doc["stats"]["files_skipped"] == {}


def test_attributes_cannot_hide_what_a_merge_wrote(repo: GitRepo) -> None:
    """A combined diff obeys `-diff` even with --text: the merge's own lines are found anyway."""
    repo.commit("base", {".gitattributes": "* -diff\n", "f.txt": "a\nb\nc\n"})
    repo.git("checkout", "-q", "-b", "side")
    repo.commit("side", {"f.txt": "a\nB\nc\n"})
    repo.git("checkout", "-q", "main")
    repo.commit("main", {"f.txt": "a\nb\nC\n"})
    subprocess.run(["git", "merge", "-q", "side"], cwd=repo.path, capture_output=True, check=False)
    merge = repo.commit("merge", {"f.txt": "a\nB\nC\n" + LEAK})
    assert "Binary files differ" in repo.git("show", "--cc", merge)  # git itself shows nothing

    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    assert [(f["path"], f["line"], f["commit"]) for f in doc["findings"]] == [("f.txt", 4, merge)]
    assert doc["stats"]["files_skipped"] == {}


def test_attributes_in_the_git_directory_cannot_hide_a_token(repo: GitRepo) -> None:
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "attributes").write_text("* -diff\n")
    repo.commit("leak", {"old.env": LEAK})
    assert found(audit("scan", str(repo.path), "--git", "-f", "json")) == {sha256_hex(TOKEN)}


def test_real_binaries_are_still_skipped_as_binary(repo: GitRepo) -> None:
    repo.commit("bin", {"dump.bin": b"\x00\x01" + LEAK.encode(), "a.txt": "text\n"})
    doc = audit("scan", str(repo.path), "--git", "-f", "json").doc
    assert doc["secrets"] == []
    assert doc["stats"]["files_skipped"] == {"binary": 1}


def test_a_replace_ref_cannot_hide_a_commit(repo: GitRepo) -> None:
    repo.commit("base", {"app.py": "x = 1\n"})
    leak = repo.commit("leak", {"old.env": LEAK})
    repo.commit("remove", remove=["old.env"])
    clean = repo.git("commit-tree", f"{leak}^^{{tree}}", "-p", f"{leak}^", "-m", "leak").strip()
    repo.git("replace", leak, clean)
    assert "old.env" not in repo.git("log", "-p")  # git itself is fooled

    assert found(audit("scan", str(repo.path), "--git", "-f", "json")) == {sha256_hex(TOKEN)}


def test_a_lying_commit_graph_cannot_cut_history_off(repo: GitRepo) -> None:
    repo.commit("leak", {"old.env": LEAK})
    repo.commit("remove", remove=["old.env"])
    repo.commit("more", {"app.py": "x = 2\n"})
    repo.git("commit-graph", "write", "--reachable")
    graph = repo.path / ".git" / "objects" / "info" / "commit-graph"
    data = bytearray(graph.read_bytes())
    # Chunk table after the 8-byte header: (id, offset) pairs; CDAT holds, per commit in OID
    # order, the tree id (20 bytes) and the positions of its first two parents.
    chunks = {bytes(data[8 + 12 * i : 12 + 12 * i]): 12 + 12 * i for i in range(data[6])}
    cdat = int.from_bytes(data[chunks[b"CDAT"] : chunks[b"CDAT"] + 8], "big")
    for i in range(3):
        entry = cdat + i * 36 + 20
        data[entry : entry + 4] = (0x70000000).to_bytes(4, "big")  # "no parent"
    graph.chmod(0o644)
    graph.write_bytes(bytes(data))
    assert repo.git("rev-list", "--count", "HEAD") == "1\n"  # git itself is fooled

    ran = audit("scan", str(repo.path), "--git", "-f", "json")
    assert found(ran) == {sha256_hex(TOKEN)}
    assert ran.doc["stats"]["commits_scanned"] == 3


def test_a_graft_cannot_cut_history_off(repo: GitRepo) -> None:
    repo.commit("leak", {"old.env": LEAK})
    repo.commit("remove", remove=["old.env"])
    head = repo.commit("more", {"app.py": "x = 2\n"})
    (repo.path / ".git" / "info").mkdir(exist_ok=True)
    (repo.path / ".git" / "info" / "grafts").write_text(head + "\n")  # HEAD: no parents
    assert repo.git("rev-list", "--count", "HEAD") == "1\n"  # git itself is fooled

    ran = audit("scan", str(repo.path), "--git", "-f", "json")
    assert found(ran) == {sha256_hex(TOKEN)}
    assert ran.doc["stats"]["commits_scanned"] == 3


# ------------------------------------------------------------------- memory: huge blobs in history


def measured(*args: str) -> tuple[Ran, int]:
    """The command line in a subprocess; the run and its peak RSS in KiB."""
    proc = subprocess.run(
        [sys.executable, "-c", MEASURED, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    *rest, last = proc.stderr.splitlines()
    name, kb = last.split()
    assert name == "peak-rss-kb"
    assert "Traceback" not in proc.stderr
    return Ran(proc.returncode, proc.stdout, "\n".join(rest), 0.0), int(kb)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
@pytest.mark.parametrize("content", [b"\n" * (24 << 20), b"x" * (24 << 20) + b"\n"])
def test_a_huge_file_in_history_is_skipped_without_being_held(
    repo: GitRepo, content: bytes
) -> None:
    """24 MB of newlines (24 million added lines) or one 24 MB line, above a 1 MB limit."""
    repo.commit("small", {"a.env": "x = 1\n"})
    _, baseline_kb = measured("scan", str(repo.path), "--git", "-f", "json")
    repo.commit("huge", {"huge.txt": content})
    repo.commit("leak", {"old.env": LEAK})
    repo.commit("remove", remove=["old.env"])  # in_head and removal dating read HEAD and history

    ran, peak_kb = measured("scan", str(repo.path), "--git", "--max-file-size", "1MB", "-f", "json")
    assert ran.code == 1, ran.stderr
    assert ran.doc["stats"]["files_skipped"] == {"too-large": 1}
    assert found(ran) == {sha256_hex(TOKEN)}
    assert peak_kb - baseline_kb < 24 * 1024, f"peak {peak_kb} KiB vs {baseline_kb} KiB"
