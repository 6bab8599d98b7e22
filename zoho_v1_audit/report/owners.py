"""Code owners from a CODEOWNERS file, matched as GitHub does: the last matching line wins.

CODEOWNERS patterns look like gitignore patterns but differ: `docs/*` owns `docs/a.md` and
not `docs/sub/b.md`; negation (`!`), character ranges (`[ ]`) and escaping a leading `#` do not
work, so GitHub reports such lines as errors and skips them. A matching line without owners
leaves the file unowned.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.files import read_limited
from zoho_v1_audit.report.json import Document

# Where GitHub looks, in its order; the first file found is the only one used.
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")

_TOKEN = re.compile(r"(?:\\.|[^\s\\])+")
_OWNER = re.compile(r"@[\w.-]+(?:/[\w.-]+)?|[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class Rule:
    """One valid CODEOWNERS line."""

    pattern: str
    owners: tuple[str, ...]
    regex: re.Pattern[str]


def _segment(segment: str, last: bool) -> str:
    """Regex for one path segment that is not `**`."""
    if segment == "*":
        return r"[^/]+"  # a lone `*` matches one name, never what lies below it
    out, chars = [], iter(segment)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "*":
            out.append(r"[^/]*")
        elif ch == "?":
            out.append(r"[^/]")
        else:
            out.append(re.escape(ch))
    return "".join(out) + (r"(?:/.*)?" if last else "")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A regex matching the repository-relative file paths that a pattern owns."""
    segments = pattern.split("/")
    if segments[0] == "":
        segments = segments[1:]  # a leading slash anchors to the root
    elif len(segments) == 1 or (len(segments) == 2 and segments[1] == ""):
        segments = ["**", *segments]  # one name (maybe with a trailing slash) matches at any depth
    if len(segments) > 1 and segments[-1] == "":
        segments[-1] = "**"  # a trailing slash owns everything below the directory
    parts: list[str] = []
    last = len(segments) - 1
    need_slash = False
    for i, segment in enumerate(segments):
        if segment == "**":
            if i == 0:
                parts.append(".+" if i == last else "(?:.+/)?")
                need_slash = False
            elif i == last:
                parts.append("/.*")
            else:
                parts.append("(?:/.+)?")
                need_slash = True
            continue
        if need_slash:
            parts.append("/")
        parts.append(_segment(segment, i == last))
        need_slash = True
    return re.compile("".join(parts))


def _parse_line(raw: str) -> Rule | None:
    """A rule, or None for blank lines, comments and lines GitHub rejects."""
    tokens = []
    for match in _TOKEN.finditer(raw):
        if match.group().startswith("#"):
            break  # a comment, whole-line or after whitespace
        tokens.append(match.group())
    if not tokens:
        return None
    pattern, owners = tokens[0], tuple(tokens[1:])
    invalid = (
        pattern.startswith(("!", "\\#"))
        or "[" in pattern
        or "]" in pattern
        or "***" in pattern
        or pattern == "/"
        or not all(_OWNER.fullmatch(owner) for owner in owners)
    )
    return None if invalid else Rule(pattern, owners, compile_pattern(pattern))


class CodeOwners:
    """A parsed CODEOWNERS file."""

    def __init__(self, text: str) -> None:
        self.rules = [rule for line in text.splitlines() if (rule := _parse_line(line))]
        self._cache: dict[str, list[str]] = {}

    def owners_of(self, path: str) -> list[str]:
        """The owners of a repository-relative path; [] when no line (or an owner-less line) matches."""
        found = self._cache.get(path)
        if found is None:
            found = next(
                (list(rule.owners) for rule in reversed(self.rules) if rule.regex.fullmatch(path)),
                [],
            )
            self._cache[path] = found
        return list(found)


def find_codeowners(root: Path) -> Path | None:
    """The CODEOWNERS file GitHub would use for a repository root (whatever it is: a link to a
    device or to a file outside the root is refused when read, not passed over)."""
    for place in CODEOWNERS_PLACES:
        candidate = root / place
        if os.path.lexists(candidate):
            return candidate
    return None


def read_codeowners(path: Path, inside: Path | None = None) -> CodeOwners:
    """Parse a CODEOWNERS file (a small regular file, under `inside` when given); else a usage
    error."""
    raw = read_limited(path, "CODEOWNERS file", inside=inside, error=UsageError)
    return CodeOwners(raw.decode("utf-8", errors="replace"))


def annotate_owners(doc: Document, root: Path, owners_file: Path | None) -> None:
    """Fill `owners` on findings and secret locations, from `owners_file` or one found in root
    (which must stay inside the scanned root)."""
    if owners_file is not None:
        owners = read_codeowners(owners_file)
    elif (found := find_codeowners(root)) is not None:
        owners = read_codeowners(found, inside=root)
    else:
        return
    for finding in doc["findings"]:
        finding["owners"] = owners.owners_of(finding["path"])
    for secret in doc["secrets"]:
        for location in secret["locations"]:
            location["owners"] = owners.owners_of(location["path"])
