"""Apply a rule set to one blob: a pure function from (rules, blob) to findings."""

from __future__ import annotations

import base64
import binascii
import re
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
    preview,
)
from zoho_v1_audit.ruleset import Rule, RuleSet
from zoho_v1_audit.scan.binary import file_offset
from zoho_v1_audit.scan.prefilter import prefilter_for
from zoho_v1_audit.scan.text import decode

_DOC_SUFFIXES = frozenset({".md", ".markdown", ".rst", ".txt", ".adoc"})
_COMMENT_STARTS = (b"#", b"//", b"/*", b"*", b"<!--", b"--", b";", b"rem ", b"REM ")
_IGNORE = re.compile(rb"zoho-v1-audit:\s?ignore(?:\[([a-z0-9, -]{1,200})\])?")
_SNIPPET_WIDTH = 160
_MIN_VARIETY = 8  # distinct characters below which a long value is a placeholder


@dataclass(slots=True)
class BlobScan:
    """What the detector found in one blob."""

    findings: list[Finding] = field(default_factory=list)
    context: frozenset[str] = frozenset()
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
    runs only on the lines where a keyword occurs.
    """
    raw: list[tuple[int, int, Rule, re.Match[bytes]]] = []
    for order, spans in prefilter_for(rules).spans_per_rule(data.lower()).items():
        rule = rules.rules[order]
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
    result = BlobScan()
    hits: list[_Hit] = []
    for hit in _collect_hits(data, rules):
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
    secret_spans: dict[int, list[tuple[int, int]]] = {}
    for h in hits:
        if h.secret is not None:
            secret_spans.setdefault(h.line_index, []).append(h.match.span("secret"))
    calls = {h.line_index: c for h in hits if (c := _v1_call(h)) and c.data_centre}
    first_dc = next(iter(calls.values()), None)
    columns = _Columns(data)
    for hit in _drop_overlaps(hits):
        dc_call = calls.get(hit.line_index) or first_dc
        finding = _finding(blob, hit, result.context, secret_spans, dc_call, columns)
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


def _finding(
    blob: Blob,
    hit: _Hit,
    context: frozenset[str],
    secret_spans: dict[int, list[tuple[int, int]]],
    dc_call: V1Call | None,
    columns: _Columns,
) -> Finding | None:
    rule, data = hit.rule, blob.data
    needs: str | None = None
    if rule.requires and rule.requires not in context:
        if rule.requires_scope == "file":
            return None
        needs = rule.requires
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
    numbers, binary = blob.line_numbers, blob.binary
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
        snippet=_snippet(data, hit, secret_spans.get(hit.line_index, [])),
        confidence=Confidence.MEDIUM if needs else Confidence.HIGH,
        placement=placement,
        secret_kind=rule.secret_kind,
        v1=call,
        needs_context=needs,
        secret=hit.secret,
    )
