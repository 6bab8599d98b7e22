"""The executive summary's chart: findings and secrets per team, by severity, as SVG geometry.

The template draws the rectangles; nothing here runs in the page, so the chart needs no script,
passes the report's Content-Security-Policy and prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zoho_v1_audit.models import Severity

if TYPE_CHECKING:
    from zoho_v1_audit.report.plan import TeamView

WIDTH = 720
LABEL_W = 190  # team names, right-aligned before the bars
BAR_X = LABEL_W + 10
BAR_W = 430
BAR_H = 12
ROW_H = 40  # two bars and a gap
TOP = 30  # the legend
MAX_TEAMS = 12
MAX_LABEL = 26


@dataclass(frozen=True, slots=True)
class Segment:
    """One severity's part of a bar."""

    severity: str
    x: float
    width: float
    count: int


@dataclass(frozen=True, slots=True)
class Bar:
    """Findings or secrets of one team, stacked by severity."""

    what: str  # "findings" or "secrets"
    y: int
    segments: tuple[Segment, ...]
    total: int
    end: float  # where the count is written


@dataclass(frozen=True, slots=True)
class Row:
    """One team: its name and its two bars."""

    team: str
    label: str
    y: int
    bars: tuple[Bar, Bar]


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template needs to draw the chart."""

    width: int
    height: int
    rows: tuple[Row, ...]
    legend: tuple[tuple[str, int], ...]  # (severity, x)
    left_out: int  # teams not drawn (the smallest)
    bar_x: int = BAR_X
    label_w: int = LABEL_W
    bar_h: int = BAR_H


def _bar(what: str, y: int, severities: Iterable[str], scale: float) -> Bar:
    counts = Counter(severities)
    segments, x = [], float(BAR_X)
    for severity in Severity:
        if n := counts[severity]:
            segments.append(Segment(severity, round(x, 1), round(n * scale, 1), n))
            x += n * scale
    return Bar(what, y, tuple(segments), sum(counts.values()), round(x + 6, 1))


def _label(team: str) -> str:
    return team if len(team) <= MAX_LABEL else team[: MAX_LABEL - 1] + "…"


def team_chart(teams: Sequence[TeamView]) -> Chart | None:
    """The chart for these teams (most findings first), or None when there is nothing to draw."""
    shown = teams[:MAX_TEAMS]
    if not shown:
        return None
    most = max(max(len(t.findings), len(t.secrets)) for t in shown) or 1
    scale = BAR_W / most
    rows = tuple(
        Row(
            team=t.name,
            label=_label(t.name),
            y=(y := TOP + i * ROW_H),
            bars=(
                _bar("findings", y, (f.severity for f in t.findings), scale),
                _bar("secrets", y + BAR_H + 4, (s.severity for s in t.secrets), scale),
            ),
        )
        for i, t in enumerate(shown)
    )
    legend = tuple((s, BAR_X + i * 90) for i, s in enumerate(Severity))
    return Chart(
        width=WIDTH,
        height=TOP + len(rows) * ROW_H,
        rows=rows,
        legend=legend,
        left_out=len(teams) - len(shown),
    )
