"""The HTML report: self-contained, escaped, complete; user templates; the autoescape trap."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.helpers import unwrapped
from tests.report.conftest import GOLDEN_OPTIONS, XSS_PATH
from tests.report.docs import document
from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report import RenderOptions
from zoho_v1_audit.report.jinja import environment, render_html, render_markdown
from zoho_v1_audit.report.json import Document


class _Page(HTMLParser):
    """Every start tag with its attributes, and the text of script and style blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag if tag in self.blocks else None

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.blocks[self._in].append(data)

    def named(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for t, attrs in self.tags if t == tag]


def _page(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def _hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_self_contained_and_locked_down(golden_doc: Document) -> None:
    page = _page(render_html(golden_doc, GOLDEN_OPTIONS))
    assert [
        t for t, _ in page.tags if t in ("link", "img", "iframe", "object", "embed", "base", "form")
    ] == []
    assert len(page.named("script")) == 1 and "src" not in page.named("script")[0]
    for tag, attrs in page.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "src" not in attrs and "style" not in attrs, (tag, attrs)
        if tag == "a":
            href = attrs["href"] or ""
            assert href.startswith(("#", "https://github.com/acme/app/blob/")), href
    (csp,) = [
        a["content"] or ""
        for a in page.named("meta")
        if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp.startswith("default-src 'none';")
    assert f"script-src {_hash(''.join(page.blocks['script']))};" in csp
    assert f"style-src {_hash(''.join(page.blocks['style']))};" in csp


def test_scanned_content_is_text(golden_doc: Document) -> None:
    html = render_html(golden_doc, GOLDEN_OPTIONS)
    page = _page(html)
    assert {"i", "b"} & {t for t, _ in page.tags} == set()
    assert [a.get("id") for a in page.named("svg")] == ["team-chart"]  # only the report's chart
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # the snippet
    assert "@acme/&lt;i&gt;web&lt;/i&gt;" in html  # an owner
    assert "timed out after 10 s &lt;b&gt;twice&lt;/b&gt;" in html  # a verification reason
    assert "assets/&lt;svg onload=alert(1)&gt;.bin" in html  # a warning
    assert "%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.py#L1" in html  # the link to it
    assert XSS_PATH not in html


def test_every_part_is_there(golden_doc: Document) -> None:
    html = render_html(golden_doc, GOLDEN_OPTIONS)
    page = _page(html)
    html = unwrapped(html)
    ids = {attrs.get("id") for _, attrs in page.tags}
    assert {
        "summary",
        "rotate",
        "migration",
        "teams",
        "findings",
        "warnings",
        "findings-table",
    } <= ids
    rows = [a for a in page.named("tr") if "data-severity" in a]
    assert len(rows) == len(golden_doc["findings"])
    assert {a["data-status"] for a in rows} == {
        "live", "live-rate-limited", "invalid", "user-disabled", "unsupported", "unknown", "not-checked", "none",
    }  # fmt: skip
    for label in (
        "Live: revoke now",
        "Unproven: revoke anyway",
        "User disabled",
        "Invalid: remove from the code",
    ):
        assert label in html
    assert html.index("c580…825c</code> v1 authtoken") < html.index("2437…4174</code> v1 authtoken")
    assert html.index("2437…4174</code> v1 authtoken") < html.index("81b2…91d4</code> v1 authtoken")
    assert "GET /crm/v2/Deals" in html and "ZohoCRM.modules.deals.READ" in html
    assert "Zoho currently documents CRM API v8" in html
    assert "Settings, Active Authtokens" in html
    assert "Change this Zoho account&#39;s password now" in html
    options = {a.get("value") for t, a in page.tags if t == "option"}
    assert {"@acme/crm-integrations", "@acme/<i>web</i>", "(unowned)"} <= options


def test_never_a_secret_value(golden_doc: Document) -> None:
    golden_doc["secrets"][0]["value"] = "c580aaaabbbbccccddddeeeeffff825c"
    assert "c580aaaabbbbccccddddeeeeffff825c" not in render_html(golden_doc, GOLDEN_OPTIONS)


def test_empty_result_renders() -> None:
    html = render_html(document([], []), RenderOptions())
    assert "Nothing found" in html and "No hard-coded secret was found." in html


def test_the_autoescape_trap_is_closed() -> None:
    env = environment()
    assert env.autoescape("report.html.j2") is True  # type: ignore[operator]
    assert env.autoescape("_macros.html.j2") is True  # type: ignore[operator]
    assert env.autoescape("report.md.j2") is False  # type: ignore[operator]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("javascript:alert(1)//{path}", "must start with https:// or http://"),
        ("https://example.com/{branch}/{path}", "unknown field {branch}"),
    ],
)
def test_bad_repo_url(golden_doc: Document, url: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        render_html(golden_doc, RenderOptions(repo_url=url))


def test_user_template_is_escaped_and_can_use_ours(golden_doc: Document, tmp_path: Path) -> None:
    template = tmp_path / "mine.html.j2"
    template.write_text(
        '{% import "_macros.html.j2" as m %}<h1>{{ report.title }}</h1>'
        "{% for f in report.findings %}<p>{{ m.where(f.place) }} {{ f.snippet }}</p>{% endfor %}"
        "<p>{{ doc.findings | length }}</p>"
    )
    html = unwrapped(render_html(golden_doc, RenderOptions(title="<T>", template=template)))
    assert html.startswith("<h1>&lt;T&gt;</h1>")
    assert "&lt;img src=x onerror=alert(1)&gt;.py" in html and XSS_PATH not in html
    assert f"<p>{len(golden_doc['findings'])}</p>" in html


def test_user_markdown_template_is_not_html_escaped(golden_doc: Document, tmp_path: Path) -> None:
    template = tmp_path / "mine.md.j2"
    template.write_text(
        "# {{ report.title }}\n{% for s in report.secrets %}- {{ s.preview | md_code }}\n{% endfor %}"
    )
    text = render_markdown(golden_doc, RenderOptions(title="A & B", template=template))
    assert text.startswith("# A & B\n- `c580…825c`\n")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{% for x in %}", r"mine\.html\.j2:1: "),
        ("{{ report.no_such_thing }}", "no_such_thing"),
        ('{% include "missing.j2" %}', "missing.j2"),
    ],
)
def test_broken_user_template_is_a_usage_error(
    golden_doc: Document, tmp_path: Path, source: str, message: str
) -> None:
    template = tmp_path / "mine.html.j2"
    template.write_text(source)
    with pytest.raises(UsageError, match=message):
        render_html(golden_doc, RenderOptions(template=template))


def test_missing_user_template(golden_doc: Document, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        render_html(golden_doc, RenderOptions(template=tmp_path / "nope.j2"))
