"""The trend chart of an audit report: inline SVG geometry for the `runs` of a document.

The template draws it with presentation attributes only (no script, no style attribute, so the
report's Content-Security-Policy holds), in dash patterns that stay apart in black and white.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

WIDTH, HEIGHT = 640, 240
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 150, 16, 40
SERIES = (  # key, label, dash pattern (SVG stroke-dasharray), colour
    ("v1_lines", "v1 lines", "none", "#1f4e9c"),
    ("secrets", "distinct secrets", "8 4", "#b35900"),
    ("live", "live tokens", "2 3", "#b00020"),
)


class Point(NamedTuple):
    """One run's value of a series, where it is drawn."""

    x: float
    y: float
    value: int


class Line(NamedTuple):
    """One series: its polyline and labelled points."""

    label: str
    dash: str
    colour: str
    points: tuple[Point, ...]

    @property
    def path(self) -> str:
        """The `points` attribute of its polyline."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass(frozen=True, slots=True)
class Chart:
    """Everything the template needs to draw the trend."""

    width: int
    height: int
    left: int
    bottom: float
    right: float
    top: int
    top_value: int
    lines: tuple[Line, ...]
    ticks: tuple[tuple[float, str], ...]  # x, run label


def trend_chart(runs: Sequence[Mapping[str, Any]]) -> Chart:
    """Scale every series to one axis from 0 to the largest value; runs evenly spaced."""
    top_value = max([1, *(int(r[key]) for r in runs for key, *_ in SERIES)])
    span_x = WIDTH - _LEFT - _RIGHT
    span_y = HEIGHT - _TOP - _BOTTOM
    step = span_x / max(1, len(runs) - 1)

    def x(i: int) -> float:
        return _LEFT + (i * step if len(runs) > 1 else span_x / 2)

    def y(value: int) -> float:
        return _TOP + span_y * (1 - value / top_value)

    lines = tuple(
        Line(
            label,
            dash,
            colour,
            tuple(Point(x(i), y(int(r[key])), int(r[key])) for i, r in enumerate(runs)),
        )
        for key, label, dash, colour in SERIES
    )
    ticks = tuple((x(i), f"#{r['run']} {str(r['started'])[:10]}") for i, r in enumerate(runs))
    return Chart(WIDTH, HEIGHT, _LEFT, _TOP + span_y, WIDTH - _RIGHT, _TOP, top_value, lines, ticks)
