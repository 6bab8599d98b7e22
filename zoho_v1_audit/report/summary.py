"""Plain sentences about a result, for the terminal report and the line after every scan.

Kept apart from the terminal renderer so that a scan writing only files does not load rich.
"""

from __future__ import annotations

from collections import Counter

from zoho_v1_audit.models import Severity
from zoho_v1_audit.report.json import Document


def spot(path: str, line: int | None, offset: int | None) -> str:
    """`path:line`, or for a binary file `path@offset` (the byte offset of the string)."""
    return f"{path}:{line}" if line is not None else f"{path}@{offset}"


def removed_lines(doc: Document) -> list[str]:
    """One line for each secret deleted from the code that history still holds."""
    return [
        f"{s['preview']} ({s['kind']}): removed from the code on {(gone['date'] or '?')[:10]} "
        f"in {(gone['commit'] or '?')[:10]}, still in history: revoke it"
        for s in doc["secrets"]
        if (gone := s.get("removed"))
    ]


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`1 file`, `2 files`."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def hidden_counts(doc: Document) -> str:
    """`2 baselined, 1 inline-ignored`: findings found but not reported, and why ("" for none)."""
    st = doc["stats"]
    counts = (
        (st.get("findings_baselined", 0), "baselined"),
        (st.get("findings_allowlisted", 0), "allowlisted"),
        (st.get("findings_ignored_inline", 0), "inline-ignored"),
    )
    return ", ".join(f"{n} {why}" for n, why in counts if n)


def nothing_scanned(doc: Document) -> str | None:
    """A warning when a tree scan read no file at all, with the reasons files were skipped."""
    st = doc["stats"]
    if st["files_scanned"] or doc["scan"].get("mode", "tree") != "tree":
        return None
    skipped = st["files_skipped"]
    why = ", ".join(f"{n} {reason}" for reason, n in sorted(skipped.items()))
    return (
        f"nothing was scanned: no readable file under {', '.join(doc['scan']['roots'])}"
        + (f" (skipped: {why})" if why else " (it holds no files)")
        + "; check the path"
    )


def unreachable(doc: Document) -> str | None:
    """A warning when `--verify` sent requests and no data centre answered any of them."""
    v = doc["scan"]["verification"]
    if not v.get("enabled") or not v.get("requests") or v.get("answered", 1):
        return None
    return (
        f"--verify reached no Zoho data centre: none of the {plural(v['requests'], 'request')} "
        "got an answer, so no token's state is known; check the network (or --api-base) and "
        "run again, and revoke every token meanwhile"
    )


def summary_line(doc: Document) -> str:
    """One line: counts by severity, distinct secrets, what was scanned, what was not shown."""
    counts = Counter(f["severity"] for f in doc["findings"])
    parts = [f"{counts[s]} {s}" for s in Severity if counts[s]]
    st = doc["stats"]
    skipped = sum(st["files_skipped"].values())
    hidden = hidden_counts(doc)
    return (
        f"{plural(len(doc['findings']), 'finding')} ({', '.join(parts) or 'none'}), "
        f"{plural(len(doc['secrets']), 'distinct secret')}; "
        f"scanned {plural(st['files_scanned'], 'file')} "
        f"({st['bytes_scanned'] / 1e6:.1f} MB), skipped {skipped}, in {doc['scan']['duration_s']:.2f} s"
        + (f"; not shown: {hidden}" if hidden else "")
    )
