"""What history findings mean today: is each one still in HEAD's tree, and when was a secret removed.

Secret values reach git only on stdin (`git grep -F -f -`) and are matched in this process
(`git log -p` read back): never on a command line, where `ps` would show them.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import ahocorasick_rs

from zoho_v1_audit.models import Finding, Origin, ScanWarning, Secret
from zoho_v1_audit.scan.gitrepo import has_head, run_git
from zoho_v1_audit.scan.gitsource import HISTORY_OPTIONS, stream_git
from zoho_v1_audit.scan.patches import COMMIT_MARK, parse_origin

_MIN_FRAGMENT = 12  # shorter snippet pieces are too common to say a line is still there


def secret_forms(value: str) -> tuple[str, ...]:
    """The ways a secret is written in files: as is, and base64-encoded (Kubernetes Secrets)."""
    return (value, base64.b64encode(value.encode("utf-8")).decode("ascii"))


def snippet_needle(snippet: str) -> str | None:
    """The longest verbatim piece of a snippet (redaction and cut-offs are marked with …)."""
    piece = max(snippet.split("…"), key=len).strip()
    return piece if len(piece) >= _MIN_FRAGMENT else None


def present_in_head(cwd: Path, needles: Collection[str]) -> set[str]:
    """The needles that occur in a text file of HEAD's tree (under `cwd`)."""
    values = sorted({n for n in needles if n and "\n" not in n})
    if not values or not has_head(cwd):
        return set()
    proc = run_git(
        cwd,
        "grep",
        "-F",
        "-I",
        "-h",
        "--no-color",
        "-f",
        "-",
        "HEAD",
        "--",
        stdin="\n".join(values).encode("utf-8"),
        ok=(0, 1),
    )
    if proc.returncode == 1:
        return set()
    automaton = ahocorasick_rs.BytesAhoCorasick([v.encode("utf-8") for v in values])
    found = automaton.find_matches_as_indexes(proc.stdout, overlapping=True)
    return {values[index] for index, _, _ in found}


def find_removals(
    cwd: Path, needles: Mapping[str, Sequence[str]], warnings: list[ScanWarning]
) -> dict[str, Origin]:
    """For each key, the newest commit reachable from HEAD that deleted a line holding a needle.

    Reads `git log -p` once, newest first, and stops as soon as every key is placed.
    """
    owners: list[str] = []
    patterns: list[bytes] = []
    for key, forms in needles.items():
        for form in forms:
            owners.append(key)
            patterns.append(form.encode("utf-8"))
    if not patterns or not has_head(cwd):
        return {}
    automaton = ahocorasick_rs.BytesAhoCorasick(patterns)
    removed: dict[str, Origin] = {}
    origin, width = Origin(), 1
    lines = stream_git(cwd, [*HISTORY_OPTIONS, "--end-of-options", "HEAD"], warnings)
    with contextlib.closing(lines):
        for line in lines:
            head = line[:1]
            if head == b"-" or (width > 1 and head == b" " and b"-" in line[:width]):
                for index, _, _ in automaton.find_matches_as_indexes(line, overlapping=True):
                    removed.setdefault(owners[index], origin)
                if len(removed) == len(needles):
                    break
            elif head == b"@":
                width = len(line) - len(line.lstrip(b"@")) - 1
            elif head == COMMIT_MARK:
                origin = parse_origin(line)
    return removed


def _needles(finding: Finding) -> tuple[str, ...]:
    if finding.secret is not None:
        return secret_forms(finding.secret)
    needle = snippet_needle(finding.snippet)
    return (needle,) if needle else ()


def mark_head_state(
    cwd: Path, findings: list[Finding], secrets: list[Secret], warnings: list[ScanWarning]
) -> list[Finding]:
    """History findings with `in_head` set; secrets gone from HEAD get the commit that removed them.

    A finding is in HEAD when its secret (or, without one, its line) is still in HEAD's tree.
    A finding whose line cannot be searched for keeps `in_head` true: it is never hidden.
    """
    present = present_in_head(cwd, {n for f in findings for n in _needles(f)})

    def in_head(finding: Finding) -> bool:
        needles = _needles(finding)
        return not needles or any(n in present for n in needles)

    marked = [
        f
        if in_head(f) == f.location.in_head
        else dataclasses.replace(f, location=dataclasses.replace(f.location, in_head=in_head(f)))
        for f in findings
    ]
    gone = {
        s.sha256: secret_forms(s.value)
        for s in secrets
        if not any(n in present for n in secret_forms(s.value))
    }
    removals = find_removals(cwd, gone, warnings) if gone else {}
    for secret in secrets:
        if secret.sha256 in gone:
            secret.locations = [dataclasses.replace(loc, in_head=False) for loc in secret.locations]
            secret.removed = removals.get(secret.sha256)
    return marked
