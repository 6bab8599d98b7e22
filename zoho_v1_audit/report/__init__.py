"""Output formats: choose one by name or file extension, render a result document to text."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report.json import Document, cleaned, render_json


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


def render(doc: Document, fmt: OutputFormat, options: RenderOptions) -> str:
    """Render a result document; renderers are imported only when used.

    Every format renders the document as `redact.clean` leaves it: whatever a scanned file, a
    saved result or a server put in it, no secret shape and no control character gets through.
    """
    doc = cleaned(doc)
    if fmt is OutputFormat.JSON:
        return render_json(doc, pretty=options.color)
    if fmt is OutputFormat.TEXT:
        from zoho_v1_audit.report.text import render_text

        return render_text(doc, options)
    if fmt is OutputFormat.SARIF:
        from zoho_v1_audit.report.sarif import render_sarif

        return render_sarif(doc, options)
    if fmt is OutputFormat.MARKDOWN:
        from zoho_v1_audit.report.jinja import render_markdown

        return render_markdown(doc, options)
    if fmt is OutputFormat.HTML:
        from zoho_v1_audit.report.jinja import render_html

        return render_html(doc, options)
    assert_never(fmt)
