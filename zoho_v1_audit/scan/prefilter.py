"""Say where each rule must look: the compiled engine's candidate lines, then rule keywords.

With Hyperscan (`hsmatch`), only the lines where a rule may match are searched for its
keywords; without it, the keywords are found in one pass over the whole text. A rule searches
the same spans either way on the lines where it can match, so both engines find the same.
"""

from __future__ import annotations

import ahocorasick_rs

from zoho_v1_audit.ruleset import RuleSet
from zoho_v1_audit.scan import hsmatch

Spans = dict[int, list[tuple[int, int]]]  # rule index -> spans to search, in text order

_LONG_LINE = 4096  # lines longer than this are searched in windows around keywords


class Prefilter:
    """All keywords of a rule set found in one pass (Aho-Corasick), mapped to the rules they gate."""

    def __init__(self, rules: RuleSet) -> None:
        self.automaton = ahocorasick_rs.BytesAhoCorasick(
            list(rules.keywords), matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        self.rules_of = rules.rules_by_keyword()
        self.widths = [rule.max_width for rule in rules.rules]

    def spans_per_rule(self, lower: bytes) -> Spans:
        """For each rule with a keyword in the text, the spans to search, in text order.

        A span is the line that holds the keyword; on a very long line (minified code) it is a
        window around the keyword as wide as the rule's widest match, so work stays linear.
        """
        spans: Spans = {}
        line_start, line_end = -1, -1
        for keyword, start, end in self.automaton.find_matches_as_indexes(lower):
            if start >= line_end:
                line_start = lower.rfind(b"\n", 0, start) + 1
                line_end = lower.find(b"\n", start)
                if line_end < 0:
                    line_end = len(lower)
            long_line = line_end - line_start > _LONG_LINE
            for rule in self.rules_of[keyword]:
                width = self.widths[rule]
                if long_line and width is not None:
                    lo, hi = max(line_start, start - width), min(line_end, end + width)
                else:
                    lo, hi = line_start, line_end
                found = spans.setdefault(rule, [])
                if found and found[-1][0] <= lo <= found[-1][1]:
                    found[-1] = (found[-1][0], max(hi, found[-1][1]))
                else:
                    found.append((lo, hi))
        return spans


class Search:
    """A rule set's prefilter and, unless the Python engine is chosen, its compiled engine."""

    def __init__(self, rules: RuleSet) -> None:
        self.prefilter = Prefilter(rules)
        # Rules that run only where Zoho is named (near the match, or anywhere in the blob).
        self.needs_zoho = frozenset(
            i
            for i, rule in enumerate(rules.rules)
            if rule.neighbours in ("zoho-block", "zoho-file")
        )
        use_hs = rules.engine != "python" and hsmatch.available()
        self.matcher = hsmatch.HsMatcher(rules) if use_hs else None

    def engines(self) -> list[str]:
        """For each rule, the engine that runs it, and why when it is not the compiled one."""
        if self.matcher is None:
            why = "" if hsmatch.available() else " (hyperscan is not installed)"
            return ["python" + why] * len(self.prefilter.widths)
        reasons = self.matcher.reasons
        return [
            f"python ({reasons[i]})" if i in reasons else "hyperscan"
            for i in range(len(self.prefilter.widths))
        ]

    def spans(self, data: bytes) -> Spans:
        """For each rule that may match, the spans the exact search runs on."""
        ends = self.matcher.ends(data) if self.matcher is not None else None
        if self.matcher is None or ends is None:
            return self.prefilter.spans_per_rule(data.lower())
        spans: Spans = {}
        if self.matcher.reasons:  # the rules Hyperscan does not take: their keywords everywhere
            for rule, found in self.prefilter.spans_per_rule(data.lower()).items():
                if rule in self.matcher.reasons:
                    spans[rule] = found
        for start, end, flagged in hsmatch.candidate_lines(data, ends):
            for rule, found in self.prefilter.spans_per_rule(data[start:end].lower()).items():
                if rule in flagged:
                    spans.setdefault(rule, []).extend((start + a, start + b) for a, b in found)
        return spans


_cache: dict[int, tuple[RuleSet, Search]] = {}


def search_for(rules: RuleSet) -> Search:
    """The search of a rule set, built once per process (automata do not pickle)."""
    cached = _cache.get(id(rules))
    if cached is None or cached[0] is not rules:
        cached = _cache[id(rules)] = (rules, Search(rules))
    return cached[1]
