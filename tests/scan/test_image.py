"""Container images: every layer and the config, whiteouts included, without a Docker daemon."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.git.cli import audit
from tests.helpers import ALNUM_TOKEN, REFRESH, TOKEN, TOKEN_EU, scan, write_tree
from tests.scan.artifacts import zip_bytes
from tests.scan.images import config_json, digest, docker_save, layer, oci_layout, tar_of_dir

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "result.schema.json").read_text())
BASE = layer(
    {
        "app/config.env": f"ZOHO_AUTHTOKEN={TOKEN}\n".encode(),
        "app/keep/old.env": f"ZOHO_AUTHTOKEN={ALNUM_TOKEN}\n".encode(),
        "etc/settings.env": f"ZOHO_AUTHTOKEN={TOKEN_EU}\n".encode(),
        "usr/lib/crm.jar": zip_bytes({"crm.properties": f"zoho.authtoken={TOKEN_EU}\n".encode()}),
    }
)
TOP = layer(
    {
        "app/.wh.config.env": b"",  # deletes app/config.env
        "app/keep/.wh..wh..opq": b"",  # hides everything below app/keep
        "etc/settings.env": b"# the token moved to the vault\n",  # replaces the file
    }
)
CONFIG = config_json(
    [BASE, TOP],
    env=["PATH=/usr/bin", f"ZOHO_AUTHTOKEN={TOKEN}"],
    history=[f"ARG ZOHO_REFRESH_TOKEN={REFRESH}", "RUN /bin/sh -c ./install.sh"],
)


def where(doc: dict[str, object]) -> set[tuple[str, int | None, str | None, bool | None]]:
    return {
        (f["path"], f["line"], f["layer"], f["in_final_image"])
        for f in doc["findings"]  # type: ignore[attr-defined]
    }


def test_docker_save_tarball(tmp_path: Path) -> None:
    write_tree(tmp_path, {"crm.tar": docker_save([BASE, TOP], CONFIG)})
    run = audit("scan", str(tmp_path), "-f", "json")
    jsonschema.validate(run.doc, SCHEMA)
    found = where(run.doc)
    assert ("crm.tar!/config", 2, None, None) in found  # ENV ZOHO_AUTHTOKEN=...
    assert ("crm.tar!/config", 4, None, None) in found  # ARG, after the ENV and LABEL lines
    assert ("crm.tar!/app/config.env", 1, digest(BASE), False) in found  # whited out
    assert ("crm.tar!/app/keep/old.env", 1, digest(BASE), False) in found  # opaque directory
    assert ("crm.tar!/etc/settings.env", 1, digest(BASE), False) in found  # replaced
    assert ("crm.tar!/usr/lib/crm.jar!/crm.properties", 1, digest(BASE), True) in found
    assert not any(".wh." in path for path, *_ in found)
    text = audit("scan", str(tmp_path)).stdout
    assert "deletedinalaterlayer" in "".join(c for c in text if c.isalnum())


@pytest.mark.parametrize("as_tar", [False, True])
def test_oci_layout_directory_and_tarball(tmp_path: Path, as_tar: bool) -> None:
    layout = oci_layout(tmp_path / "crm-oci", [BASE, TOP], CONFIG)
    target = layout
    if as_tar:
        target = tmp_path / "crm-oci.tar"
        target.write_bytes(tar_of_dir(layout))
    found = {(f.location.path, f.location.in_final_image) for f in scan(target).findings}
    name = target.name
    assert (f"{name}!/app/config.env", False) in found
    assert (f"{name}!/usr/lib/crm.jar!/crm.properties", True) in found
    assert (f"{name}!/config", None) in found


def test_manifest_names_cannot_leave_the_layout(tmp_path: Path) -> None:
    write_tree(tmp_path, {"outside.json": CONFIG.decode()})
    layout = oci_layout(tmp_path / "evil", [BASE], CONFIG)
    (layout / "manifest.json").write_text(
        json.dumps([{"Config": "../outside.json", "Layers": ["../../etc/passwd"]}]),
        encoding="utf-8",
    )
    result = scan(layout)
    assert result.findings == []
    [warning] = result.warnings
    assert (
        warning.message
        == "cannot read image: manifest names a path outside the layout: '../outside.json'"
    )
    (layout / "manifest.json").unlink()
    index = json.loads((layout / "index.json").read_text())
    index["manifests"][0]["digest"] = "sha256:../../../outside.json"
    (layout / "index.json").write_text(json.dumps(index), encoding="utf-8")
    [warning] = scan(layout).warnings
    assert warning.message.startswith("cannot read image: not a digest")


def test_blobs_linked_outside_the_layout_are_refused(tmp_path: Path) -> None:
    layout = oci_layout(tmp_path / "crm-oci", [BASE], CONFIG)
    (layout / "blobs").rename(tmp_path / "elsewhere")
    (layout / "blobs").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    result = scan(layout)
    assert result.findings == []
    [warning] = result.warnings
    assert (
        warning.message.startswith("cannot read image: ")
        and "links outside the layout" in warning.message
    )
    (layout / "blobs").unlink()  # now only a layer is a link to a file outside
    (tmp_path / "elsewhere").rename(layout / "blobs")
    index = json.loads((layout / "index.json").read_text())
    sha = layout / "blobs" / "sha256"
    manifest = json.loads((sha / index["manifests"][0]["digest"][7:]).read_text())
    blob = sha / manifest["layers"][0]["digest"][7:]
    blob.rename(tmp_path / "layer.tar.gz")
    blob.symlink_to(tmp_path / "layer.tar.gz")
    result = scan(layout)
    assert {f.location.path for f in result.findings} == {"crm-oci!/config"}
    [warning] = result.warnings
    assert warning.message.startswith("layer not read: ")


def test_a_plain_tar_is_still_an_archive(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "backup.tar": layer(
                {"manifest.txt": b"x", "app.env": f"ZOHO_AUTHTOKEN={TOKEN}\n".encode()}
            )
        },
    )
    [finding] = scan(tmp_path).findings
    assert (finding.location.path, finding.location.layer) == ("backup.tar!/app.env", None)
