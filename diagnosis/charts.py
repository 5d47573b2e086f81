"""What the result and history pages draw: plain values for templates, no Django, no JS library.

The scale (grade labels) comes from each diagnosis' own ``scale``, the one its model graded on.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ProbabilityBar:
    grade: int
    label: str
    percent: float  # 0..100
    is_result: bool


def probability_bars(
    probabilities: Sequence[float], labels: Sequence[str], grade: int | None
) -> list[ProbabilityBar]:
    """One bar per grade of the scale, the diagnosed grade marked."""
    return [
        ProbabilityBar(
            grade=index,
            label=labels[index] if index < len(labels) else str(index),
            percent=round(float(p) * 100, 1),
            is_result=index == grade,
        )
        for index, p in enumerate(probabilities)
    ]


@dataclass(frozen=True)
class TrendPoint:
    x: float
    y: float
    when: datetime
    score: float
    grade: int | None
    label: str


@dataclass(frozen=True)
class TrendTick:
    position: float  # x or y in the chart's coordinates
    text: str


@dataclass(frozen=True)
class TrendChart:
    """An inline-SVG line chart of the severity score over time (coordinates in its viewBox)."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[TrendPoint]
    y_ticks: list[TrendTick]
    x_ticks: list[TrendTick]
    scale_name: str

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def first(self) -> TrendPoint:
        return self.points[0]

    @property
    def last(self) -> TrendPoint:
        return self.points[-1]


# The viewBox is narrow so that the axis labels stay readable when a phone scales it down.
WIDTH, HEIGHT = 400, 240
LEFT, RIGHT, TOP, BOTTOM = 96, 388, 16, 204
INSET = 12  # keeps the first and last points clear of the axis labels


def trend_chart(
    results: Sequence[tuple[datetime, float, int | None, str]],
    labels: Sequence[str],
    *,
    scale_name: str = "",
    date_format=lambda when: when.strftime("%d %b %Y"),
) -> TrendChart | None:
    """The score over time of ``results`` (when, score, grade, label), oldest first; None
    without any. Time runs to scale on the x axis; one result sits in the middle."""
    if not results or not labels:
        return None
    top_grade = max(len(labels) - 1, 1)
    first, last = results[0][0], results[-1][0]
    span = (last - first).total_seconds()

    def x_of(when: datetime) -> float:
        if span <= 0:
            return (LEFT + RIGHT) / 2
        return LEFT + INSET + (RIGHT - LEFT - 2 * INSET) * (when - first).total_seconds() / span

    def y_of(score: float) -> float:
        clamped = min(max(float(score), 0.0), float(top_grade))
        return BOTTOM - (BOTTOM - TOP) * clamped / top_grade

    points = [
        TrendPoint(x=x_of(when), y=y_of(score), when=when, score=score, grade=grade, label=label)
        for when, score, grade, label in results
    ]
    y_ticks = [TrendTick(position=y_of(g), text=labels[g]) for g in range(len(labels))]
    x_ticks = [TrendTick(position=points[0].x, text=date_format(first))]
    if span > 0:
        x_ticks.append(TrendTick(position=points[-1].x, text=date_format(last)))
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        points=points,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        scale_name=scale_name,
    )


@dataclass(frozen=True)
class ZoneOutline:
    zone: str
    label: str
    severity: float  # on the grading scale, 0 up
    points: str  # an SVG polygon's points, in the photo's pixels
    label_x: float
    label_y: float
    level: str  # "low", "mid" or "high": how strongly the outline is drawn


def zone_outlines(zones: Sequence[dict]) -> list[ZoneOutline]:
    """The face zones of one photo as polygons to draw over it (an SVG whose viewBox is the
    photo's size), each labelled at its centre; zones without an outline are left out."""
    outlines = []
    for zone in zones:
        outline = zone.get("outline") or []
        if len(outline) < 3:
            continue
        severity = float(zone.get("severity", 0.0))
        outlines.append(
            ZoneOutline(
                zone=zone.get("zone", ""),
                label=zone.get("label") or zone.get("zone", "").replace("_", " "),
                severity=severity,
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in outline),
                label_x=sum(x for x, _ in outline) / len(outline),
                label_y=sum(y for _, y in outline) / len(outline),
                # GEA: from 3 (moderate) the zone is drawn strongest, below 1.5 faintest.
                level="high" if severity >= 3 else "mid" if severity >= 1.5 else "low",
            )
        )
    return outlines
