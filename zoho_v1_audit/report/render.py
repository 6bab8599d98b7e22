"""Render a result document in any output format; each renderer is imported only when used."""

from __future__ import annotations

from typing import assert_never

from zoho_v1_audit.report import OutputFormat, RenderOptions
from zoho_v1_audit.report.json import Document, cleaned, render_json


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
