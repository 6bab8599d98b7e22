"""Walking a real directory tree and aggregating what it holds."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

from tests.helpers import TOKEN, TOKEN_EU, scan, write_tree
from zoho_v1_audit.models import Confidence
from zoho_v1_audit.scan.reader import Reading, read_blobs
from zoho_v1_audit.scan.sources import FileTask, Skip

ENV = f"ZOHO_AUTHTOKEN={TOKEN}\n"


def test_one_secret_with_every_location(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            ".env": ENV,
            "config/zoho.yml": f"zoho:\n  authtoken: {TOKEN}\n",
            "src/sync.py": f"URL = 'https://crm.zoho.eu/crm/private/json/Leads/getRecords?authtoken={TOKEN}'\n",
            "src/other.py": f"ZOHO_AUTHTOKEN = '{TOKEN_EU}'\n",
        },
    )
    result = scan(tmp_path)
    assert len(result.secrets) == 2
    shared = next(s for s in result.secrets if s.value == TOKEN)
    assert [loc.path for loc in shared.locations] == [".env", "config/zoho.yml", "src/sync.py"]
    assert shared.data_centre_hint == "eu"


def test_dotfiles_and_gitignored_files_are_scanned_git_dir_is_not(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {".gitignore": ".env\nsecrets/\n", ".env": ENV, "secrets/a.env": ENV, ".git/config": ENV},
    )
    paths = {loc.path for s in scan(tmp_path).secrets for loc in s.locations}
    assert paths == {".env", "secrets/a.env"}
    ignored = scan(tmp_path, respect_gitignore=True)
    assert ignored.secrets == []
    assert ignored.stats.files_skipped["excluded"] == 2


def test_exclude_globs(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a/.env": ENV, "vendor/x/.env": ENV, "b.env": ENV})
    result = scan(tmp_path, excludes=("vendor/", "/b.env"))
    assert [loc.path for s in result.secrets for loc in s.locations] == ["a/.env"]


def test_binary_large_and_encoded_files(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "bin.dat": b"\x00\x01" + ENV.encode(),
            "big.env": ENV + "#" * 12_000,
            "utf16.env": ENV.encode("utf-16"),
            "utf16le-nobom.env": ENV.encode("utf-16-le"),
            "latin1.py": b"# caf\xe9\n" + ENV.encode(),
            "crlf.env": b"x=1\r\n" + ENV.encode(),
            "cr.env": b"x=1\r" + ENV.encode(),
            "empty.env": b"",
            "mixed.env": b"a=1\r\nb=2\rc=3\n" + ENV.encode(),
            "late-nul.log": ENV.encode() + b"." * 9000 + b"\x00tail\n",
            "early-nul.log": b"." * 8000 + b"\x00" + ENV.encode(),
        },
    )
    result = scan(tmp_path, max_file_size=10_000)
    assert result.stats.files_skipped == {"too-large": 1}
    lines = {loc.path: loc.line for s in result.secrets for loc in s.locations}
    assert lines == {
        "utf16.env": 1,
        "utf16le-nobom.env": 1,
        "latin1.py": 2,
        "crlf.env": 2,
        "cr.env": 2,
        "mixed.env": 4,
        "late-nul.log": 1,
        "bin.dat": None,  # binary files are searched through their printable strings
        "early-nul.log": None,
    }


def test_symlinks_out_of_root_and_loops_are_not_followed(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {".env": ENV})
    root = write_tree(tmp_path / "root", {"in/.env": ENV})
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "in" / "loop").symlink_to(root / "in", target_is_directory=True)
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    (root / "alias.env").symlink_to(root / "in" / ".env")
    result = scan(root)
    paths = sorted(loc.path for s in result.secrets for loc in s.locations)
    assert paths == ["alias.env", "in/.env"]
    assert result.stats.files_skipped == {"link-outside-root": 1, "link-loop": 1, "broken-link": 1}


def test_special_files_are_skipped(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": ENV})
    os.mkfifo(tmp_path / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        result = scan(tmp_path)
    finally:
        sock.close()
    assert result.stats.files_skipped == {"not-a-regular-file": 2}
    assert len(result.secrets) == 1


def test_file_gone_between_listing_and_reading_is_a_warning(tmp_path: Path) -> None:
    [skip] = read_blobs(FileTask(str(tmp_path / "vanished.py"), "vanished.py"), Reading(1000))
    assert isinstance(skip, Skip)
    assert (skip.reason, skip.message) == ("unreadable", "cannot read: No such file or directory")


def test_context_from_another_file_lowers_confidence(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "client/base.py": "BASE = 'https://crm.zoho.com/crm/private/json/'\n",
            "client/leads.py": "fetch(build_url('Leads', 'getRecords'))\n",
        },
    )
    method = next(f for f in scan(tmp_path).findings if f.rule_id == "v1-method-call")
    assert method.location.path == "client/leads.py"
    assert method.confidence is Confidence.MEDIUM


def test_many_files_through_the_process_pool_match_a_serial_scan(tmp_path: Path) -> None:
    files = {f"d{i % 7}/f{i}.py": f"x = {i}\n" for i in range(700)}
    files.update(
        {
            f"d{i}/t.env": f"ZOHO_AUTHTOKEN={hashlib.md5(str(i).encode()).hexdigest()}\n"
            for i in range(1, 50)
        }
    )
    write_tree(tmp_path, files)
    parallel = scan(tmp_path, jobs=2)
    serial = scan(tmp_path, jobs=1)
    assert parallel.stats.files_scanned == serial.stats.files_scanned == 749
    assert [f.fingerprint for f in parallel.findings] == [f.fingerprint for f in serial.findings]
    assert len(parallel.secrets) == 49


def test_fingerprints_ignore_line_numbers(tmp_path: Path) -> None:
    write_tree(tmp_path, {".env": ENV})
    before = scan(tmp_path).findings[0].fingerprint
    write_tree(tmp_path, {".env": "# moved\n\n" + ENV})
    after = scan(tmp_path).findings[0]
    assert after.location.line == 3 and after.fingerprint == before
