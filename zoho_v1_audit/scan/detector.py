"""Apply a rule set to one blob: a pure function from (rules, blob) to findings."""

from __future__ import annotations

import base64
import binascii
import bisect
import heapq
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from zoho_v1_audit.datacentres import data_centre_of
from zoho_v1_audit.models import (
    Blob,
    Category,
    Confidence,
    Finding,
    Location,
    Placement,
    V1Call,
    is_generated,
)
from zoho_v1_audit.redact import Span, masked, merge_spans, token_spans
from zoho_v1_audit.ruleset import Rule, RuleSet
from zoho_v1_audit.scan.prefilter import search_for
from zoho_v1_audit.scan.text import decode

_DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc"})
_COMMENT_STARTS = (b"#", b"//", b"/*", b"*", b"<!--", b"--", b";", b"rem ", b"REM ")
_IGNORE = re.compile(rb"zoho-v1-audit:\s?ignore(?:\[([a-z0-9, -]{1,200})\])?")
_INDENT = re.compile(rb"[ \t\f\v\r]*")
_SNIPPET_WIDTH = 160
MAX_FINDINGS_PER_RULE = 1000  # in one file; further matches are counted, not kept
_CHUNK = 1 << 18
_REACH = 256  # bytes either side of a snippet's window searched for secret shapes
_WIDEST = 4096  # longest secret span looked back for
_MIN_VARIETY = 8  # distinct characters below which a long value is a placeholder


@dataclass(slots=True)
class BlobScan:
    """What the detector found in one blob."""

    path: str = ""
    findings: list[Finding] = field(default_factory=list)
    context: frozenset[str] = frozenset()
    ignored: int = 0
    placeholders: int = 0
    disabled: Counter[str] = field(default_factory=Counter)  # matches of disabled rules
    capped: Counter[str] = field(default_factory=Counter)  # matches past MAX_FINDINGS_PER_RULE


@dataclass(slots=True)
class _Hit:
    rule: Rule
    order: int
    match: re.Match[bytes]
    line_index: int
    line_start: int
    line_end: int
    secret: str | None = None


def _is_placeholder(value: str, rule: Rule, rules: RuleSet) -> bool:
    if len(value) >= 20 and len(set(value)) < _MIN_VARIETY:
        return True
    return any(p.fullmatch(value) for p in (*rules.placeholders, *rule.placeholders))


def _secret_value(rule: Rule, match: re.Match[bytes]) -> str | None:
    """The clear secret of a match, or None when the match does not hold a usable one."""
    raw = match.group("secret")
    if rule.decode == "base64":
        try:
            raw = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            return None
    value = decode(raw)
    if rule.decoded is not None and not rule.decoded.fullmatch(value):
        return None
    return value


def _ignored_rules(line: bytes) -> frozenset[str] | None:
    """Rule ids an inline comment suppresses (empty set: all), or None."""
    m = _IGNORE.search(line)
    if m is None:
        return None
    if m.group(1) is None:
        return frozenset()
    return frozenset(part.strip() for part in m.group(1).decode().split(",") if part.strip())


class _Ignores:
    """Inline ignore comments, each line read once however many hits it holds."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._lines: dict[int, tuple[frozenset[str] | None, frozenset[str] | None]] = {}

    def _of(self, line_start: int, line_end: int) -> tuple[frozenset[str] | None, ...]:
        known = self._lines.get(line_start)
        if known is None:
            data, above = self.data, None
            if line_start > 0:
                above_start = data.rfind(b"\n", 0, line_start - 1) + 1
                above = _ignored_rules(data[above_start : line_start - 1])
            known = self._lines[line_start] = (_ignored_rules(data[line_start:line_end]), above)
        return known

    def suppress(self, hit: _Hit) -> bool:
        """Whether a comment on the hit's line, or on the line above, ignores its rule."""
        return any(
            ids is not None and (not ids or hit.rule.id in ids)
            for ids in self._of(hit.line_start, hit.line_end)
        )


def _placement(path: str, data: bytes, line_start: int) -> Placement:
    if PurePosixPath(path).suffix.lower() in _DOC_SUFFIXES:
        return Placement.DOCS
    indent = _INDENT.match(data, line_start)
    if data.startswith(_COMMENT_STARTS, indent.end() if indent else line_start):
        return Placement.COMMENT
    return Placement.CODE


class _SecretSpans:
    """Where any rule's `secret` group matched, per line, in text order.

    Every match counts, a placeholder's or a dropped one's included: a placeholder pattern
    decides what is reported, never what is masked.
    """

    def __init__(self) -> None:
        self._starts: dict[int, list[int]] = {}
        self._spans: dict[int, list[Span]] = {}

    def add(self, data: bytes, hit: _Hit) -> None:
        if not hit.rule.has_secret:
            return
        start, end = hit.match.span("secret")
        if start < 0:
            return
        shows = is_generated(decode(data[start:end]), hit.rule.secret_kind)
        self._starts.setdefault(hit.line_index, []).append(start)
        self._spans.setdefault(hit.line_index, []).append((start, end, shows))

    def near(self, line_index: int, begin: int, end: int) -> list[Span]:
        """The spans of a line that start within `_WIDEST` bytes before `begin` and before `end`."""
        starts = self._starts.get(line_index)
        if not starts:
            return []
        low = bisect.bisect_left(starts, begin - _WIDEST)
        high = bisect.bisect_left(starts, end)
        return self._spans[line_index][low:high]


def _snippet(data: bytes, hit: _Hit, secrets: _SecretSpans) -> str:
    """The hit's line with every secret on it masked; on long lines, a window around the match.

    Masked are what any rule's `secret` group matched and every secret shape that
    `redact.token_spans` finds around the window, whichever rules are enabled. The window grows
    to hold any secret it touches, so a secret is never cut in half and shown.
    """
    begin, end = hit.line_start, hit.line_end
    if end - begin > _SNIPPET_WIDTH:
        begin = max(begin, hit.match.start() - _SNIPPET_WIDTH // 3)
        end = min(end, begin + _SNIPPET_WIDTH)
    low, high = max(hit.line_start, begin - _REACH), min(hit.line_end, end + _REACH)
    spans = merge_spans([*secrets.near(hit.line_index, low, high), *token_spans(data, low, high)])
    for s_start, s_end, _ in spans:
        if s_start < end and s_end > begin:
            begin, end = min(begin, s_start), max(end, s_end)
    text = masked(data, begin, end, spans)
    cut_before, cut_after = begin > hit.line_start, end < hit.line_end
    return (("…" if cut_before else "") + text + ("…" if cut_after else "")).strip()


def _rule_matches(
    data: bytes, order: int, rule: Rule, spans: list[tuple[int, int]], counts: _Counts
) -> Iterator[tuple[int, int, re.Match[bytes]]]:
    """One rule's matches in its spans, in text order; once the rule is full, only counted."""
    line_end = -1
    for start, end in spans:
        windowed = end < len(data) and data[end] != 10  # a window of a long line
        if windowed and end > line_end:
            line_end = data.find(b"\n", end)
            if line_end < 0:
                line_end = len(data)
        for m in rule.regex.finditer(data, start, end):
            if windowed:  # confirm against the whole line
                confirmed = rule.regex.match(data, m.start(), line_end)
                if confirmed is None or confirmed.end() != m.end():
                    continue
            if order in counts.full:
                counts.overflow[order] = counts.overflow.get(order, 0) + 1
            else:
                yield m.start(), order, m


@dataclass(slots=True)
class _Counts:
    """Matches kept per rule (by order); rules that reached the limit and what they matched past it."""

    kept: dict[int, int] = field(default_factory=dict)
    full: set[int] = field(default_factory=set)
    overflow: dict[int, int] = field(default_factory=dict)

    def take(self, order: int) -> bool:
        """Count a kept match; False when the rule already holds its limit."""
        kept = self.kept[order] = self.kept.get(order, 0) + 1
        if kept >= MAX_FINDINGS_PER_RULE:
            self.full.add(order)
        if kept > MAX_FINDINGS_PER_RULE:
            self.overflow[order] = self.overflow.get(order, 0) + 1
            return False
        return True


def _chunks(data: bytes) -> Iterator[tuple[int, int]]:
    """Runs of whole lines of about _CHUNK bytes: prefilter state stays small on huge files."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start + _CHUNK)
        end = len(data) if end < 0 else end + 1
        yield start, end
        start = end


def _collect_hits(data: bytes, rules: RuleSet, counts: _Counts) -> Iterator[_Hit]:
    """Every match of every rule, in text order.

    A rule's matches stay on one line and contain one of its keywords, so each rule
    runs only on the lines where a keyword occurs (and, with the compiled engine, where
    that engine says the rule may match). Line bounds are found once per line.
    """
    search = search_for(rules)
    line_index, counted_to, line_start, line_end = 0, 0, 0, -1
    for chunk_start, chunk_end in _chunks(data):
        found = search.spans(data[chunk_start:chunk_end])
        streams = [
            _rule_matches(
                data,
                order,
                rules.rules[order],
                [(lo + chunk_start, hi + chunk_start) for lo, hi in spans],
                counts,
            )
            for order, spans in found.items()
        ]
        for start, order, m in heapq.merge(*streams, key=lambda item: (item[0], item[1])):
            line_index += data.count(b"\n", counted_to, start)
            counted_to = start
            if start > line_end:
                line_start = data.rfind(b"\n", 0, start) + 1
                line_end = data.find(b"\n", start)
                if line_end < 0:
                    line_end = len(data)
            yield _Hit(rules.rules[order], order, m, line_index, line_start, line_end)


def _v1_call(hit: _Hit) -> V1Call | None:
    groups = hit.match.re.groupindex
    if "host" not in groups and "method" not in groups:
        return None

    def group(name: str) -> str | None:
        value = hit.match.group(name) if name in groups else None
        return None if value is None else value.decode("ascii", "replace")

    host = group("host")
    return V1Call(
        data_centre=data_centre_of(host) if host else None,
        format=group("format"),
        module=group("module"),
        method=group("method"),
        product=group("product") or "crm",
    )


def _drop_overlaps(hits: list[_Hit]) -> list[_Hit]:
    """One rule per secret span (the first in rule order); drop findings a line already covers."""
    best: dict[tuple[int, int], _Hit] = {}
    plain: list[_Hit] = []
    for hit in hits:
        if hit.secret is None:
            plain.append(hit)
            continue
        span = hit.match.span("secret")
        if span not in best or hit.order < best[span].order:
            best[span] = hit
    # Rules that defer to fewer categories decide first, so precedence never goes round in a circle.
    candidates = sorted(
        [*plain, *best.values()], key=lambda h: (len(h.rule.redundant_with), h.order)
    )
    on_line: dict[int, set[tuple[str, Category]]] = {}
    kept: list[_Hit] = []
    for hit in candidates:
        line = on_line.setdefault(hit.line_index, set())
        if any(rid != hit.rule.id and cat in hit.rule.redundant_with for rid, cat in line):
            continue
        line.add((hit.rule.id, hit.rule.category))
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.match.start(), h.order))


def _keep(hit: _Hit, rules: RuleSet, result: BlobScan) -> bool:
    """Whether a hit is a candidate finding: no placeholder, a usable secret, a live rule."""
    if "value" in hit.match.re.groupindex:
        value = decode(hit.match.group("value"))
        if value and _is_placeholder(value, hit.rule, rules):
            result.placeholders += 1
            return False
    if hit.rule.has_secret:
        hit.secret = _secret_value(hit.rule, hit.match)
        if hit.secret is None:
            return False
        if _is_placeholder(hit.secret, hit.rule, rules):
            result.placeholders += 1
            return False
    return True


def detect(blob: Blob, rules: RuleSet) -> BlobScan:
    """Find every rule match in a blob (already made scannable)."""
    data = blob.data
    result = BlobScan(blob.path)
    hits: list[_Hit] = []
    secrets = _SecretSpans()
    counts = _Counts()
    for hit in _collect_hits(data, rules, counts):
        secrets.add(data, hit)  # masked wherever it shows, whichever rule reports it
        if not _keep(hit, rules, result) or not counts.take(hit.order):
            continue
        if hit.rule.id in rules.disabled:
            result.disabled[hit.rule.id] += 1
        else:
            hits.append(hit)
    for order, count in counts.overflow.items():
        rule_id = rules.rules[order].id
        (result.disabled if rule_id in rules.disabled else result.capped)[rule_id] += count
    result.context = frozenset(label for h in hits for label in h.rule.provides)
    calls = {h.line_index: c for h in hits if (c := _v1_call(h)) and c.data_centre}
    first_dc = next(iter(calls.values()), None)
    columns, ignores = _Columns(data), _Ignores(data)
    for hit in _drop_overlaps(hits):
        dc_call = calls.get(hit.line_index) or first_dc
        finding = _finding(blob, hit, result.context, secrets, dc_call, columns)
        if finding is None:
            continue
        if ignores.suppress(hit):
            result.ignored += 1
            continue
        result.findings.append(finding)
    return result


class _Columns:
    """1-based character columns, counted forward from the last position asked on the same line.

    Asking in text order keeps the work linear even on a megabyte-long minified line.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.line_start = self.offset = -1
        self.column = 1

    def at(self, line_start: int, offset: int) -> int:
        if line_start != self.line_start or offset < self.offset:
            self.line_start, self.offset, self.column = line_start, line_start, 1
        self.column += len(decode(self.data[self.offset : offset]))
        self.offset = offset
        return self.column


def _finding(
    blob: Blob,
    hit: _Hit,
    context: frozenset[str],
    secrets: _SecretSpans,
    dc_call: V1Call | None,
    columns: _Columns,
) -> Finding | None:
    rule, data = hit.rule, blob.data
    needs: str | None = None
    if rule.requires and rule.requires not in context:
        if rule.requires_scope == "file":
            return None
        needs = rule.requires
    placement = _placement(blob.path, data, hit.line_start)
    severity = rule.severity
    if hit.secret is not None:
        if rule.strict_secret and not rule.strict_secret.fullmatch(hit.secret):
            severity = severity.lowered()
        call = V1Call(data_centre=dc_call.data_centre) if dc_call else None
    else:
        if placement is not Placement.CODE:
            severity = severity.lowered()
        call = _v1_call(hit)
    start, end = hit.match.span("secret" if hit.secret is not None else 0)
    column = columns.at(hit.line_start, start)
    numbers = blob.line_numbers
    line_no = numbers[hit.line_index] if numbers is not None else hit.line_index + 1
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        category=rule.category,
        severity=severity,
        location=Location(
            path=blob.path,
            line=line_no,
            column=column,
            end_column=columns.at(hit.line_start, end),
            commit=blob.origin.commit,
            author=blob.origin.author,
            date=blob.origin.date,
        ),
        snippet=_snippet(data, hit, secrets),
        confidence=Confidence.MEDIUM if needs else Confidence.HIGH,
        placement=placement,
        secret_kind=rule.secret_kind,
        v1=call,
        needs_context=needs,
        secret=hit.secret,
    )
