"""Where the bundled rules and templates live, installed or in a checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from zoho_v1_audit.errors import AuditError


class ResourceMissingError(AuditError):
    """The installation lacks its bundled data."""


def data_dir(kind: Literal["rules", "templates"]) -> Path:
    """The bundled `rules/` or `templates/` directory.

    An installed wheel carries them under `zoho_v1_audit/_data/`; a source checkout
    (or an editable install) keeps them at the repository root.
    """
    packaged = Path(str(files("zoho_v1_audit"))) / "_data" / kind
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent / kind
    if checkout.is_dir():
        return checkout
    raise ResourceMissingError(f"bundled {kind} not found; the installation looks broken")
