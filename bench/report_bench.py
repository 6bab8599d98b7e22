"""Report benchmark: render time and size of every format for a large result document.

The document mimics an organisation-wide audit: a tenth of the findings are hard-coded tokens
(distinct secrets in several places each, every verification status), the rest v1 calls and
parameters spread over many files and teams. Prints one line per format (best of N runs).

    python bench/report_bench.py --findings 10000 --runs 3
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.report.docs import document, finding, location, secret, v1
from zoho_v1_audit.report import OutputFormat, RenderOptions
from zoho_v1_audit.report.json import Document
from zoho_v1_audit.report.render import render

STATUSES = (
    "live",
    "live-rate-limited",
    "invalid",
    "user-disabled",
    "unsupported",
    "unknown",
    "not-checked",
)
METHODS = (
    "getRecords",
    "insertRecords",
    "updateRecords",
    "searchRecords",
    "getRecordById",
    "deleteRecords",
)
MODULES = ("Leads", "Contacts", "Potentials", "Accounts", None)


def build(count: int, teams: int = 25) -> Document:
    """A document with `count` findings."""
    findings: list[dict[str, Any]] = []
    places: dict[str, list[dict[str, Any]]] = {}
    for i in range(count):
        team = [f"@acme/team-{i % teams:02d}"]
        path = f"services/svc{i % 400:03d}/module{i % 37}/file{i % 1000:04d}.py"
        line = 10 + i % 500
        if i % 10 == 0:  # a token, each in about 4 places
            value = f"token-{i // 40}"
            places.setdefault(value, []).append(location(path, line, owners=team))
            findings.append(
                finding("v1-authtoken-assignment", path, line, category="v1-token", severity="critical",
                        secret=value, kind="authtoken", snippet="token = 'c580…825c'", owners=team)
            )  # fmt: skip
        elif i % 3 == 0:
            findings.append(
                finding(
                    "v1-crmapi-scope",
                    path,
                    line,
                    severity="medium",
                    snippet="params['scope'] = 'crmapi'",
                    owners=team,
                )
            )
        else:
            method, module = METHODS[i % len(METHODS)], MODULES[i % len(MODULES)]
            url = f"https://crm.zoho.com/crm/private/json/{module or 'Leads'}/{method}?authtoken=' + token"
            findings.append(
                finding(
                    "v1-crm-endpoint",
                    path,
                    line,
                    snippet=f"url = '{url}",
                    v1=v1(method, module),
                    owners=team,
                )
            )
    secrets = [
        secret(value, f"{n:04x}…{n:04x}", locs, status=STATUSES[n % len(STATUSES)], reason="benchmark",
               checked_at="2026-01-05T10:00:00+00:00")
        for n, (value, locs) in enumerate(places.items())
    ]  # fmt: skip
    return document(findings, secrets, verification=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    doc = build(args.findings)
    options = RenderOptions(repo_url="https://github.com/acme/app/blob/{commit}/{path}#L{line}")
    render(doc, OutputFormat.MARKDOWN, options)  # load templates and rules once, as a run does
    print(f"{len(doc['findings'])} findings, {len(doc['secrets'])} distinct secrets")
    for fmt in (OutputFormat.HTML, OutputFormat.MARKDOWN, OutputFormat.SARIF, OutputFormat.JSON):
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            text = render(doc, fmt, options)
            times.append(time.perf_counter() - started)
        data = text.encode("utf-8")
        print(
            f"{fmt.value:>5}: {min(times):6.2f} s  {len(data) / 1e6:7.2f} MB"
            f"  ({len(gzip.compress(data)) / 1e6:5.2f} MB gzipped)"
        )


if __name__ == "__main__":
    main()
