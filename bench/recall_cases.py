"""Score the scanner on labelled, hand-written cases: recall per kind and false flags.

The cases are small realistic files (client classes, wrappers, configs, fixtures, wiki pages);
a sidecar labels.yaml lists, per file, the lines that must be reported (kind v1, token,
password, oauth) and the look-alike lines that must not be (must-not).

    python bench/recall_cases.py [CASES_DIR [LABELS_FILE]]
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from zoho_v1_audit import app
from zoho_v1_audit.options import ScanOptions

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "data" / "recall" / "cases"
LABELS = ROOT / "tests" / "data" / "recall" / "labels.yaml"
MUST_NOT = "must-not"


@dataclass
class Score:
    """Labelled lines found per kind, and the look-alike lines that were reported."""

    labelled: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    missed: list[tuple[str, str, int]] = field(default_factory=list)
    near_misses: int = 0
    false_flags: list[tuple[str, int]] = field(default_factory=list)

    def recall(self, kind: str) -> float:
        """Share of the kind's labelled lines that were reported."""
        return self.found[kind] / self.labelled[kind] if self.labelled[kind] else 1.0


def reported_lines(cases: Path) -> set[tuple[str, int | None]]:
    """(path relative to the cases, line) of every finding of a scan with the bundled rules."""
    result = app.scan_tree(ScanOptions(paths=(cases,)), app.load_ruleset())
    lines = set()
    for f in result.findings:
        path = Path(f.location.path)
        rel = path.relative_to(cases) if path.is_absolute() else path
        lines.add((rel.as_posix(), f.location.line))
    return lines


def score(cases: Path, labels: dict[str, dict[str, list[int]]]) -> Score:
    """Compare a scan of the cases with their labels."""
    reported = reported_lines(cases)
    s = Score()
    for path, kinds in sorted(labels.items()):
        for kind, lines in sorted(kinds.items()):
            for line in lines:
                hit = (path, line) in reported
                if kind == MUST_NOT:
                    s.near_misses += 1
                    if hit:
                        s.false_flags.append((path, line))
                    continue
                s.labelled[kind] += 1
                if hit:
                    s.found[kind] += 1
                else:
                    s.missed.append((kind, path, line))
    return s


def main() -> int:
    cases = Path(sys.argv[1]) if len(sys.argv) > 1 else CASES
    labels_file = Path(sys.argv[2]) if len(sys.argv) > 2 else LABELS
    labels = yaml.safe_load(labels_file.read_text(encoding="utf-8"))
    s = score(cases.resolve(), labels)
    for kind in sorted(s.labelled):
        print(f"{kind:<10} recall {s.recall(kind):.3f} ({s.found[kind]}/{s.labelled[kind]})")
    print(f"near-miss lines: {s.near_misses}, false flags: {len(s.false_flags)}")
    for kind, path, line in s.missed:
        print(f"missed {kind}: {path}:{line}")
    for path, line in s.false_flags:
        print(f"false flag: {path}:{line}")
    return 1 if s.missed or s.false_flags else 0


if __name__ == "__main__":
    sys.exit(main())
