"""Paths a scan must not read: directories and files without permission, device files, FIFOs.

Permission bits do not stop root, and CI runs as root. There the scan runs in a subprocess as
`nobody` when that user can start this interpreter, or else as root without the two
capabilities that let it ignore permission bits (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
dropped from the bounding set before exec), so the bits bind as they do for any user.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import TOKEN, TOKEN_EU, scan, write_tree
from zoho_v1_audit.models import sha256_hex

NOBODY = 65534
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2
TIME_LIMIT_S = 30


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "zoho_v1_audit", *args]


@functools.cache
def nobody_runs_python() -> bool:
    """Whether `nobody` can start this interpreter and import the package."""
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import zoho_v1_audit.cli"],
            user=NOBODY,
            group=NOBODY,
            extra_groups=[],
            capture_output=True,
            cwd="/",
            check=False,
            timeout=TIME_LIMIT_S,
        )
    except OSError:  # the interpreter is somewhere nobody may enter, e.g. under /root
        return False
    return probe.returncode == 0


def drop_dac_capabilities() -> Callable[[], None]:
    """A preexec function: root's next program runs without the capabilities above."""
    libc = ctypes.CDLL(None, use_errno=True)

    def drop() -> None:
        for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    return drop


def run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """The command line, run so that permission bits bind."""
    options: dict[str, Any] = {}
    if os.geteuid() == 0:
        if nobody_runs_python():
            options = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        else:
            options = {"preexec_fn": drop_dac_capabilities()}
    return subprocess.run(
        cli(*args),
        capture_output=True,
        text=True,
        cwd="/",
        check=False,
        timeout=TIME_LIMIT_S,
        **options,
    )


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A directory every user may enter (pytest's own are private to their owner)."""
    base = Path(tempfile.mkdtemp(prefix="zoho-v1-audit-"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        for path in (base, *base.rglob("*")):
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(base)


def open_to_all(root: Path) -> None:
    """Directories 0755 and files 0644, whatever the umask."""
    root.chmod(0o755)
    for path in root.rglob("*"):
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.slow
def test_unreadable_directories_and_files_are_skipped_with_warnings(public_dir: Path) -> None:
    root = write_tree(
        public_dir / "tree",
        {
            "ok/.env": f"ZOHO_AUTHTOKEN={TOKEN}\n",
            "locked/.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n",
            "list-only/a.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n",
            "secret.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n",
        },
    )
    open_to_all(root)
    (root / "locked").chmod(0o000)
    (root / "list-only").chmod(0o444)  # names can be listed, entries not reached
    (root / "secret.env").chmod(0o000)

    started = time.monotonic()
    proc = run_unprivileged("scan", str(root), "-f", "json", "-j", "1")
    seconds = time.monotonic() - started
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr == ""
    doc = json.loads(proc.stdout)
    assert [s["sha256"] for s in doc["secrets"]] == [sha256_hex(TOKEN)]  # TOKEN_EU never read
    assert doc["stats"]["files_scanned"] == 1
    assert doc["stats"]["files_skipped"] == {"unreadable": 3}
    assert doc["warnings"] == [
        {"path": "list-only/a.env", "message": "cannot read: Permission denied"},
        {"path": "locked/", "message": "cannot list directory: Permission denied"},
        {"path": "secret.env", "message": "cannot read: Permission denied"},
    ]
    assert seconds < TIME_LIMIT_S

    named = run_unprivileged("scan", str(root / "locked"), "-f", "json")
    assert named.returncode == 2
    assert "Traceback" not in named.stderr
    assert "is not readable" in named.stderr


def test_device_files_are_not_regular_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "tree", {".env": f"ZOHO_AUTHTOKEN={TOKEN}\n"})
    try:
        os.mknod(root / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        made_device = False  # no CAP_MKNOD here: only the links below are tested
    else:
        made_device = True
        (root / "null-link").symlink_to(root / "null")
    (root / "dev-null").symlink_to("/dev/null")
    result = scan(root)
    expected = {"link-outside-root": 1}
    if made_device:
        assert stat.S_ISCHR((root / "null").lstat().st_mode)
        expected["not-a-regular-file"] = 2  # the device, and the link to it inside the root
    assert result.stats.files_skipped == expected
    assert result.stats.files_scanned == 1
    assert [s.value for s in result.secrets] == [TOKEN]
    assert result.warnings == []


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_special_file_named_on_the_command_line_is_never_opened(tmp_path: Path, kind: str) -> None:
    if kind == "device":
        target = Path("/dev/null")
    else:
        target = tmp_path / "pipe"
        os.mkfifo(target)  # opening it to read would block until a writer comes
    started = time.monotonic()
    proc = subprocess.run(
        cli("scan", str(target), "-f", "json"),
        capture_output=True,
        text=True,
        check=False,
        timeout=TIME_LIMIT_S,
    )
    assert time.monotonic() - started < TIME_LIMIT_S
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["stats"]["files_scanned"] == 0
    assert doc["stats"]["files_skipped"] == {"not-a-regular-file": 1}
    assert doc["warnings"] == []
