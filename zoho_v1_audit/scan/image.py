"""Container images: `docker save` tarballs and OCI image layouts (a tar or a directory).

The image config's ENV, LABEL and build history become one text to scan; every layer is read
as an archive, newest first, so that a file a later layer deleted (a whiteout) or replaced is
known when it is read: it is still in the image, and is reported with `in_final_image: false`.
Names taken from manifests are looked up in the layout, never joined to a path on disk
unchecked.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import tarfile

_MAX_JSON = 16 << 20
_DIGEST = re.compile(r"(sha256|sha512):([0-9a-f]{64}|[0-9a-f]{128})")
_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
_WHITEOUT = ".wh."
_OPAQUE = ".wh..wh..opq"


class ImageError(Exception):
    """A layout whose manifests cannot be followed; the message says why."""


class Layer(NamedTuple):
    """One layer: its digest (as reports show it) and its name in the layout."""

    digest: str
    name: str


@dataclass(frozen=True, slots=True)
class Image:
    """What an image holds: its config listing and its layers, oldest first."""

    config: bytes
    layers: tuple[Layer, ...]


Opener = Callable[[str], IO[bytes] | None]  # a name in the layout, or None when it is absent


def tar_opener(tf: tarfile.TarFile, max_members: int) -> Opener:
    """Names in an image tarball (a random-access tar on disk or in memory); a tar with more
    than `max_members` entries is not taken for an image (its index would not be small)."""
    names = {}
    for count, member in enumerate(tf, 1):
        if count > max_members:
            raise ImageError(f"more than {max_members} entries")
        if member.isfile():
            names[member.name.removeprefix("./")] = member

    def open_(name: str) -> IO[bytes] | None:
        member = names.get(name)
        return None if member is None else tf.extractfile(member)

    return open_


def dir_opener(root: Path) -> Opener:
    """Names in an OCI layout directory; a name that leads outside it (`..`, an absolute path,
    a symbolic link) is refused."""
    real_root = root.resolve()

    def open_(name: str) -> IO[bytes] | None:
        parts = PurePosixPath(name).parts
        if not parts or name.startswith("/") or ".." in parts:
            raise ImageError(f"manifest names a path outside the layout: {name!r}")
        path = root.joinpath(*parts)
        if not path.is_file():
            return None
        if not path.resolve().is_relative_to(real_root):
            raise ImageError(f"{name!r} links outside the layout")
        return open(path, "rb")

    return open_


def is_layout_dir(path: Path) -> bool:
    """Whether a directory is an OCI image layout."""
    return (path / "oci-layout").is_file() and (path / "index.json").is_file()


def _json(open_: Opener, name: str) -> Any:
    fh = open_(name)
    if fh is None:
        raise ImageError(f"{name} is missing")
    with fh:
        data = fh.read(_MAX_JSON + 1)
    if len(data) > _MAX_JSON:
        raise ImageError(f"{name} is larger than {_MAX_JSON} bytes")
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ImageError(f"{name} is not JSON: {exc}") from None


def _blob(digest: Any) -> str:
    match = _DIGEST.fullmatch(digest) if isinstance(digest, str) else None
    if match is None:
        raise ImageError(f"not a digest: {str(digest)[:80]!r}")
    return f"blobs/{match[1]}/{match[2]}"


def read_image(open_: Opener) -> Image | None:
    """The image a layout holds (`docker save` or OCI), or None when it holds none."""
    try:
        if (docker := open_("manifest.json")) is not None:
            docker.close()
            return _docker(open_)
        if (layout := open_("oci-layout")) is not None:
            layout.close()
            return _oci(open_)
    except (KeyError, IndexError, TypeError, AttributeError) as exc:
        raise ImageError(f"unexpected manifest shape ({type(exc).__name__})") from None
    return None


def _docker(open_: Opener) -> Image:
    manifest = _json(open_, "manifest.json")[0]
    config = _json(open_, str(manifest["Config"]))
    diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
    layers = []
    for i, name in enumerate(manifest["Layers"]):
        digest = diff_ids[i] if i < len(diff_ids) else str(name)
        layers.append(Layer(str(digest), str(name)))
    return Image(config_listing(config), tuple(layers))


def _oci(open_: Opener) -> Image:
    desc = _json(open_, "index.json")["manifests"][0]
    for _ in range(4):  # an index may point at an index (multi-platform images)
        manifest = _json(open_, _blob(desc["digest"]))
        if manifest.get("mediaType") not in (_OCI_INDEX, _DOCKER_LIST) and "layers" in manifest:
            break
        desc = manifest["manifests"][0]
    else:
        raise ImageError("image indexes nested too deeply")
    config = _json(open_, _blob(manifest["config"]["digest"]))
    layers = tuple(Layer(str(d["digest"]), _blob(d["digest"])) for d in manifest["layers"])
    return Image(config_listing(config), layers)


def config_listing(config: Any) -> bytes:
    """The config's ENV, LABEL and build history, one a line, as a Dockerfile would say them."""
    settings = config.get("config") or {}
    lines = [f"ENV {env}" for env in settings.get("Env") or []]
    lines += [f"LABEL {key}={value}" for key, value in (settings.get("Labels") or {}).items()]
    lines += [str(step.get("created_by", "")) for step in config.get("history") or []]
    return "\n".join(" ".join(line.splitlines()) for line in lines).encode("utf-8", "replace")


@dataclass(slots=True)
class Overlay:
    """Which paths the layers above the current one deleted or replaced."""

    files: set[str]
    dirs: set[str]

    def hidden(self, name: str) -> bool:
        """Whether a file at `name` in a lower layer is gone from the final image."""
        path = _normal(name)
        if path in self.files or path in self.dirs:
            return True
        parts = path.split("/")
        return any("/".join(parts[:i]) in self.dirs for i in range(1, len(parts)))

    def cover(self, names: Iterable[str]) -> None:
        """Add one layer's files and whiteouts, once that layer has been read."""
        for name in names:
            path = _normal(name)
            directory, _, base = path.rpartition("/")
            if base == _OPAQUE:
                self.dirs.add(directory)
            elif base.startswith(_WHITEOUT):
                gone = f"{directory}/{base[len(_WHITEOUT) :]}".lstrip("/")
                self.dirs.add(gone)
            else:
                self.files.add(path)


def is_whiteout(name: str) -> bool:
    """Whether a layer entry only marks a deletion."""
    return os.path.basename(_normal(name)).startswith(_WHITEOUT)


def _normal(name: str) -> str:
    return name.removeprefix("./").strip("/")
