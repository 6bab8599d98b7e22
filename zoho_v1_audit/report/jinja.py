"""HTML and Markdown reports rendered by Jinja from `templates/`, or from the user's own template.

Templates get `report` (a `view.Report`: what to rotate, the migration plan, teams), `doc` (the
raw result document) and `assets` (the HTML report's inline script and style with their CSP
hashes). Autoescaping covers `*.html.j2` (the default `select_autoescape()` would miss it).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)
from markupsafe import Markup, escape

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.models import Severity
from zoho_v1_audit.report import RenderOptions
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.summary import plural
from zoho_v1_audit.report.trend_chart import trend_chart
from zoho_v1_audit.report.view import build_report
from zoho_v1_audit.report.viewmodels import FindingView
from zoho_v1_audit.resources import data_dir

_ESCAPED = ("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$@])")
_BACKTICKS = re.compile(r"`+")


def md_escape(value: object) -> str:
    """Plain text safe anywhere in Markdown, table cells included: one line, punctuation escaped."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def md_code(value: object, cell: bool = True) -> str:
    """Text as an inline code span that no content can break out of (pipes escaped in cells)."""
    text = " ".join(str(value).splitlines())
    if not text:
        return ""
    if cell:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(m) for m in _BACKTICKS.findall(text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_cell(value: object) -> str:
    """The tool's own Markdown text (with code spans) made safe for a table cell."""
    return " ".join(str(value).split()).replace("|", "\\|")


def ticks(value: object) -> Markup:
    """The tool's own text with `code` spans, as escaped HTML with <code> elements."""
    parts = str(value).split("`")
    return Markup("").join(
        Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )


_BREAK_AFTER = re.compile(r"(?<=[/._\- ])(?=.)")


def breakable(value: object) -> Markup:
    """Escaped text that wraps only after `/`, `.`, `_`, `-` or a space (paths, API names).

    Each piece is a `<span>` kept on one line by the stylesheet, with a `<wbr>` between pieces:
    the browser's own rules would also break after `?` or `(`, or inside a word.
    """
    return _breakable(str(value))


@functools.lru_cache(maxsize=4096)  # a report names the same paths many times
def _breakable(text: str) -> Markup:
    pieces = (f"<span>{escape(piece)}</span>" for piece in _BREAK_AFTER.split(text) if piece)
    return Markup("<wbr>".join(pieces))  # noqa: S704 (every piece is escaped)


def human_size(n: int) -> str:
    """Bytes for people: 29.9 kB, 1.2 MB."""
    units = ("B", "kB", "MB", "GB")
    size, i = float(n), 0
    while size >= 1000 and i < len(units) - 1:
        size, i = size / 1000, i + 1
    return f"{n} B" if i == 0 else f"{size:.1f} {units[i]}"


def severity_counts(findings: Iterable[FindingView]) -> str:
    """`3 critical, 1 high`: findings counted by severity, most urgent first."""
    counts = Counter(f.severity for f in findings)
    return ", ".join(f"{counts[s]} {s}" for s in Severity if counts[s])


@functools.cache
def environment() -> Environment:
    """The one Jinja environment, loading the bundled templates."""
    env = Environment(
        loader=FileSystemLoader(os.fspath(data_dir("templates"))),
        undefined=StrictUndefined,
        autoescape=select_autoescape(
            enabled_extensions=_ESCAPED, default_for_string=True, default=False
        ),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        md_escape=md_escape,
        md_code=md_code,
        md_cell=md_cell,
        ticks=ticks,
        breakable=breakable,
        size=human_size,
        plural=plural,
        severity_counts=severity_counts,
        trend_chart=trend_chart,
    )
    return env


@dataclass(frozen=True, slots=True)
class Assets:
    """The HTML report's inline script and style, and the CSP hashes that allow exactly them."""

    script: Markup
    style: Markup

    @staticmethod
    def _hash(text: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"

    @property
    def csp(self) -> str:
        """A Content-Security-Policy that allows no fetch at all and only these two blocks."""
        return (
            f"default-src 'none'; script-src {self._hash(self.script)}; "
            f"style-src {self._hash(self.style)}; img-src data:; base-uri 'none'; form-action 'none'"
        )


@functools.cache
def assets() -> Assets:
    """Read the inline assets once."""
    folder = data_dir("templates")
    return Assets(
        script=Markup((folder / "_report.js").read_text(encoding="utf-8")),  # noqa: S704 (our own file)
        style=Markup((folder / "_report.css").read_text(encoding="utf-8")),  # noqa: S704 (our own file)
    )


def _user_template(path: Path) -> Template:
    """The user's template; it may include or extend the bundled ones."""
    if not path.is_file():
        raise UsageError(f"--template: no such file: {path}")
    base = environment()
    env = base.overlay(
        loader=ChoiceLoader([FileSystemLoader(os.fspath(path.parent)), base.loader])  # type: ignore[list-item]
    )
    try:
        return env.get_template(path.name)
    except TemplateSyntaxError as exc:
        raise UsageError(f"--template {path}:{exc.lineno}: {exc.message}") from None
    except TemplateNotFound as exc:
        raise UsageError(f"--template {path}: template not found: {exc.name}") from None


def _render(doc: Document, options: RenderOptions, name: str) -> str:
    report = build_report(doc, options.title, options.repo_url)
    if options.template is None:
        return environment().get_template(name).render(doc=doc, report=report, assets=assets())
    template = _user_template(options.template)
    try:
        return template.render(doc=doc, report=report, assets=assets())
    except TemplateError as exc:
        raise UsageError(f"--template {options.template}: {exc}") from None


def render_html(doc: Document, options: RenderOptions) -> str:
    """The self-contained HTML report."""
    return _render(doc, options, "report.html.j2")


def render_markdown(doc: Document, options: RenderOptions) -> str:
    """The Markdown report (GitHub and GitLab flavours)."""
    return _render(doc, options, "report.md.j2")
