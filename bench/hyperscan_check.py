"""Does the installed Hyperscan library find every match Python's `re` finds?

Runs the known misses of the library that the `hyperscan` wheels bundle, then random small
patterns on random text, in block and streaming mode, and prints how many matches each mode
missed. Run it when a new wheel comes out: the Hyperscan engine can only become the default
once this prints no miss.

    python bench/hyperscan_check.py                  # 3,000 random patterns
    python bench/hyperscan_check.py --patterns 20000 --seed 2
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable
from importlib import metadata

import hyperscan

from zoho_v1_audit import app
from zoho_v1_audit.scan.hsmatch import translate

Scan = Callable[[bytes], bool]

# (pattern, text): Python finds a match in each; the bundled Vectorscan 5.4.12 in block mode none.
KNOWN = [
    (rb"x[a-c]*a", rb"/dd c/   / x b%sd%sd/ aa xx/  %sx/acxx/axx a%sdd cb/aac/a%sxab xc/bc d/%sx"),
    (rb"(?:a|c[a-z]*d)(?:a|c[a-z]*d)", b" " * 20 + b"aa"),
]
_ALPHABET = [b" ", b"a", b"b", b"c", b"d", b"x", b"/", b"%s"]
_ATOMS = ["a", "b", "c", "x", "/", "%s", "[a-c]", "[a-z]"]


def compiled(expression: bytes, mode: int) -> Scan:
    """A one-pattern database in `mode`, as a function telling whether a text matches."""
    db = hyperscan.Database(mode=mode)
    db.compile(expressions=[expression], ids=[0], flags=[0])
    scratch = hyperscan.Scratch(db)

    def scan(data: bytes) -> bool:
        ends: list[int] = []

        def on_match(_id: int, _start: int, end: int, _flags: int, _ctx: object) -> None:
            ends.append(end)

        if mode == hyperscan.HS_MODE_STREAM:
            with db.stream(match_event_handler=on_match) as stream:
                stream.scan(data, scratch=scratch)
        else:
            db.scan(data, match_event_handler=on_match, scratch=scratch)
        return bool(ends)

    return scan


def random_pattern(rnd: random.Random, depth: int = 0) -> str:
    """A small pattern of literals, classes, alternations and repeats."""
    parts = []
    for _ in range(rnd.randint(1, 3)):
        roll = rnd.random()
        if depth > 2 or roll < 0.4:
            parts.append(rnd.choice(_ATOMS))
        elif roll < 0.7:
            branches = [random_pattern(rnd, depth + 1) for _ in range(rnd.randint(2, 3))]
            parts.append("(?:" + "|".join(branches) + ")")
        else:
            repeat = rnd.choice(["*", "+", "?", "{0,5}", "{1,3}", "{2}"])
            parts.append(f"(?:{random_pattern(rnd, depth + 1)}){repeat}")
    return "".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--patterns", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    modes = {"block": hyperscan.HS_MODE_BLOCK, "stream": hyperscan.HS_MODE_STREAM}
    print(f"hyperscan binding {metadata.version('hyperscan')}")

    known = [*KNOWN]
    for rule in app.load_ruleset(()).rules:
        if rule.id == "v1-url-template-assembled":
            text = b"q = 'scope=crmapi'; url = '%s/%s/%s/%s' % (BASE, fmt, module, method)"
            known.append((translate(rule.regex).encode(), text))
    for expression, text in known:
        assert re.search(expression, text), expression
        found = {name: compiled(expression, mode)(text) for name, mode in modes.items()}
        print(f"known shape {expression[:40]!r}: " + ", ".join(
            f"{name} {'finds it' if hit else 'MISSES it'}" for name, hit in found.items()
        ))  # fmt: skip

    rnd = random.Random(args.seed)
    tried, missed = 0, dict.fromkeys(modes, 0)
    for _ in range(args.patterns):
        expression = random_pattern(rnd).encode()
        try:
            scans = {name: compiled(expression, mode) for name, mode in modes.items()}
        except hyperscan.error:  # a pattern the library refuses is no miss
            continue
        python = re.compile(expression)
        for _ in range(20):
            text = b"".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(0, 120)))
            if python.search(text) is None:
                continue
            tried += 1
            for name, scan in scans.items():
                missed[name] += not scan(text)
    print(f"random patterns: {tried} texts where Python finds a match; missed by "
          + ", ".join(f"{name} mode: {count}" for name, count in missed.items()))  # fmt: skip


if __name__ == "__main__":
    main()
