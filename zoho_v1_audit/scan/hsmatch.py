"""The compiled engine: Hyperscan finds, in one pass, the lines where each rule may match.

Each rule's Python pattern is translated from its parse tree into a Hyperscan expression that
matches at least everything the Python pattern matches (character classes spelled out byte by
byte, look-around dropped, a back-reference replaced by its group's pattern). Hyperscan reports
where matches end; the detector then runs the exact Python search on those lines only, so the
findings are the fallback engine's by construction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]
from typing import Any

from zoho_v1_audit.errors import reason
from zoho_v1_audit.ruleset import RuleSet

try:
    import hyperscan
except ImportError:  # a platform without wheels: the Python engine runs every rule
    hyperscan = None  # type: ignore[assignment]

MAX_ENDS = 4096  # match ends in one text beyond which its search goes to the Python engine
_REPEAT_LIMIT = 1000  # wider bounded repeats are left unbounded (Hyperscan refuses huge ones)
_ALL = frozenset(range(256))
_DIGIT = frozenset(range(0x30, 0x3A))
_SPACE = frozenset(b" \t\n\r\f\v")
_WORD = _DIGIT | frozenset(range(0x41, 0x5B)) | frozenset(range(0x61, 0x7B)) | {0x5F}
_CATEGORIES = {
    "CATEGORY_DIGIT": _DIGIT,
    "CATEGORY_NOT_DIGIT": _ALL - _DIGIT,
    "CATEGORY_SPACE": _SPACE,
    "CATEGORY_NOT_SPACE": _ALL - _SPACE,
    "CATEGORY_WORD": _WORD,
    "CATEGORY_NOT_WORD": _ALL - _WORD,
}
_ANCHORS = {
    "AT_BEGINNING": "^",
    "AT_BEGINNING_STRING": "^",
    "AT_END": "$",
    "AT_END_STRING": "$",
    "AT_BOUNDARY": r"\b",
    "AT_NON_BOUNDARY": r"\B",
}


class Untranslatable(Exception):
    """A pattern construct the compiled engine does not take; the message says which."""


def _lookup(table: dict[str, Any], key: Any) -> Any:
    if str(key) not in table:
        raise Untranslatable(str(key).lower().replace("_", " "))
    return table[str(key)]


def available() -> bool:
    """Whether the Hyperscan binding can be imported here."""
    return hyperscan is not None


def _fold(byte: int) -> set[int]:
    return (
        {byte, ord(chr(byte).swapcase())} if chr(byte).isascii() and chr(byte).isalpha() else {byte}
    )


def _charset(items: list[tuple[Any, Any]], fold: bool) -> frozenset[int]:
    """The bytes a class `[...]` matches, as Python's bytes patterns define them."""
    chosen: set[int] = set()
    negate = False
    for op, arg in items:
        name = str(op)
        if name == "NEGATE":
            negate = True
        elif name == "LITERAL":
            chosen.add(arg)
        elif name == "RANGE":
            chosen.update(range(arg[0], arg[1] + 1))
        elif name == "CATEGORY":
            chosen |= _lookup(_CATEGORIES, arg)
        else:
            raise Untranslatable(f"class item {name.lower()}")
    if fold:
        chosen = {b for byte in chosen for b in _fold(byte)}
    return _ALL - chosen if negate else frozenset(chosen)


def _class(chars: frozenset[int]) -> str:
    """A byte set as a Hyperscan class of explicit ranges."""
    if not chars:
        raise Untranslatable("a class that matches nothing")
    parts, ordered = [], sorted(chars)
    start = prev = ordered[0]
    for byte in [*ordered[1:], -1]:
        if byte == prev + 1:
            prev = byte
            continue
        parts.append(f"\\x{start:02x}" if start == prev else f"\\x{start:02x}-\\x{prev:02x}")
        start = prev = byte
    return "[" + "".join(parts) + "]"


class _Translator:
    """Writes a Python parse tree as a Hyperscan expression matching a superset of it."""

    def __init__(self, flags: int) -> None:
        if flags & re.LOCALE:
            raise Untranslatable("the locale flag")
        self.groups: dict[int, tuple[Any, int]] = {}  # group -> its tree and flags
        self.flags = flags

    def tree(self, tree: Any, flags: int) -> str:
        return "".join(self.node(op, arg, flags) for op, arg in tree)

    def node(self, op: Any, arg: Any, flags: int) -> str:
        name, fold = str(op), bool(flags & re.IGNORECASE)
        if name == "LITERAL":
            return _class(frozenset(_fold(arg) if fold else {arg}))
        if name == "NOT_LITERAL":
            return _class(_ALL - (_fold(arg) if fold else {arg}))
        if name == "IN":
            return _class(_charset(arg, fold))
        if name == "ANY":
            return _class(_ALL if flags & re.DOTALL else _ALL - {10})
        if name == "CATEGORY":
            return _class(_lookup(_CATEGORIES, arg))
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, sub = arg  # laziness and possessiveness only narrow the matches
            upper = "" if high == sre_constants.MAXREPEAT or high > _REPEAT_LIMIT else str(high)
            bounds = f"{{{low}}}" if upper == str(low) else f"{{{low},{upper}}}"
            return f"(?:{self.tree(sub, flags)}){bounds}"
        if name == "SUBPATTERN":
            group, add, remove, sub = arg
            if group is not None:
                self.groups[group] = (sub, (flags | add) & ~remove)
            return f"(?:{self.tree(sub, (flags | add) & ~remove)})"
        if name == "ATOMIC_GROUP":
            return f"(?:{self.tree(arg, flags)})"
        if name == "BRANCH":
            return "(?:" + "|".join(self.tree(b, flags) for b in arg[1]) + ")"
        if name == "AT":
            return str(_lookup(_ANCHORS, arg))
        if name in ("ASSERT", "ASSERT_NOT"):
            return ""  # look-around only narrows the matches
        if name == "GROUPREF":
            if arg not in self.groups:
                raise Untranslatable("a reference to a group not closed before it")
            sub, own = self.groups[arg]  # what the group matched, so its pattern matches it too
            return f"(?:{self.tree(sub, own | (flags & re.IGNORECASE))})"
        raise Untranslatable(
            "conditional groups" if name == "GROUPREF_EXISTS" else name.lower().replace("_", " ")
        )


def _head(tree: Any) -> Any:
    """The pattern without what it may leave out at its end, and a trailing repeat at its least.

    Every match then begins with a match of the head, on the same line, so the lines where the
    head matches still hold every match, and Hyperscan reports one end per match, not dozens.
    """
    nodes = list(tree)
    while nodes and sre_parse.SubPattern(tree.state, nodes[-1:]).getwidth()[0] == 0:
        nodes.pop()
    if nodes:
        op, arg = nodes[-1]
        if str(op) in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            nodes[-1] = (op, (arg[0], arg[0], arg[2]))
        elif str(op) == "SUBPATTERN":
            nodes[-1] = (op, (*arg[:3], _head(arg[3])))
    return sre_parse.SubPattern(tree.state, nodes)


def translate(pattern: re.Pattern[bytes]) -> str:
    """A Hyperscan expression matching, on each line where the Python pattern matches, a part
    of that line (so Hyperscan may say "maybe" too often, never too rarely)."""
    tree = sre_parse.parse(pattern.pattern, pattern.flags)
    translator = _Translator(tree.state.flags)
    return translator.tree(_head(tree), tree.state.flags)


_FLAGS = 0 if hyperscan is None else hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_DOTALL
# Prefilter mode widens what Hyperscan cannot build exactly (a very large bounded repeat).
_WIDER = 0 if hyperscan is None else _FLAGS | hyperscan.HS_FLAG_PREFILTER


def _compile(expressions: dict[int, tuple[str, int]]) -> Any:
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[e.encode("ascii") for e, _ in expressions.values()],
        ids=list(expressions),
        flags=[flags for _, flags in expressions.values()],
    )
    return db


def _host() -> str:
    """The CPU features a database is built for (a cached one must not move to another CPU)."""
    with (
        contextlib.suppress(OSError),
        open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh,
    ):
        return next((line for line in fh if line.startswith("flags")), "")
    return ""


def _cache_path(expressions: dict[int, tuple[str, int]]) -> Path:
    key = repr((getattr(hyperscan, "__version__", ""), _host(), sorted(expressions.items())))
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = f"hyperscan-{hashlib.sha256(key.encode()).hexdigest()[:32]}.db"
    return Path(base, "zoho-v1-audit", name)


def _database(expressions: dict[int, tuple[str, int]]) -> Any:
    """The compiled database, kept in the user's cache directory: compiling takes a few tenths
    of a second, loading microseconds. A cache file that fails its checksum is rebuilt."""
    path = _cache_path(expressions)
    with contextlib.suppress(OSError, hyperscan.error):
        raw = path.read_bytes()
        if hashlib.sha256(raw[32:]).digest() == raw[:32]:
            return hyperscan.loadb(raw[32:], hyperscan.HS_MODE_BLOCK)
    db = _compile(expressions)
    payload = hyperscan.dumpb(db)
    with contextlib.suppress(OSError):
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".hyperscan-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return db


class HsMatcher:
    """A Hyperscan database of the rules it can take, and where each of them may match."""

    def __init__(self, rules: RuleSet) -> None:
        expressions: dict[int, tuple[str, int]] = {}
        self.reasons: dict[int, str] = {}  # rule index -> why the Python engine runs it
        for index, rule in enumerate(rules.rules):
            try:
                expressions[index] = (translate(rule.regex), _FLAGS)
            except (Untranslatable, RecursionError) as exc:
                self.reasons[index] = f"not supported by Hyperscan: {reason(exc)}"
        try:
            self.db = _database(expressions) if expressions else None
        except hyperscan.error:  # find the culprits one by one
            for index, (expression, _) in list(expressions.items()):
                for flags in (_FLAGS, _WIDER):
                    try:
                        _compile({index: (expression, flags)})
                    except hyperscan.error as exc:
                        self.reasons[index] = f"not supported by Hyperscan: {exc}"
                        continue
                    expressions[index] = (expression, flags)
                    self.reasons.pop(index, None)
                    break
                else:
                    del expressions[index]
            self.db = _database(expressions) if expressions else None
        self.scratch = hyperscan.Scratch(self.db) if self.db is not None else None
        missed = self._missed_examples(rules, expressions)
        if missed:  # the library misses some matches of some patterns: those run exactly
            for index in missed:
                self.reasons[index] = "Hyperscan missed one of the rule's own examples"
                del expressions[index]
            self.db = _database(expressions) if expressions else None
            self.scratch = hyperscan.Scratch(self.db) if self.db is not None else None

    def _missed_examples(self, rules: RuleSet, expressions: Mapping[int, object]) -> list[int]:
        """Rules whose regex matches one of their `match` examples where Hyperscan sees nothing."""
        missed = []
        for index in expressions:
            rule = rules.rules[index]
            for example in rule.examples_match:
                data = example.encode("utf-8")
                if rule.regex.search(data) is None:
                    continue
                if index not in {found for _, found in self.ends(data) or ()}:
                    missed.append(index)
                    break
        return missed

    def ends(self, data: bytes) -> list[tuple[int, int]] | None:
        """(end offset, rule) of every possible match; None past MAX_ENDS, where the Python
        engine takes over (a callback per match would cost more than its search)."""
        found: list[tuple[int, int]] = []
        if self.db is None:
            return found

        def on_match(rule: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            found.append((end, rule))
            return len(found) > MAX_ENDS

        try:
            self.db.scan(data, match_event_handler=on_match, scratch=self.scratch)
        except hyperscan.error:  # stopped past MAX_ENDS (or a database this CPU cannot run)
            return None
        return found


def candidate_lines(
    data: bytes, ends: list[tuple[int, int]]
) -> Iterator[tuple[int, int, set[int]]]:
    """Group match ends by line: (line start, line end, rules that may match on it) in order."""
    ends.sort()
    line_start = line_end = -1
    rules: set[int] = set()
    for end, rule in ends:
        last = end - 1
        if last > line_end:
            if rules:
                yield line_start, line_end, rules
            line_start = data.rfind(b"\n", 0, last) + 1
            line_end = data.find(b"\n", last)
            if line_end < 0:
                line_end = len(data)
            rules = set()
        rules.add(rule)
    if rules:
        yield line_start, line_end, rules
