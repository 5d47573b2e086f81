"""The history trend's lines per face zone: same axes as the score, gaps where a check did not
see the zone (pure chart values, no database)."""

from datetime import datetime, timedelta

from diagnosis.charts import BOTTOM, TOP, trend_chart

GEA = ["clear", "almost clear", "mild", "moderate", "severe", "very severe"]
START = datetime(2025, 3, 1, 9, 0)


def results(*scores):
    return [
        (START + timedelta(days=7 * i), score, round(score), GEA[round(score)])
        for i, score in enumerate(scores)
    ]


def zones(**severities):
    return [{"zone": name, "label": name, "severity": value} for name, value in severities.items()]


def test_each_zone_seen_in_any_check_gets_a_line_in_the_faces_order():
    chart = trend_chart(
        results(3.0, 2.0),
        GEA,
        zones=[zones(chin=3.0, left_cheek=2.0), zones(left_cheek=1.0, nose=0.5)],
    )

    assert [line.zone for line in chart.zone_lines] == ["nose", "left_cheek", "chin"]
    assert [line.label for line in chart.zone_lines] == ["nose", "left cheek", "chin and jaw"]
    # Each zone keeps one style (colour, dashes, marker) whichever zones a shopper has.
    assert [line.style for line in chart.zone_lines] == [2, 3, 5]


def test_a_zone_line_shares_the_score_lines_axes():
    chart = trend_chart(results(3.0, 2.0), GEA, zones=[zones(nose=3.0), zones(nose=2.0)])

    (nose,) = chart.zone_lines
    # The same severity sits at the same height as the score, at the same check's x.
    assert [(p.x, p.y) for p in nose.points] == [(p.x, p.y) for p in chart.points]
    assert nose.segments == [chart.polyline]


def test_a_check_that_did_not_see_a_zone_is_a_gap_not_a_zero():
    chart = trend_chart(
        results(3.0, 3.0, 2.0, 2.0, 1.0),
        GEA,
        zones=[zones(chin=3.0), zones(chin=2.5), zones(nose=1.0), zones(chin=2.0), zones()],
    )

    chin = next(line for line in chart.zone_lines if line.zone == "chin")
    assert chin.values == [3.0, 2.5, None, 2.0, None]
    assert len(chin.points) == 3
    assert all(TOP <= p.y <= BOTTOM for p in chin.points)
    assert BOTTOM not in [p.y for p in chin.points]  # nothing drawn at severity 0
    # The first two checks are joined; the fourth stands alone, drawn by its marker only.
    first, second, alone = chin.points
    assert chin.segments == [f"{first.x:.1f},{first.y:.1f} {second.x:.1f},{second.y:.1f}"]
    assert alone.x == chart.points[3].x and alone.marker


def test_without_zones_there_are_no_zone_lines():
    assert trend_chart(results(2.0), GEA).zone_lines == []
    assert trend_chart(results(2.0), GEA, zones=[[]]).zone_lines == []
