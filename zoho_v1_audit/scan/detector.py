"""Apply a rule set to one blob: a pure function from (rules, blob) to findings."""

from __future__ import annotations

import base64
import binascii
import bisect
import re
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
    preview,
)
from zoho_v1_audit.ruleset import Rule, RuleSet
from zoho_v1_audit.scan import neighbours
from zoho_v1_audit.scan.prefilter import prefilter_for
from zoho_v1_audit.scan.text import decode

_DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc"})
_COMMENT_STARTS = (b"#", b"//", b"/*", b"*", b"<!--", b"--", b";", b"rem ", b"REM ")
_IGNORE = re.compile(rb"zoho-v1-audit:\s?ignore(?:\[([a-z0-9, -]{1,200})\])?")
_SNIPPET_WIDTH = 160
_MIN_VARIETY = 8  # distinct characters below which a long value is a placeholder
_NEEDS_ZOHO = frozenset({"zoho-block", "zoho-file"})


@dataclass(slots=True)
class BlobScan:
    """What the detector found in one blob."""

    path: str = ""
    findings: list[Finding] = field(default_factory=list)
    context: frozenset[str] = frozenset()
    context_lines: dict[str, int] = field(default_factory=dict)  # label: first line showing it
    ignored: int = 0
    placeholders: int = 0


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


def _ignored_rules(line: bytes) -> set[str] | None:
    """Rule ids an inline comment suppresses (empty set: all), or None."""
    m = _IGNORE.search(line)
    if m is None:
        return None
    if m.group(1) is None:
        return set()
    return {part.strip() for part in m.group(1).decode().split(",") if part.strip()}


def _suppressed(data: bytes, hit: _Hit) -> bool:
    lines = [data[hit.line_start : hit.line_end]]
    if hit.line_start > 0:
        prev_start = data.rfind(b"\n", 0, hit.line_start - 1) + 1
        lines.append(data[prev_start : hit.line_start - 1])
    for line in lines:
        ids = _ignored_rules(line)
        if ids is not None and (not ids or hit.rule.id in ids):
            return True
    return False


def _placement(path: str, line: bytes) -> Placement:
    if PurePosixPath(path).suffix.lower() in _DOC_SUFFIXES:
        return Placement.DOCS
    if line.lstrip().startswith(_COMMENT_STARTS):
        return Placement.COMMENT
    return Placement.CODE


def _snippet(data: bytes, hit: _Hit, secret_spans: list[tuple[int, int]]) -> str:
    """The hit's line with every secret on it redacted; on long lines, a window around the match.

    The window grows to hold any secret it touches, so a secret is never cut in half and shown.
    """
    begin, end = hit.line_start, hit.line_end
    if end - begin > _SNIPPET_WIDTH:
        begin = max(begin, hit.match.start() - _SNIPPET_WIDTH // 3)
        end = min(end, begin + _SNIPPET_WIDTH)
        for s_start, s_end in secret_spans:
            if s_start < end and s_end > begin:
                begin, end = min(begin, s_start), max(end, s_end)
    pieces: list[str] = ["…"] if begin > hit.line_start else []
    cursor = begin
    for s_start, s_end in sorted(secret_spans):
        if s_start >= cursor and s_end <= end:
            pieces += [decode(data[cursor:s_start]), preview(decode(data[s_start:s_end]))]
            cursor = s_end
    pieces.append(decode(data[cursor:end]))
    if end < hit.line_end:
        pieces.append("…")
    return "".join(pieces).strip()


def _collect_hits(data: bytes, rules: RuleSet) -> list[_Hit]:
    """Every match of every rule, in text order.

    A rule's matches stay on one line and contain one of its keywords, so each rule
    runs only on the lines where a keyword occurs. Rules that need Zoho named near their match
    do not run on blobs that never name it, nor rules that need context from the same file
    when no rule that could provide it has a keyword there.
    """
    raw: list[tuple[int, int, Rule, re.Match[bytes]]] = []
    lower = data.lower()
    names_zoho = b"zoho" in lower
    spans_of = {
        order: spans
        for order, spans in prefilter_for(rules).spans_per_rule(lower).items()
        if names_zoho or rules.rules[order].neighbours not in _NEEDS_ZOHO
    }
    possible = frozenset(label for order in spans_of for label in rules.rules[order].provides)
    for order, spans in spans_of.items():
        rule = rules.rules[order]
        if rule.requires_scope == "file" and not _satisfied(rule, possible):
            continue
        for start, end in spans:
            for m in rule.regex.finditer(data, start, end):
                if end < len(data) and data[end] != 10:  # a window: confirm against the whole line
                    line_end = data.find(b"\n", end)
                    confirmed = rule.regex.match(
                        data, m.start(), len(data) if line_end < 0 else line_end
                    )
                    if confirmed is None or confirmed.end() != m.end():
                        continue
                raw.append((m.start(), order, rule, m))
    raw.sort(key=lambda item: (item[0], item[1]))
    hits: list[_Hit] = []
    line_index, counted_to = 0, 0
    for start, order, rule, m in raw:
        line_index += data.count(b"\n", counted_to, start)
        counted_to = start
        line_start = data.rfind(b"\n", 0, start) + 1
        line_end = data.find(b"\n", start)
        hits.append(
            _Hit(rule, order, m, line_index, line_start, len(data) if line_end < 0 else line_end)
        )
    return hits


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


def _with_neighbours(data: bytes, hits: list[_Hit]) -> list[_Hit]:
    """Context rules' hits kept only where their neighbour is found, with evidence.

    A bound-name rule matches where a value is used; what it reports is the literal bound to a
    name on that line, at the binding, pointing back to the use.
    """
    if not any(hit.rule.neighbours for hit in hits):
        return hits
    lines = _LineIndex(data)
    bound: dict[tuple[str, bytes], list[re.Match[bytes]]] = {}
    host: list[int | None] = []
    kept: list[_Hit] = []
    for hit in hits:
        rule = hit.rule
        if rule.neighbours == "zoho-file":
            if not host:
                host.append(neighbours.zoho_host_offset(data))
            if host[0] is None:
                continue
            hit.evidence = (_evidence_text(rule), lines.of(host[0]))
        elif rule.neighbours == "zoho-block":
            at = neighbours.zoho_in_block(data, hit.line_start, hit.line_end)
            if at is None:
                continue
            hit.evidence = (_evidence_text(rule), lines.of(at))
        elif rule.neighbours == "bound-name" and rule.bound_value is not None:
            for name in sorted(neighbours.names_in(data[hit.match.start() : hit.line_end])):
                key = (rule.id, name)
                if key not in bound and len(bound) >= neighbours.MAX_NAMES:
                    continue
                if key not in bound:
                    bound[key] = list(neighbours.bound_literals(data, name, rule.bound_value))
                for literal in bound[key]:
                    index = lines.of(literal.start("secret"))
                    start, end = lines.span(literal.start("secret"))
                    found = _Hit(rule, hit.order, literal, index, start, end)
                    found.evidence = (_evidence_text(rule, name), hit.line_index)
                    kept.append(found)
            continue
        kept.append(hit)
    return sorted(kept, key=lambda h: (h.match.start(), h.order))


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


def detect(blob: Blob, rules: RuleSet) -> BlobScan:
    """Find every rule match in a blob (already made scannable)."""
    data = blob.data
    result = BlobScan(blob.path)
    hits: list[_Hit] = []
    for hit in _with_neighbours(data, _collect_hits(data, rules)):
        if "value" in hit.match.re.groupindex:
            value = decode(hit.match.group("value"))
            if value and _is_placeholder(value, hit.rule, rules):
                result.placeholders += 1
                continue
        if hit.rule.has_secret:
            hit.secret = _secret_value(hit.rule, hit.match)
            if hit.secret is None:
                continue
            if _is_placeholder(hit.secret, hit.rule, rules):
                result.placeholders += 1
                continue
        hits.append(hit)
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
    secret_spans: dict[int, list[tuple[int, int]]] = {}
    for h in hits:
        if h.secret is not None:
            secret_spans.setdefault(h.line_index, []).append(h.match.span("secret"))
    calls = {h.line_index: c for h in hits if (c := _v1_call(h)) and c.data_centre}
    first_dc = next(iter(calls.values()), None)
    columns = _Columns(data)
    for hit in _drop_overlaps(hits):
        dc_call = calls.get(hit.line_index) or first_dc
        finding = _finding(blob, hit, result.context_lines, secret_spans, dc_call, columns)
        if finding is None:
            continue
        if _suppressed(data, hit):
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
    secret_spans: dict[int, list[tuple[int, int]]],
    dc_call: V1Call | None,
    columns: _Columns,
) -> Finding | None:
    rule, data = hit.rule, blob.data
    numbers = blob.line_numbers
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
    line = data[hit.line_start : hit.line_end]
    placement = _placement(blob.path, line)
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
            line=line_no,
            column=column,
            end_column=columns.at(hit.line_start, end),
            commit=blob.origin.commit,
            author=blob.origin.author,
            date=blob.origin.date,
        ),
        snippet=_snippet(data, hit, secret_spans.get(hit.line_index, [])),
        confidence=Confidence.MEDIUM if needs else Confidence.HIGH,
        placement=placement,
        secret_kind=rule.secret_kind,
        v1=call,
        needs_context=needs,
        evidence=evidence,
        secret=hit.secret,
    )
