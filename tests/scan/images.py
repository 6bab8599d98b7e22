"""Container images laid out as `docker save` and the OCI image layout spec describe them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.scan.artifacts import tar_bytes


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def config_json(layers: Sequence[bytes], env: Sequence[str], history: Sequence[str]) -> bytes:
    """An image config: ENV and LABEL settings, build history, and the layers' diff ids."""
    config: dict[str, Any] = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Env": list(env), "Labels": {"org.opencontainers.image.title": "crm"}},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer) for layer in layers]},
        "history": [{"created_by": step} for step in history],
    }
    return json.dumps(config).encode()


def layer(files: Mapping[str, bytes]) -> bytes:
    """A layer tar; a name `dir/.wh.x` deletes `dir/x` from the layers below."""
    return tar_bytes(files, "w")


def docker_save(layers: Sequence[bytes], config: bytes) -> bytes:
    """The classic `docker save` tarball: <id>/layer.tar, <config>.json, manifest.json."""
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    names = [f"{hashlib.sha256(data).hexdigest()}/layer.tar" for data in layers]
    manifest = [{"Config": config_name, "RepoTags": ["acme/crm:1.0"], "Layers": names}]
    files = {config_name: config, **dict(zip(names, layers, strict=True))}
    files["manifest.json"] = json.dumps(manifest).encode()
    files["repositories"] = b'{"acme/crm": {"1.0": "x"}}'
    return tar_bytes(files, "w")


def oci_layout(root: Path, layers: Sequence[bytes], config: bytes) -> Path:
    """An OCI image layout directory (gzip layers, an index pointing at the manifest)."""
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)

    def put(data: bytes) -> str:
        d = digest(data)
        (blobs / d.split(":")[1]).write_bytes(data)
        return d

    packed = [gzip.compress(data) for data in layers]
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config)},
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(p)}
            for p in packed
        ],
    }
    index = {"schemaVersion": 2, "manifests": [{"digest": put(json.dumps(manifest).encode())}]}
    (root / "index.json").write_text(json.dumps(index), encoding="utf-8")
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}', encoding="utf-8")
    return root


def tar_of_dir(root: Path) -> bytes:
    """A directory as an uncompressed tar, names relative to it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                tf.add(path, path.relative_to(root).as_posix())
    return buf.getvalue()
