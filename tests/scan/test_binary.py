"""Compiled code and other binary files: searched through their printable strings."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.git.cli import audit
from tests.helpers import TOKEN, scan, unwrapped, write_tree
from tests.scan.artifacts import V1_URL, class_by_hand, compiled_class, compiled_pyc
from zoho_v1_audit.models import ScanResult

ROOT = Path(__file__).parents[2]
SCHEMA = json.loads((ROOT / "docs" / "result.schema.json").read_text())
SARIF_SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
ENV = f"ZOHO_AUTHTOKEN={TOKEN}\n".encode()


def located(result: ScanResult) -> dict[str, tuple[int | None, int | None]]:
    return {f.location.path: (f.location.line, f.location.offset) for f in result.findings}


def test_class_and_pyc_without_fake_line_numbers(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "tree",
        {
            "classes/com/acme/Zoho.class": compiled_class(tmp_path),
            "by-hand/Zoho.class": class_by_hand(V1_URL),
            "__pycache__/client.cpython-311.pyc": compiled_pyc(tmp_path, f"URL = {V1_URL!r}\n"),
        },
    )
    found = located(scan(root))
    assert set(found) == {
        "classes/com/acme/Zoho.class",
        "by-hand/Zoho.class",
        "__pycache__/client.cpython-311.pyc",
    }
    assert all(line is None and offset for line, offset in found.values())


def test_offset_is_the_byte_offset_of_the_match_utf16_included(tmp_path: Path) -> None:
    dotnet = b"MZ\x90\x00" + b"\x00" * 60 + b"\x01" + V1_URL.encode("utf-16-le") + b"\x00\x00"
    root = write_tree(tmp_path, {"bin/Crm.dll": dotnet, "data.bin": b"\x00\x01\x02" + ENV})
    found = {
        (f.location.path, f.rule_id, f.location.line, f.location.offset)
        for f in scan(root).findings
    }
    secret_in_url = 65 + 2 * V1_URL.index(TOKEN)  # UTF-16: two bytes a character
    assert found == {
        ("bin/Crm.dll", "v1-crm-endpoint", None, 65),
        ("bin/Crm.dll", "v1-authtoken-assignment", None, secret_in_url),
        ("data.bin", "v1-authtoken-assignment", None, 3 + len("ZOHO_AUTHTOKEN=")),
    }


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs a C compiler")
def test_native_shared_library(tmp_path: Path) -> None:
    src = tmp_path / "crm.c"
    src.write_text(f'const char *zoho_url = "{V1_URL}";\n', encoding="utf-8")
    lib = tmp_path / "tree" / "libcrm.so"
    lib.parent.mkdir()
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(src)], check=True)
    assert "libcrm.so" in located(scan(lib.parent))


def test_media_is_recognised_by_content_and_skipped(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + ENV
    root = write_tree(tmp_path, {"logo.dat": png, "clip.mp4": b"\x00\x00\x00\x18ftypmp42" + ENV})
    result = scan(root)
    assert result.findings == []
    assert result.stats.files_skipped == {"media": 2}


def test_binary_findings_in_json_and_every_format(tmp_path: Path) -> None:
    write_tree(tmp_path, {"data.bin": b"\x00\x01\x02" + ENV, "app.env": ENV})
    run = audit("scan", str(tmp_path), "-f", "json")
    jsonschema.validate(run.doc, SCHEMA)
    by_path = {f["path"]: f for f in run.doc["findings"]}
    assert (by_path["data.bin"]["line"], by_path["data.bin"]["offset"]) == (None, 18)
    assert (by_path["app.env"]["line"], by_path["app.env"]["offset"]) == (1, None)
    assert [(loc["line"], loc["offset"]) for loc in run.doc["secrets"][0]["locations"]] == [
        (1, None),
        (None, 18),
    ]
    text = audit("scan", str(tmp_path), "-f", "text").stdout
    assert "data.bin@18" in text and "app.env:1" in text
    for fmt in ("md", "html"):
        assert "data.bin@18" in unwrapped(audit("scan", str(tmp_path), "-f", fmt).stdout)
    linked = audit(
        "scan", str(tmp_path), "-f", "html", "--repo-url", "https://x.test/{path}#L{line}"
    )
    assert "https://x.test/app.env#L1" in linked.stdout
    assert "data.bin#L" not in linked.stdout  # no link to a line a binary does not have
    sarif = json.loads(audit("scan", str(tmp_path), "-f", "sarif").stdout)
    regions = sorted(
        json.dumps(r["locations"][0]["physicalLocation"]["region"], sort_keys=True)
        for r in sarif["runs"][0]["results"]
    )
    assert '{"byteOffset": 18}' in regions
    jsonschema.Draft202012Validator(SARIF_SCHEMA).validate(sarif)
