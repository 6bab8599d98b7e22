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
from itertools import accumulate
from pathlib import PurePosixPath

from zoho_v1_audit.datacentres import data_centre_of
from zoho_v1_audit.models import (
    Blob,
    Category,
    Confidence,
    Evidence,
    Finding,
    Location,
    Placement,
    V1Call,
    is_generated,
)
from zoho_v1_audit.redact import Span, masked, merge_spans, token_spans
from zoho_v1_audit.ruleset import Rule, RuleSet
from zoho_v1_audit.scan import neighbours
from zoho_v1_audit.scan.binary import file_offset
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
_USE_REACH = 256  # bytes after a use of a value searched for the names it uses


@dataclass(slots=True)
class BlobScan:
    """What the detector found in one blob."""

    path: str = ""
    findings: list[Finding] = field(default_factory=list)
    context: frozenset[str] = frozenset()
    context_lines: dict[str, int] = field(default_factory=dict)  # label: first line showing it
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
    evidence: tuple[str, int] | None = None  # text and the line index it points to


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
    """Where any rule's `secret` group matched, per line.

    Every match counts, a placeholder's or a dropped one's included: a placeholder pattern
    decides what is reported, never what is masked.
    """

    def __init__(self) -> None:
        self._spans: dict[int, list[Span]] = {}
        self._starts: dict[int, list[int]] = {}  # per line, once sorted for a look-up

    def add(self, data: bytes, hit: _Hit) -> None:
        if not hit.rule.has_secret:
            return
        start, end = hit.match.span("secret")
        if start < 0:
            return
        shows = is_generated(decode(data[start:end]), hit.rule.secret_kind)
        self._spans.setdefault(hit.line_index, []).append((start, end, shows))
        self._starts.pop(hit.line_index, None)

    def near(self, line_index: int, begin: int, end: int) -> list[Span]:
        """The spans of a line that start within `_WIDEST` bytes before `begin` and before `end`."""
        spans = self._spans.get(line_index)
        if not spans:
            return []
        starts = self._starts.get(line_index)
        if starts is None:
            spans.sort()
            starts = self._starts[line_index] = [span[0] for span in spans]
        low = bisect.bisect_left(starts, begin - _WIDEST)
        high = bisect.bisect_left(starts, end)
        return spans[low:high]


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
    that engine says the rule may match). Rules that need Zoho named near their match do not
    run on blobs that never name it, nor, in a blob of one chunk, rules that need context from
    the same file when no rule that could provide it has a keyword there. Line bounds are found
    once per line.
    """
    search = search_for(rules)
    needs_zoho = search.needs_zoho
    names_zoho: list[bool] = []  # searched once, and only when a rule needs to know

    def names_zoho_once() -> bool:
        if not names_zoho:
            names_zoho.append(b"zoho" in data.lower())  # (?i) regexes crawl
        return names_zoho[0]

    line_index, counted_to, line_start, line_end = 0, 0, 0, -1
    for chunk_start, chunk_end in _chunks(data):
        found = {
            order: spans
            for order, spans in search.spans(data[chunk_start:chunk_end]).items()
            if order not in needs_zoho or names_zoho_once()
        }
        if chunk_start == 0 and chunk_end == len(data):
            possible = frozenset(label for order in found for label in rules.rules[order].provides)
            found = {
                order: spans
                for order, spans in found.items()
                if rules.rules[order].requires_scope != "file"
                or _satisfied(rules.rules[order], possible)
            }
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


class _LineIndex:
    """Line index of any offset: newlines counted for the first few questions, then an index."""

    _COUNTED = 16  # questions answered by counting before the whole blob is indexed

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.asked = 0
        self.ends: list[int] | None = None

    def of(self, offset: int) -> int:
        self.asked += 1
        if self.asked <= self._COUNTED:
            return self.data.count(b"\n", 0, offset)
        if self.ends is None:  # where each line ends, counted in C: length plus its newline
            self.ends = list(accumulate(map((1).__add__, map(len, self.data.split(b"\n")))))
        return bisect.bisect_right(self.ends, offset)

    def span(self, offset: int) -> tuple[int, int]:
        start = self.data.rfind(b"\n", 0, offset) + 1
        end = self.data.find(b"\n", offset)
        return start, len(self.data) if end < 0 else end


def _evidence_text(rule: Rule, name: bytes = b"") -> str:
    return rule.evidence.replace("{name}", name.decode("ascii", "replace"))


class _Neighbours:
    """Context rules' hits kept only where their neighbour is found, with evidence.

    A bound-name rule matches where a value is used; what it reports is the literal bound to a
    name on that line, at the binding, pointing back to the use.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._lines: _LineIndex | None = None
        self._host: list[int | None] = []
        self._bound: dict[tuple[str, bytes], list[re.Match[bytes]]] = {}

    @property
    def lines(self) -> _LineIndex:
        if self._lines is None:
            self._lines = _LineIndex(self.data)
        return self._lines

    def resolve(self, hit: _Hit) -> Iterator[_Hit]:
        """The hit itself, with its evidence; nothing when its neighbour is missing; or, for a
        bound name, the literals bound to it."""
        rule, data = hit.rule, self.data
        if rule.neighbours == "zoho-file":
            if not self._host:
                self._host.append(neighbours.zoho_host_offset(data))
            if self._host[0] is None:
                return
            hit.evidence = (_evidence_text(rule), self.lines.of(self._host[0]))
        elif rule.neighbours == "zoho-block":
            at = neighbours.zoho_in_block(data, hit.line_start, hit.line_end)
            if at is None:
                return
            hit.evidence = (_evidence_text(rule), self.lines.of(at))
        elif rule.neighbours == "bound-name" and rule.bound_value is not None:
            yield from self._bound_literals(hit, rule.bound_value)
            return
        yield hit

    def _bound_literals(self, hit: _Hit, value: re.Pattern[bytes]) -> Iterator[_Hit]:
        rule, lines, bound = hit.rule, self.lines, self._bound
        use = self.data[hit.match.start() : min(hit.line_end, hit.match.end() + _USE_REACH)]
        for name in sorted(neighbours.names_in(use)):
            key = (rule.id, name)
            if key not in bound and len(bound) >= neighbours.MAX_NAMES:
                continue
            if key not in bound:
                bound[key] = list(neighbours.bound_literals(self.data, name, value))
            for literal in bound[key]:
                index = lines.of(literal.start("secret"))
                start, end = lines.span(literal.start("secret"))
                found = _Hit(rule, hit.order, literal, index, start, end)
                found.evidence = (_evidence_text(rule, name), hit.line_index)
                yield found


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
    near = _Neighbours(data)
    for found in _collect_hits(data, rules, counts):
        for hit in near.resolve(found):
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
    hits.sort(key=lambda h: (h.match.start(), h.order))  # bound names report before their use
    result.context = frozenset(label for h in hits for label in h.rule.provides)
    # A rule whose context must be in this file and is not gives way before overlaps are settled.
    hits = [
        h for h in hits if h.rule.requires_scope != "file" or _satisfied(h.rule, result.context)
    ]
    provided_at: dict[str, int] = {}
    for h in hits:
        for label in h.rule.provides:
            provided_at.setdefault(label, h.line_index)
    numbers = blob.line_numbers
    result.context_lines = {
        label: numbers[index] if numbers is not None else index + 1
        for label, index in provided_at.items()
    }
    calls = {h.line_index: c for h in hits if (c := _v1_call(h)) and c.data_centre}
    first_dc = next(iter(calls.values()), None)
    columns, ignores = _Columns(data), _Ignores(data)
    for hit in _drop_overlaps(hits):
        dc_call = calls.get(hit.line_index) or first_dc
        finding = _finding(blob, hit, result.context_lines, secrets, dc_call, columns)
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


def _satisfied(rule: Rule, context: frozenset[str]) -> bool:
    return rule.requires is None or rule.requires in context


_CONTEXT_PHRASES = {"v1": "v1 use", "tokengen": "token generation"}


def context_evidence(label: str, line: int, path: str | None = None) -> Evidence:
    """Evidence that a finding rests on a context label shown on a line."""
    return Evidence(f"{_CONTEXT_PHRASES.get(label, label)} on line {line}", line, path)


def _finding(
    blob: Blob,
    hit: _Hit,
    context: dict[str, int],
    secrets: _SecretSpans,
    dc_call: V1Call | None,
    columns: _Columns,
) -> Finding | None:
    rule, data = hit.rule, blob.data
    numbers, binary = blob.line_numbers, blob.binary
    needs: str | None = None
    evidence: Evidence | None = None
    if hit.evidence is not None:
        text, index = hit.evidence
        at = numbers[index] if numbers is not None else index + 1
        evidence = Evidence(text.replace("{line}", str(at)), at)
    if rule.requires and rule.requires not in context:
        if rule.requires_scope == "file":
            return None
        needs = rule.requires
    elif rule.requires and evidence is None:
        evidence = context_evidence(rule.requires, context[rule.requires])
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
    line_no = numbers[hit.line_index] if numbers is not None else hit.line_index + 1
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        category=rule.category,
        severity=severity,
        location=Location(
            path=blob.path,
            line=None if binary is not None else line_no,
            column=column,
            end_column=columns.at(hit.line_start, end),
            commit=blob.origin.commit,
            author=blob.origin.author,
            date=blob.origin.date,
            offset=None if binary is None else file_offset(binary, start),
            layer=blob.origin.layer,
            in_final_image=blob.origin.in_final_image,
        ),
        snippet=_snippet(data, hit, secrets),
        confidence=Confidence.MEDIUM if needs else Confidence.HIGH,
        placement=placement,
        secret_kind=rule.secret_kind,
        v1=call,
        needs_context=needs,
        evidence=evidence,
        secret=hit.secret,
    )
