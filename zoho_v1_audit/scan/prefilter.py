"""Keyword prefilter: find every rule keyword in one pass and say where each rule must look."""

from __future__ import annotations

import ahocorasick_rs

from zoho_v1_audit.ruleset import RuleSet

_LONG_LINE = 4096  # lines longer than this are searched in windows around keywords


class Prefilter:
    """All keywords of a rule set found in one pass (Aho-Corasick), mapped to the rules they gate."""

    def __init__(self, rules: RuleSet) -> None:
        self.automaton = ahocorasick_rs.BytesAhoCorasick(
            list(rules.keywords), matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
        )
        self.rules_of = rules.rules_by_keyword()
        self.widths = [rule.max_width for rule in rules.rules]

    def spans_per_rule(self, lower: bytes) -> dict[int, list[tuple[int, int]]]:
        """For each rule with a keyword in the text, the spans to search, in text order.

        A span is the line that holds the keyword; on a very long line (minified code) it is a
        window around the keyword as wide as the rule's widest match, so work stays linear.
        """
        spans: dict[int, list[tuple[int, int]]] = {}
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


_cache: dict[int, tuple[RuleSet, Prefilter]] = {}


def prefilter_for(rules: RuleSet) -> Prefilter:
    """The prefilter of a rule set, built once per process (automata do not pickle)."""
    cached = _cache.get(id(rules))
    if cached is None or cached[0] is not rules:
        cached = _cache[id(rules)] = (rules, Prefilter(rules))
    return cached[1]
