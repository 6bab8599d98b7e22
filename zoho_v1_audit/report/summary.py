"""Plain sentences about a result, for the terminal report and the line after every scan.

Kept apart from the terminal renderer so that a scan writing only files does not load rich.
"""

from __future__ import annotations

from collections import Counter

from zoho_v1_audit.report.json import Document

SEVERITIES = ("critical", "high", "medium", "low", "info")


def spot(path: str, line: int | None, offset: int | None) -> str:
    """`path:line`, or for a binary file `path@offset` (the byte offset of the string)."""
    return f"{path}:{line}" if line is not None else f"{path}@{offset}"


def removed_lines(doc: Document) -> list[str]:
    """One line for each secret deleted from the code that history still holds."""
    return [
        f"{s['preview']} ({s['kind']}): removed from the code on {gone['date'][:10]} in "
        f"{gone['commit'][:10]}, still in history: revoke it"
        for s in doc["secrets"]
        if (gone := s.get("removed"))
    ]


def summary_line(doc: Document) -> str:
    """One line: counts by severity, distinct secrets, what was scanned."""
    counts = Counter(f["severity"] for f in doc["findings"])
    parts = [f"{counts[s]} {s}" for s in SEVERITIES if counts[s]]
    st = doc["stats"]
    skipped = sum(st["files_skipped"].values())
    return (
        f"{len(doc['findings'])} findings ({', '.join(parts) or 'none'}), "
        f"{len(doc['secrets'])} distinct secrets; scanned {st['files_scanned']} files "
        f"({st['bytes_scanned'] / 1e6:.1f} MB), skipped {skipped}, in {doc['scan']['duration_s']:.2f} s"
    )
