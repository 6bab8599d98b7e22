"""Code owners from a CODEOWNERS file, matched the way GitHub does (the last matching line wins)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pathspec

from zoho_v1_audit.errors import UsageError
from zoho_v1_audit.report.json import Document

# Where GitHub looks, in its order.
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True, slots=True)
class _Line:
    spec: pathspec.GitIgnoreSpec
    owners: tuple[str, ...]


class CodeOwners:
    """A parsed CODEOWNERS file."""

    def __init__(self, text: str) -> None:
        self.lines: list[_Line] = []
        for raw in text.splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            pattern, *owners = line.split()
            if pattern.startswith("!"):
                continue  # GitHub does not support negation
            self.lines.append(_Line(pathspec.GitIgnoreSpec.from_lines([pattern]), tuple(owners)))

    def owners_of(self, path: str) -> list[str]:
        """The owners of a path relative to the repository root; [] when none."""
        for line in reversed(self.lines):
            if line.spec.match_file(path):
                return list(line.owners)
        return []


def find_codeowners(root: Path) -> Path | None:
    """The CODEOWNERS file GitHub would use for a repository root."""
    for place in CODEOWNERS_PLACES:
        candidate = root / place
        if candidate.is_file():
            return candidate
    return None


def annotate_owners(doc: Document, root: Path, owners_file: Path | None) -> None:
    """Fill `owners` on findings and secret locations, from `owners_file` or one found in root."""
    path = owners_file or find_codeowners(root)
    if path is None:
        return
    try:
        owners = CodeOwners(path.read_text(encoding="utf-8", errors="replace"))
    except OSError as exc:
        raise UsageError(f"cannot read CODEOWNERS file {path}: {exc.strerror}") from None
    for finding in doc["findings"]:
        finding["owners"] = owners.owners_of(finding["path"])
    for secret in doc["secrets"]:
        for location in secret["locations"]:
            location["owners"] = owners.owners_of(location["path"])
