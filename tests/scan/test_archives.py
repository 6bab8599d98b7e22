"""Archives and build artifacts, nested, read in memory: real zips, jars, wars, wheels, tars."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
from pathlib import Path

import pytest

from tests.git.cli import audit
from tests.helpers import TOKEN, scan, unwrapped, write_tree
from tests.scan.artifacts import (
    V1_URL,
    compiled_class,
    compiled_pyc,
    jar_bytes,
    tar_bytes,
    zip_bytes,
)
from zoho_v1_audit.models import ScanResult
from zoho_v1_audit.scan.aggregate import Suppressions
from zoho_v1_audit.scan.budget import Limits

ENV = f"ZOHO_AUTHTOKEN={TOKEN}\n".encode()


def places(result: ScanResult) -> dict[str, int | None]:
    """Each path with a finding, and its line."""
    return {f.location.path: f.location.line for f in result.findings}


@pytest.fixture
def war(tmp_path: Path) -> Path:
    """dist/app.war holding WEB-INF/lib/crm.jar holding a compiled class and a properties file."""
    work = tmp_path / "work"
    jar = jar_bytes(
        work,
        {
            "com/acme/Zoho.class": compiled_class(work),
            "crm.properties": b"# CRM\nzoho.authtoken=" + TOKEN.encode() + b"\n",
        },
    )
    war = zip_bytes({"WEB-INF/web.xml": b"<web-app/>\n", "WEB-INF/lib/crm.jar": jar})
    return write_tree(tmp_path / "tree", {"dist/app.war": war})


def test_war_holding_jar_holding_class_and_properties(war: Path) -> None:
    run = audit("scan", str(war), "-f", "json")
    found = {(f["path"], f["line"]) for f in run.doc["findings"]}
    assert ("dist/app.war!/WEB-INF/lib/crm.jar!/crm.properties", 2) in found
    in_class = [f for f in run.doc["findings"] if f["path"].endswith("Zoho.class")]
    assert {f["path"] for f in in_class} == {
        "dist/app.war!/WEB-INF/lib/crm.jar!/com/acme/Zoho.class"
    }
    assert all(f["line"] is None and f["offset"] > 0 for f in in_class)
    assert "v1-crm-endpoint" in {f["rule_id"] for f in in_class}
    assert run.doc["stats"]["files_skipped"] == {}


def test_every_report_format_shows_a_member_of_a_binary(war: Path) -> None:
    for fmt in ("text", "md", "html", "sarif"):
        run = audit("scan", str(war), "-f", fmt)
        assert run.code == 1, run.stderr
        assert "crm.jar!/com/acme/Zoho.class@" in unwrapped(run.stdout) or fmt == "sarif"
    sarif = audit("scan", str(war), "-f", "sarif").stdout
    assert '"byteOffset"' in sarif


def test_wheel_of_pyc_and_sdist(tmp_path: Path) -> None:
    pyc = compiled_pyc(tmp_path, f"URL = {V1_URL!r}\n")
    sdist = tar_bytes(
        {"acme-1.0/PKG-INFO": b"Name: acme\n", "acme-1.0/acme/client.py": b"\n" + ENV}
    )
    root = write_tree(
        tmp_path / "tree",
        {
            "dist/acme-1.0-py3-none-any.whl": zip_bytes({"acme/client.pyc": pyc}),
            "dist/acme-1.0.tar.gz": sdist,
        },
    )
    found = places(scan(root))
    assert found["dist/acme-1.0-py3-none-any.whl!/acme/client.pyc"] is None
    assert found["dist/acme-1.0.tar.gz!/acme-1.0/acme/client.py"] == 2


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_family(tmp_path: Path, mode: str) -> None:
    root = write_tree(tmp_path, {"out/bundle.tar": tar_bytes({"conf/.env": ENV}, mode)})
    assert places(scan(root)) == {"out/bundle.tar!/conf/.env": 1}


@pytest.mark.parametrize(
    ("name", "pack"),
    [("app.log.gz", gzip.compress), ("app.log.bz2", bz2.compress), ("app.log.xz", lzma.compress)],
)
def test_single_compressed_files(tmp_path: Path, name: str, pack: object) -> None:
    assert callable(pack)
    root = write_tree(tmp_path, {f"logs/{name}": pack(b"start\n" + ENV)})
    assert places(scan(root)) == {f"logs/{name}!/app.log": 2}


def test_exclude_inline_ignore_and_baseline_work_on_members(tmp_path: Path) -> None:
    inner = zip_bytes(
        {
            "a/.env": ENV,
            "b/settings.py": f"TOKEN_URL = '{V1_URL}'  # zoho-v1-audit:ignore\n".encode(),
        }
    )
    root = write_tree(tmp_path, {"lib/outer.zip": zip_bytes({"inner.jar": inner, "c/.env": ENV})})
    everything = scan(root)
    assert set(places(everything)) == {"lib/outer.zip!/inner.jar!/a/.env", "lib/outer.zip!/c/.env"}
    assert everything.stats.findings_ignored_inline >= 1
    excluded = scan(root, excludes=("**/inner.jar!/a/",))
    assert set(places(excluded)) == {"lib/outer.zip!/c/.env"}
    assert excluded.stats.files_skipped["excluded"] == 1
    baseline = frozenset(f.fingerprint for f in everything.findings)
    assert scan(root, suppressions=Suppressions(baseline=baseline)).findings == []


def test_member_names_are_data_never_paths(tmp_path: Path) -> None:
    buf_members = {
        "../../escaped.env": ENV,
        "/etc/absolute.env": ENV,
        "nul\x00.env": ENV,
        "\x1b[31mred.env": ENV,
    }
    root = write_tree(tmp_path / "tree", {"evil.zip": zip_bytes(buf_members)})
    before = sorted(p for p in tmp_path.rglob("*"))
    found = set(places(scan(root)))
    assert found == {
        "evil.zip!/../../escaped.env",
        "evil.zip!//etc/absolute.env",
        "evil.zip!/nul",  # zip readers end a name at NUL
        "evil.zip!/\\x1b[31mred.env",
    }
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing was written anywhere


def test_depth_limit_is_a_counted_warning(tmp_path: Path) -> None:
    data = ENV
    for level in range(6):
        data = zip_bytes({f"level{level}.zip" if level else ".env": data})
    root = write_tree(tmp_path, {"deep.zip": data})
    shallow = scan(root)
    assert shallow.findings == []
    assert shallow.stats.files_skipped == {"archive-depth": 1}
    [warning] = shallow.warnings
    assert warning.path.startswith("deep.zip!/level5.zip!/level4.zip!/level3.zip!/level2.zip")
    deep = scan(root, archives=Limits(max_depth=6))
    assert list(places(deep)) == [
        "deep.zip!/level5.zip!/level4.zip!/level3.zip!/level2.zip!/level1.zip!/.env"
    ]
    none = scan(root, archives=Limits(max_depth=0))  # archives are then read as binary files
    assert none.findings == [] and none.stats.files_scanned == 1


def test_budgets_end_an_archive_with_a_warning_and_the_scan_goes_on(tmp_path: Path) -> None:
    many = zip_bytes({f"m{i}.txt": b"x" * 1000 for i in range(50)} | {"z/.env": ENV})
    root = write_tree(
        tmp_path,
        {
            "many.zip": many,
            "big.zip": zip_bytes({"a": b"y" * 600_000, "b": b"y" * 600_000}),
            ".env": ENV,
        },
    )
    result = scan(root, archives=Limits(max_members=20, max_bytes=1_000_000))
    assert places(result) == {".env": 1}
    assert result.stats.files_skipped == {"archive-budget": 2}
    assert {(w.path, w.message) for w in result.warnings} == {
        ("many.zip", "archive partly scanned: more than 20 members"),
        ("big.zip", "archive partly scanned: more than 1000000 bytes uncompressed"),
    }


def test_encrypted_and_corrupt_members_are_warnings(tmp_path: Path) -> None:
    # Incompressible bytes are stored in deflate blocks whose damaged header is an error.
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(160))
    data = bytearray(zip_bytes({"ok/.env": ENV, "broken.bin": noise, "secret.txt": ENV}))
    broken = data.index(b"broken.bin") + len("broken.bin")
    data[broken : broken + 8] = b"\xff" * 8
    local, central = data.index(b"secret.txt") - 30, data.rindex(b"secret.txt") - 46
    data[local + 6] |= 1  # "encrypted" in the local header and the central directory
    data[central + 8] |= 1
    root = write_tree(
        tmp_path, {"a.zip": bytes(data), "truncated.jar": zip_bytes({".env": ENV})[:40]}
    )
    result = scan(root)
    assert places(result) == {"a.zip!/ok/.env": 1}
    assert {(w.path, w.message.split(":")[0]) for w in result.warnings} == {
        ("a.zip!/broken.bin", "cannot read member"),
        ("a.zip!/secret.txt", "encrypted member not read"),
        ("truncated.jar", "cannot read archive"),
    }


def test_member_names_are_not_terminal_markup(tmp_path: Path) -> None:
    write_tree(tmp_path, {"evil.zip": zip_bytes({"[bold]x.env": ENV})})
    text = audit("scan", str(tmp_path)).stdout
    assert "evil.zip!/[bold]x.env" in "".join(text.split())


@pytest.mark.parametrize("name", ["zeros.tar.gz", "zeros.log.gz"])
def test_gzip_bombs_are_stopped_by_the_ratio(tmp_path: Path, name: str) -> None:
    zeros = bytes(16 << 20)
    plain = tar_bytes({"zeros.bin": zeros}, "w") if name.endswith(".tar.gz") else zeros
    data = gzip.compress(plain, compresslevel=1)
    root = write_tree(tmp_path, {name: data, "app.env": ENV})
    result = scan(root)
    assert places(result) == {"app.env": 1}
    assert [(w.path, w.message) for w in result.warnings] == [
        (name, "archive partly scanned: compression ratio over 100:1")
    ]
