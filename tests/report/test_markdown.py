"""The Markdown report: golden file, intact tables, nothing from scanned files escapes its cell."""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt

from tests.report.conftest import GOLDEN_OPTIONS, XSS_PATH, check_golden
from tests.report.docs import document, finding, location, secret
from zoho_v1_audit.report import RenderOptions
from zoho_v1_audit.report.jinja import md_cell, md_code, md_escape, render_markdown
from zoho_v1_audit.report.json import Document

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _tables(text: str) -> list[list[str]]:
    """Each GFM table as its lines."""
    tables: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def _html(text: str) -> str:
    """Rendered as a CommonMark renderer that lets raw HTML through would render it."""
    html: str = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    return html


def test_golden(golden_doc: Document) -> None:
    check_golden("report.md", render_markdown(golden_doc, GOLDEN_OPTIONS))


def test_every_table_row_has_its_header_cells(golden_doc: Document, example_doc: Document) -> None:
    for doc in (golden_doc, example_doc):
        text = render_markdown(doc, GOLDEN_OPTIONS)
        tables = _tables(text)
        assert len(tables) >= 8
        for table in tables:
            width = len(_UNESCAPED_PIPE.findall(table[0]))
            assert re.fullmatch(r"\|( -{3,}:? \|)+", table[1]), table[1]
            for row in table:
                assert len(_UNESCAPED_PIPE.findall(row)) == width, row


def test_tables_are_separate_blocks(golden_doc: Document) -> None:
    text = render_markdown(golden_doc, GOLDEN_OPTIONS)
    lines = text.splitlines()
    for i, line in enumerate(lines[1:], 1):
        if line.startswith("|") and not lines[i - 1].startswith("|"):
            assert lines[i - 1] == "", f"table at line {i + 1} is glued to the text above"
    html = _html(text)
    assert html.count("<table>") == len(_tables(text))


def test_scanned_content_never_becomes_markup(golden_doc: Document) -> None:
    html = _html(render_markdown(golden_doc, GOLDEN_OPTIONS))
    for tag in ("<img", "<script", "<svg", "<i>", "<b>"):
        assert tag not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in html
    assert "&lt;script&gt;" not in html  # snippets stay out of the Markdown report


def test_owners_are_code_so_a_comment_pings_nobody(golden_doc: Document) -> None:
    html = _html(render_markdown(golden_doc, GOLDEN_OPTIONS))
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    assert "@acme" not in outside_code
    assert "<code>@acme/crm-integrations</code>" in html


def test_no_value_and_only_previews(golden_doc: Document) -> None:
    golden_doc["secrets"][0]["value"] = "c580aaaabbbbccccddddeeeeffff825c"  # as with --show-secrets
    text = render_markdown(golden_doc, GOLDEN_OPTIONS)
    assert "c580aaaabbbbccccddddeeeeffff825c" not in text
    assert "`c580…825c`" in text


def test_long_lists_are_summarised_with_counts() -> None:
    findings: list[dict[str, Any]] = []
    secrets: list[dict[str, Any]] = []
    for i in range(130):
        value = f"token-{i}"
        places = [
            location(f"svc/f{i}_{j}.py", j + 1, owners=["@org/big"])
            for j in range(12 if i == 0 else 1)
        ]
        secrets.append(
            secret(
                value,
                f"t{i:03d}…",
                places,
                status="live" if i < 3 else "invalid" if i < 10 else "not-checked",
            )
        )
        findings.extend(
            finding("v1-authtoken-assignment", p["path"], p["line"], category="v1-token", severity="critical",
                    secret=value, kind="authtoken", owners=["@org/big"])
            for p in places
        )  # fmt: skip
    text = render_markdown(document(findings, secrets), RenderOptions())
    assert "And 30 more secrets not listed here (0 live, 7 invalid, the rest unproven)" in text
    assert "| and 2 more places (all in the HTML and JSON reports) | |" in text
    assert "| | and 116 more findings (116 critical): see the HTML or JSON report | | |" in text
    assert text.count("#### ") == 100


def test_empty_result() -> None:
    text = render_markdown(document([], []), RenderOptions())
    assert "Nothing found: no Zoho CRM API v1 usage and no Zoho secrets" in text
    assert "No hard-coded secret was found." in text
    assert "No v1 call site was found." in text


def test_merged_result_names_repositories(golden_doc: Document) -> None:
    from zoho_v1_audit.report.merge import merge

    other = document([finding("v1-crm-endpoint", "app.py", 3, owners=["@org/x"])], [])
    text = render_markdown(
        merge([("billing-svc", golden_doc), ("crm-sync", other)]), RenderOptions()
    )
    assert "scanned 2 repositories on" in text
    assert "| `billing-svc` |" in text
    assert "`crm-sync`: `app.py:3`" in text


def test_filters() -> None:
    assert md_escape("a|b *c* <d> [e](f) `g`\nh") == r"a\|b \*c\* \<d\> \[e\](f) \`g\` h"
    assert md_code("a`b|c") == "``a`b\\|c``"
    assert md_code("`x`", cell=False) == "`` `x` ``"
    assert md_code("") == ""
    assert md_cell("use `a|b`\nnow") == "use `a\\|b` now"
    assert XSS_PATH in md_code(XSS_PATH)
