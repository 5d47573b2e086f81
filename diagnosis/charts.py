"""What the result and history pages draw: plain values for templates, no Django, no JS library.

The scale (grade labels) comes from each diagnosis' own ``scale``, the one its model graded on.
"""

import math
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
    near: bool = False  # the result or a grade next to it: what the confidence counts


def probability_bars(
    probabilities: Sequence[float], labels: Sequence[str], grade: int | None
) -> list[ProbabilityBar]:
    """One bar per grade of the scale, the diagnosed grade and its neighbours marked."""
    return [
        ProbabilityBar(
            grade=index,
            label=labels[index] if index < len(labels) else str(index),
            percent=round(float(p) * 100, 1),
            is_result=index == grade,
            near=grade is not None and abs(index - grade) <= 1,
        )
        for index, p in enumerate(probabilities)
    ]


@dataclass(frozen=True)
class GradeStory:
    """A result's numbers (grade, score, chart, confidence) and, where they could seem to
    disagree, why, in a shopper's words."""

    grade: int
    label: str
    score: float | None
    bars: list[ProbabilityBar]
    # Where the score and the chart's highest bar point elsewhere than the grade: why.
    score_note: str = ""
    chart_note: str = ""
    confidence_text: str = ""


def _label(labels: Sequence[str], grade: int) -> str:
    return labels[grade] if 0 <= grade < len(labels) else f"grade {grade}"


def grade_story(
    *,
    grade: int,
    score: float | None,
    probabilities: Sequence[float],
    confidence: float | None,
    labels: Sequence[str],
) -> GradeStory:
    """The numbers of one graded photo (or of a check: its deciding photo's) as one story.

    The grade is its score rounded (the engine reads both from the same probabilities), and the
    score is where the chart's weight sits; when the likeliest bar is another grade the chart
    says why. The confidence is the calibrated chance that the right grade is this one or a
    neighbour, so it is said that way, against the same marked bars."""
    label = _label(labels, grade)
    bars = probability_bars(probabilities, labels, grade)
    score_note = chart_note = ""
    if score is not None and abs(score - grade) > 0.5 + 1e-6:
        # Results saved before the score was read like the grade.
        score_note = (
            "This result was saved by an earlier version of the analysis, which worked out the "
            "score separately from the grade."
        )
    likeliest = max(bars, key=lambda bar: bar.percent, default=None)
    if likeliest is not None and likeliest.grade != grade and not score_note:
        side = "higher" if likeliest.grade < grade else "lower"
        chart_note = (
            f"{likeliest.label.capitalize()} alone is the likeliest grade ({likeliest.percent:.0f}"
            f" %), but {side} grades are likely too: weighed together they come to "
            f"{label}" + (f", a score of {score:.1f}." if score is not None else ".")
        )
    confidence_text = ""
    if confidence is not None:
        low, high = _label(labels, max(grade - 1, 0)), _label(labels, min(grade + 1, len(bars) - 1))
        confidence_text = (
            f"How sure: {round(confidence * 100)} % that your skin is between {low} and {high}, "
            f"that is {label} or a grade next to it (the marked bars). This figure was checked "
            "on photographs graded by dermatologists."
        )
    return GradeStory(
        grade=grade,
        label=label,
        score=score,
        bars=bars,
        score_note=score_note,
        chart_note=chart_note,
        confidence_text=confidence_text,
    )


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
    level: str  # "low", "mid" or "high": how strongly the outline is drawn (see ZONE_LEVELS)
    lesions: int | None = None  # the lesions the model counted in it (None: it counts none)
    number: int = 0  # its number in the photo's key (1 up, in the face's order)
    text: str = ""  # what is written on the photo: the label, its number, or nothing


@dataclass(frozen=True)
class ZoneOverlay:
    """The zones drawn over one photo: outlines with labels that fit the face and never
    overlap (``font_size`` in the photo's pixels); the key under the photo lists them all."""

    outlines: list[ZoneOutline]
    font_size: float

    @property
    def numbered(self) -> bool:
        """Some labels are numbers (the face is too small for words): the key explains them."""
        return any(o.text and o.text != o.label for o in self.outlines)


# How strongly an outline is drawn, by its severity (GEA): the legend under the photos says it.
ZONE_LEVELS = (
    ("high", "red", "moderate or worse"),
    ("mid", "yellow", "mild"),
    ("low", "white", "few or no signs"),
)
# Label sizes in the photo's pixels: a tenth of the face's width, never under 1/40 of the photo
# (about 9 px on a phone showing it 350 px wide), never over 1/16.
FACE_FONT_SHARE, MIN_FONT_SHARE, MAX_FONT_SHARE = 0.1, 1 / 40, 1 / 16
# Of the font size: a bold sans letter (digits are 0.7 em) and a line, and the dark halo drawn
# round each label, as Chromium's boxes measure them, with a margin.
_CHAR_WIDTH, _HALO, _LINE_HEIGHT = 0.75, 0.4, 1.6


def _level(severity: float) -> str:
    # GEA: from 3 (moderate) a zone is drawn strongest; below what the page would name
    # (combine.NAMED_MIN_SEVERITY), faintest.
    return "high" if severity >= 3 else "mid" if severity >= NAMED_MIN_SEVERITY else "low"


def zone_overlay(zones: Sequence[dict], *, width: int, height: int) -> ZoneOverlay:
    """The face zones of one photo (``DiagnosisPhoto.zones``) as polygons to draw over it (an
    SVG whose viewBox is the photo's ``width`` × ``height``), in the face's order.

    Labels scale with the face; when the words would overlap (or not fit the photo) at any
    size down to a readable minimum, zones are numbered instead, and a number that still finds
    no free place is left for the key alone."""
    from diagnosis.ml.zones import ZONES

    order = {name: index for index, name in enumerate(ZONES)}
    drawn = sorted(
        (zone for zone in zones if len(zone.get("outline") or []) >= 3),
        key=lambda zone: order.get(zone.get("zone"), len(order)),
    )
    if not drawn or width <= 0 or height <= 0:
        return ZoneOverlay(outlines=[], font_size=0.0)
    xs = [x for zone in drawn for x, _ in zone["outline"]]
    face_width = max(1.0, min(max(xs), width) - max(min(xs), 0))
    longest = max(width, height)
    floor = MIN_FONT_SHARE * longest
    size = min(max(FACE_FONT_SHARE * face_width, floor), MAX_FONT_SHARE * longest)
    centres = [_centre(zone["outline"]) for zone in drawn]
    names = [zone.get("label") or zone.get("zone", "").replace("_", " ") for zone in drawn]
    # Words at the face's size, smaller words, then numbers at the smallest size.
    tries = []
    while size > floor:
        tries.append((size, names))
        size *= 0.8
    tries += [(floor, names), (floor, [str(i + 1) for i in range(len(drawn))])]
    # Sizes as the page writes them (one decimal, rounded down), so the boxes measured here are
    # the ones drawn.
    tries = [(math.floor(size * 10) / 10, texts) for size, texts in tries]
    for size, texts in tries:
        placed = _place(centres, texts, size, width, height)
        if all(place is not None for place in placed) or texts is tries[-1][1]:
            break
    outlines = []
    for index, (zone, name, place) in enumerate(zip(drawn, names, placed, strict=True)):
        severity = float(zone.get("severity", 0.0))
        x, y = place or centres[index]
        outlines.append(
            ZoneOutline(
                zone=zone.get("zone", ""),
                label=name,
                severity=severity,
                points=" ".join(f"{px:.1f},{py:.1f}" for px, py in zone["outline"]),
                label_x=x,
                label_y=y,
                level=_level(severity),
                lesions=None if zone.get("lesions") is None else round(zone["lesions"]),
                number=index + 1,
                text="" if place is None else texts[index],
            )
        )
    return ZoneOverlay(outlines=outlines, font_size=size)


def _centre(outline) -> tuple[float, float]:
    return sum(x for x, _ in outline) / len(outline), sum(y for _, y in outline) / len(outline)


def _place(centres, texts, size: float, width: int, height: int) -> list:
    """A centre for each text's box (or None when none is free): at its zone's centre, else
    a line or two above or below; inside the photo, overlapping no box placed before it."""
    boxes, placed = [], []
    line = _LINE_HEIGHT * size
    for (cx, cy), text in zip(centres, texts, strict=True):
        half_w, half_h = (_CHAR_WIDTH * len(text) + _HALO) * size / 2, line / 2
        found = None
        for shift in (0, -1, 1, -2, 2):
            x = min(max(cx, half_w), width - half_w)
            y = cy + shift * line
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            inside = box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height
            if inside and not any(_overlaps(box, other) for other in boxes):
                found = (x, y)
                boxes.append(box)
                break
        placed.append(found)
    return placed


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
