"""The HTML report in a real headless Chromium: loads from file:// with no error and no fetch,
runs none of the markup planted in scanned names, and its filters and sorting work."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import GOLDEN_OPTIONS, ROOT
from zoho_v1_audit.report.jinja import render_html
from zoho_v1_audit.report.json import Document

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("ZOHO_V1_AUDIT_ARTIFACTS") or ROOT / "test-artifacts")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright's Python package is not installed"
)
if not CHROMIUM.exists():  # pragma: no cover - depends on the machine
    pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)", allow_module_level=True)


class Page:
    """A loaded report plus everything the browser complained about or fetched."""

    def __init__(self, page: Any, url: str) -> None:
        self.page = page
        self.problems: list[str] = []
        self.requests: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(r.url))
        page.goto(url)
        page.wait_for_load_state("load")

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"{message.type}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()

    def visible_rows(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = self.page.eval_on_selector_all(
            "#findings-table tbody tr",
            "rows => rows.filter(r => !r.hidden).map(r => ({severity: r.dataset.severity,"
            " status: r.dataset.status, teams: r.dataset.teams, text: r.textContent}))",
        )
        return rows

    def count(self) -> str:
        return str(self.page.text_content("#findings-count")).strip()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=FLAGS,
            ignore_default_args=["--hide-scrollbars"],  # draw scrollbars, as a desktop browser does
            viewport={"width": 1366, "height": 900},
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def report(browser: Any, golden_doc: Document, tmp_path: Path) -> Iterator[Page]:
    path = tmp_path / "report.html"
    path.write_text(render_html(golden_doc, GOLDEN_OPTIONS), encoding="utf-8")
    page = Page(browser.new_page(), path.as_uri())
    yield page
    page.page.close()


def test_loads_cleanly_offline_and_runs_nothing_planted(report: Page, golden_doc: Document) -> None:
    assert report.problems == []
    assert report.requests == [report.page.url]
    assert report.count() == f"Showing all {len(golden_doc['findings'])} findings"
    planted = "img, svg:not(#team-chart), i, b"
    assert report.page.eval_on_selector_all(planted, "nodes => nodes.length") == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report.page.screenshot(path=str(ARTIFACTS / "report-browser.png"), full_page=True)


def test_filters(report: Page, golden_doc: Document) -> None:
    findings = golden_doc["findings"]
    report.page.select_option("#filter-severity", "critical")
    rows = report.visible_rows()
    assert len(rows) == sum(f["severity"] == "critical" for f in findings) == 9
    assert {r["severity"] for r in rows} == {"critical"}
    report.page.select_option("#filter-status", "invalid")
    assert [r["status"] for r in report.visible_rows()] == ["invalid"]
    assert report.count() == f"Showing 1 of {len(findings)} findings"
    report.page.click("#filter-reset")
    assert len(report.visible_rows()) == len(findings)
    report.page.select_option("#filter-team", "@acme/web")
    rows = report.visible_rows()
    assert len(rows) == sum("@acme/web" in f["owners"] for f in findings) == 4
    assert all("@acme/web" in r["teams"].split("\n") for r in rows)
    report.page.select_option("#filter-team", "(unowned)")
    assert len(report.visible_rows()) == sum(not f["owners"] for f in findings) == 2
    report.page.click("#filter-reset")
    report.page.fill("#filter-text", "WEBHOOK")
    rows = report.visible_rows()
    assert len(rows) == 2 and all("webhook" in r["text"] for r in rows)
    assert report.problems == []


def test_team_button_filters_the_table(report: Page) -> None:
    report.page.click("#teams details:has(code:text-is('@acme/billing')) summary")
    report.page.click("button.show-team[data-team='@acme/billing']")
    assert report.page.input_value("#filter-team") == "@acme/billing"
    assert len(report.visible_rows()) == 2


# Every character of a path or API name with the line it is on; a line may only end after a
# separator. Elements not laid out (in a closed <details>) have no rects and are skipped.
_MID_WORD_BREAKS = """selector => {
  const bad = [];
  const range = document.createRange();
  for (const el of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    let prev = null, prevTop = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rects = range.getClientRects();
        if (!rects.length) { continue; }
        const top = rects[0].top;
        if (prevTop !== null && top > prevTop + 4 && !"/._- ".includes(prev)) {
          bad.push(el.textContent.trim() + " broken before " + JSON.stringify(node.data[i]));
        }
        prev = node.data[i];
        prevTop = top;
      }
    }
  }
  return bad;
}"""


@pytest.fixture(params=["golden", "example"])
def any_report(
    request: pytest.FixtureRequest, browser: Any, golden_doc: Any, example_doc: Any, tmp_path: Path
) -> Iterator[tuple[str, Page]]:
    doc = golden_doc if request.param == "golden" else example_doc
    path = tmp_path / "report.html"
    path.write_text(render_html(doc, GOLDEN_OPTIONS), encoding="utf-8")
    page = Page(browser.new_page(), path.as_uri())
    yield request.param, page
    page.page.close()


@pytest.mark.parametrize("width", [1366, 1024, 800])
def test_the_page_never_scrolls_sideways(any_report: tuple[str, Page], width: int) -> None:
    name, report = any_report
    report.page.set_viewport_size({"width": width, "height": 900})
    assert report.page.evaluate("document.documentElement.scrollWidth") <= width
    assert report.page.evaluate("innerWidth") == width
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report.page.screenshot(path=str(ARTIFACTS / f"report-{name}-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1366, 800])
def test_paths_and_api_names_break_only_after_separators(
    any_report: tuple[str, Page], width: int
) -> None:
    _, report = any_report
    report.page.set_viewport_size({"width": width, "height": 900})
    report.page.eval_on_selector_all("details", "ds => ds.forEach(d => { d.open = true; })")
    laid_out = report.page.eval_on_selector_all(
        "code.path, code.name, code.team",
        "els => els.filter(e => e.getClientRects().length).length",
    )
    assert laid_out > 40  # the plan, the places of every secret, the table and the team lists
    assert report.page.evaluate(_MID_WORD_BREAKS, "code.path, code.name") == []
    teams_on_one_line = report.page.eval_on_selector_all(
        "code.team", "els => els.filter(e => e.getClientRects().length > 1).length"
    )
    assert teams_on_one_line == 0
    wrapped = report.page.eval_on_selector_all(
        "code.path", "els => els.filter(e => e.getClientRects().length > 1).length"
    )
    if width == 800:
        assert wrapped > 0  # the check saw real line breaks, each after a separator


def test_the_findings_table_scrolls_in_its_box_with_a_visible_scrollbar(report: Page) -> None:
    report.page.set_viewport_size({"width": 800, "height": 900})
    box = report.page.eval_on_selector(
        "#findings .wide",
        """b => ({scroll: b.scrollWidth, client: b.clientWidth, tall: b.scrollHeight,
                 high: b.clientHeight, bar: b.offsetHeight - b.clientHeight - 2,
                 right: b.getBoundingClientRect().right})""",
    )
    assert box["scroll"] > box["client"]  # wider than the window: it scrolls sideways...
    assert box["right"] <= 800  # ...inside the page
    assert box["tall"] > box["high"]  # and downwards, inside its box
    assert box["bar"] >= 8  # a scrollbar that takes room is drawn, not an overlay


def test_sorting(report: Page) -> None:
    def where() -> list[str]:
        cells: list[str] = report.page.eval_on_selector_all(
            "#findings-table tbody tr td.where", "cells => cells.map(c => c.dataset.sort)"
        )
        return cells

    report.page.click("#findings-table th:nth-child(2) button")
    assert where() == sorted(where(), key=str.lower)
    assert report.page.get_attribute("#findings-table th:nth-child(2)", "aria-sort") == "ascending"
    report.page.click("#findings-table th:nth-child(2) button")
    assert where() == sorted(where(), key=str.lower, reverse=True)
    report.page.click("#findings-table th:nth-child(1) button")
    severities = [r["severity"] for r in report.visible_rows()]
    order = ["critical", "high", "medium", "low", "info"]
    assert severities == sorted(severities, key=order.index)
    report.page.select_option("#filter-severity", "medium")  # filters still apply after sorting
    assert {r["severity"] for r in report.visible_rows()} == {"medium"}


def test_print_layout_hides_the_controls(report: Page) -> None:
    report.page.emulate_media(media="print")
    display = report.page.eval_on_selector(".controls", "el => getComputedStyle(el).display")
    assert display == "none"


def test_the_trend_chart_draws_offline_and_in_print(
    browser: Any, golden_doc: Document, tmp_path: Path
) -> None:
    planted = "<img src=x onerror=alert(1)>"
    team = {"team": planted, "v1_lines": 3, "secrets": 1, "live": 1}
    runs = [
        {"run": 1, "started": "2026-11-27T06:00:00+00:00", "repos": 4, "failed": 1,
         "v1_lines": 9, "secrets": 3, "live": 2, "fixed": None, "new": None, "teams": [team]},
        {"run": 2, "started": "2026-12-04T06:00:00+00:00", "repos": 4, "failed": 0,
         "v1_lines": 4, "secrets": 2, "live": 1, "fixed": 6, "new": 1, "teams": [team]},
    ]  # fmt: skip
    path = tmp_path / "trend.html"
    path.write_text(render_html({**golden_doc, "runs": runs}, GOLDEN_OPTIONS), encoding="utf-8")
    page = Page(browser.new_page(), path.as_uri())
    try:
        assert page.problems == []  # a CSP violation would be a console error
        assert page.requests == [page.page.url]
        assert page.page.eval_on_selector_all("#trend svg polyline", "n => n.length") == 3
        assert page.page.eval_on_selector_all("img", "n => n.length") == 0
        page.page.emulate_media(media="print")
        box = page.page.eval_on_selector(
            "#trend svg",
            "el => { const r = el.getBoundingClientRect(); return [r.width, r.height]; }",
        )
        assert box[0] > 300 and box[1] > 100
    finally:
        page.page.close()
