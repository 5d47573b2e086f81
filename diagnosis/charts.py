"""What the result and history pages draw: plain values for templates, no Django, no JS library.

The scale (grade labels) comes from each diagnosis' own ``scale``, the one its model graded on.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from diagnosis.ml.combine import NAMED_MIN_SEVERITY


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
    zone_lines: list["ZoneLine"] = field(default_factory=list)

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    @property
    def table_rows(self) -> list[tuple[TrendPoint, list[float | None]]]:
        """The chart as a table's rows (its text alternative): each result with its zones'
        severities, in the order of ``zone_lines`` (None: the check did not see the zone)."""
        return [
            (point, [line.values[index] for line in self.zone_lines])
            for index, point in enumerate(self.points)
        ]

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
    zones: Sequence[Sequence[dict]] | None = None,
    scale_name: str = "",
    date_format=lambda when: when.strftime("%d %b %Y"),
) -> TrendChart | None:
    """The score over time of ``results`` (when, score, grade, label), oldest first; None
    without any. Time runs to scale on the x axis; one result sits in the middle.

    ``zones``, one list per result (its ``Diagnosis.zones``), adds a line per face zone on the
    same axes (``zone_series``)."""
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
        zone_lines=zone_series(points, zones or [], y_of),
    )


@dataclass(frozen=True)
class ZonePoint:
    x: float
    y: float
    when: datetime
    severity: float
    marker: str  # an SVG path's d: the zone's own shape around (x, y)


@dataclass(frozen=True)
class ZoneLine:
    """One face zone's severity over time. A check that did not see the zone leaves a gap:
    the line is drawn in segments, never through a made-up zero."""

    zone: str
    label: str
    style: int  # 1..5: its colour, dashes and marker shape (site.css, .trend__zone--N)
    segments: list[str]  # polyline points, one string per run of consecutive checks
    points: list[ZonePoint]
    values: list[float | None]  # per result, in the order of the chart's points

    @property
    def legend_marker(self) -> str:
        return _marker(self.style, 30.0, 6.0)


def _marker(style: int, x: float, y: float, r: float = 4.5) -> str:
    """A shape per zone (circle, square, triangle, diamond, cross) so that the lines are told
    apart without their colours too."""
    if style == 1:
        return f"M{x - r:.1f},{y:.1f}a{r},{r} 0 1,0 {2 * r},0a{r},{r} 0 1,0 {-2 * r},0Z"
    if style == 2:
        s = r * 0.85
        return f"M{x - s:.1f},{y - s:.1f}h{2 * s:.1f}v{2 * s:.1f}h{-2 * s:.1f}Z"
    if style == 3:
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y + r * 0.8:.1f}L{x - r:.1f},{y + r * 0.8:.1f}Z"
    if style == 4:
        return f"M{x:.1f},{y - r:.1f}L{x + r:.1f},{y:.1f}L{x:.1f},{y + r:.1f}L{x - r:.1f},{y:.1f}Z"
    s = r * 0.8
    return (
        f"M{x - s:.1f},{y - s:.1f}L{x + s:.1f},{y + s:.1f}"
        f"M{x + s:.1f},{y - s:.1f}L{x - s:.1f},{y + s:.1f}"
    )


def zone_series(
    results: Sequence[TrendPoint], zones_per_result: Sequence[Sequence[dict]], y_of
) -> list[ZoneLine]:
    """A line per zone seen in any of the results (at their x; y by ``y_of`` from a
    severity), in the face's order; each zone keeps its style whichever zones a shopper has."""
    # The engine's names and order; importing them needs no PyTorch (zones.py: numpy, cv2).
    from diagnosis.ml.zones import LABELS, ZONES
    from diagnosis.progress import zone_severities

    severities = [zone_severities(zones) for zones in zones_per_result]
    seen = {name for found in severities for name in found}
    names = [z for z in ZONES if z in seen] + sorted(seen - set(ZONES))
    lines = []
    for name in names:
        style = ZONES.index(name) + 1 if name in ZONES else len(ZONES)
        values = [found.get(name) for found in severities]
        points, segments, run = [], [], []
        for result, value in zip(results, values, strict=False):
            x = result.x
            if value is None:
                if run:
                    segments.append(" ".join(run))
                run = []
                continue
            y = y_of(value)
            points.append(
                ZonePoint(x=x, y=y, when=result.when, severity=value, marker=_marker(style, x, y))
            )
            run.append(f"{x:.1f},{y:.1f}")
        if run:
            segments.append(" ".join(run))
        lines.append(
            ZoneLine(
                zone=name,
                label=LABELS.get(name, name.replace("_", " ")),
                style=style,
                # A lone point is a segment of one: drawn by its marker, not by a line.
                segments=[segment for segment in segments if " " in segment],
                points=points,
                values=values,
            )
        )
    return lines


@dataclass(frozen=True)
class ZoneOutline:
    zone: str
    label: str
    severity: float  # on the grading scale, 0 up
    points: str  # an SVG polygon's points, in the photo's pixels
    label_x: float
    label_y: float
    level: str  # "low", "mid" or "high": how strongly the outline is drawn
    lesions: int | None = None  # the lesions the model counted in it (None: it counts none)


def zone_outlines(zones: Sequence[dict]) -> list[ZoneOutline]:
    """The face zones of one photo as polygons to draw over it (an SVG whose viewBox is the
    photo's size), each labelled at its centre; zones without an outline are left out."""
    outlines = []
    for zone in zones:
        outline = zone.get("outline") or []
        if len(outline) < 3:
            continue
        severity = float(zone.get("severity", 0.0))
        # GEA: from 3 (moderate) a zone is drawn strongest; below what the page would name
        # (combine.NAMED_MIN_SEVERITY), faintest.
        level = "high" if severity >= 3 else "mid" if severity >= NAMED_MIN_SEVERITY else "low"
        outlines.append(
            ZoneOutline(
                zone=zone.get("zone", ""),
                label=zone.get("label") or zone.get("zone", "").replace("_", " "),
                severity=severity,
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y in outline),
                label_x=sum(x for x, _ in outline) / len(outline),
                label_y=sum(y for _, y in outline) / len(outline),
                level=level,
                lesions=None if zone.get("lesions") is None else round(zone["lesions"]),
            )
        )
    return outlines
