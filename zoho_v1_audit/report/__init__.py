"""Output formats and presentation options; `report.render` turns a result into one."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from zoho_v1_audit.errors import UsageError


class OutputFormat(StrEnum):
    """Every output the tool writes."""

    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "md"
    HTML = "html"

    @classmethod
    def for_path(cls, path: Path, given: OutputFormat | None = None) -> OutputFormat:
        """The format a file name asks for, by its extension; else `given` (from --format)."""
        suffix = path.suffix.lower().lstrip(".")
        fmt = _EXTENSIONS.get(suffix) or given
        if fmt is None:
            known = ", ".join(sorted("." + s for s in _EXTENSIONS))
            names = ", ".join(f.value for f in cls)
            raise UsageError(
                f"cannot tell the format of {path} from its extension (known: {known}); "
                f"rename it, or add --format FORMAT ({names}) to write it in that format"
            )
        return fmt


_EXTENSIONS = {
    "txt": OutputFormat.TEXT,
    "json": OutputFormat.JSON,
    "sarif": OutputFormat.SARIF,
    "md": OutputFormat.MARKDOWN,
    "markdown": OutputFormat.MARKDOWN,
    "html": OutputFormat.HTML,
    "htm": OutputFormat.HTML,
}


DEFAULT_TITLE = "Zoho CRM API v1 audit"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """Presentation choices shared by the renderers."""

    title: str = DEFAULT_TITLE
    repo_url: str | None = None
    template: Path | None = None
    color: bool = False  # writing to a terminal: colours, and indented JSON
    width: int | None = None
