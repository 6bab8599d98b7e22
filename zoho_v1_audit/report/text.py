"""Terminal output: findings grouped by severity, the secrets to revoke, and a summary line."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table
from rich.text import Text

from zoho_v1_audit.models import Severity
from zoho_v1_audit.report import RenderOptions, schema
from zoho_v1_audit.report.guidance import rule_help
from zoho_v1_audit.report.json import Document, evidence_label, rules_by_id
from zoho_v1_audit.report.summary import nothing_scanned, removed_lines, spot, summary_line

_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _where(item: schema.Finding | schema.Location) -> str:
    """Where a finding is: `path:line` (or `path@offset`), its commit and image layer."""
    where = spot(item["path"], item["line"], item.get("offset"))
    if commit := item.get("commit"):
        where += f" @{commit[:10]}"
    if layer := item.get("layer"):
        gone = ", deleted in a later layer" if item.get("in_final_image") is False else ""
        where += f" [layer {layer[:19]}{gone}]"
    return where


def _findings_table(doc: Document) -> Table:
    table = Table(title="Findings", title_justify="left", expand=False, show_lines=False)
    for name in ("severity", "rule", "location", "snippet"):
        table.add_column(name, overflow="fold")
    for severity in Severity:
        group = [f for f in doc["findings"] if f["severity"] == severity]
        for f in group:
            notes = [] if f["placement"] == "code" else [f["placement"]]
            if f["confidence"] != "high":
                notes.append(f"{f['confidence']} confidence")
            if evidence := evidence_label(f.get("evidence")):
                notes.append(evidence)
            rule = f["rule_id"] + (f" ({', '.join(notes)})" if notes else "")
            table.add_row(
                Text(severity, style=_STYLE[severity]),
                Text(rule),
                Text(_where(f)),
                Text(f["snippet"]),
            )
        if group:
            table.add_section()
    return table


def _secrets_table(doc: Document) -> Table:
    verified = bool(doc["scan"]["verification"].get("enabled"))
    table = Table(title="Secrets to revoke and replace", title_justify="left")
    columns = ["secret", "kind", "status", "places", "first place"] + (["why"] if verified else [])
    for name in columns:
        table.add_column(name, overflow="fold")
    for s in doc["secrets"]:
        v = s["verification"]
        row = [
            s["preview"],
            s["kind"],
            v["status"],
            str(len(s["locations"])),
            _where(s["locations"][0]),
        ]
        table.add_row(*map(Text, row), *([Text(v["reason"])] if verified else []))
    return table


def _fixes(doc: Document) -> list[str]:
    """How to fix each rule's findings, from the rules the result was produced with, in the
    order of the findings table."""
    rules = rules_by_id(doc)
    first: dict[str, schema.Finding] = {}
    for severity in Severity:
        for f in doc["findings"]:
            if f["severity"] == severity:
                first.setdefault(f["rule_id"], f)
    return [
        f"{rule_id}: {rule_help(rules, rule_id, f['title'] or rule_id, f['category']).remediation}"
        for rule_id, f in first.items()
    ]


def render_text(doc: Document, options: RenderOptions) -> str:
    """Human-readable report; ANSI colours only when `options.color`.

    Every cell is a `Text`, never markup: a path such as `[link=https://x]a[/link]` stays text.
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=options.color,
        no_color=not options.color,
        width=options.width or 120,
        highlight=False,
    )
    if doc["findings"]:
        console.print(_findings_table(doc))
        console.print(Text("How to fix", style="bold"))
        for line in _fixes(doc):
            console.print(Text(line), soft_wrap=True)
    if doc["secrets"]:
        console.print(_secrets_table(doc))
    for line in removed_lines(doc):
        console.print(Text(line, style="red"), soft_wrap=True)
    for w in doc["warnings"]:
        console.print(Text(f"warning: {w['path']}: {w['message']}", style="yellow"), soft_wrap=True)
    if empty := nothing_scanned(doc):
        console.print(Text(f"warning: {empty}", style="yellow"), soft_wrap=True)
    console.print(Text(summary_line(doc), style="bold"), soft_wrap=True)
    return buffer.getvalue()
