"""One grade for a check of several views, and its zones in plain words."""

from types import SimpleNamespace

import pytest

from diagnosis.ml.combine import combine_photos, describe_zones, named_zones
from diagnosis.ml.zones import LABELS


def view(slot, grade, score, *, zones=(), confidence=0.9):
    return SimpleNamespace(
        slot=slot,
        grade=grade,
        label=f"grade {grade}",
        score=score,
        confidence=confidence,
        probabilities=[0.0] * 6,
        zones=[{"zone": z, "severity": s} for z, s in zones],
    )


def test_the_worst_view_decides_the_checks_grade():
    combined = combine_photos(
        [view("front", 2, 2.1), view("left", 4, 3.8, confidence=0.8), view("right", 3, 3.0)]
    )

    assert (combined.grade, combined.slot, combined.rule) == (4, "left", "worst_view")
    assert combined.confidence == 0.8 and combined.score == 3.8


def test_between_views_of_the_same_grade_the_higher_score_decides():
    combined = combine_photos([view("front", 3, 2.6), view("right", 3, 3.3)])

    assert combined.slot == "right"


def test_a_check_needs_a_view():
    with pytest.raises(ValueError):
        combine_photos([])


def test_each_zone_takes_its_worst_severity_over_the_views_that_see_it():
    combined = combine_photos(
        [
            view("front", 3, 3.0, zones=[("chin", 3.0), ("left_cheek", 1.0), ("nose", 0.5)]),
            view("left", 3, 2.8, zones=[("left_cheek", 2.8), ("chin", 1.2)]),
        ]
    )

    assert [(z["zone"], z["severity"], z["slot"]) for z in combined.zones] == [
        ("chin", 3.0, "front"),
        ("left_cheek", 2.8, "left"),
        ("nose", 0.5, "front"),
    ]
    assert combined.zones[1]["label"] == "left cheek"


@pytest.mark.parametrize(
    ("zones", "words"),
    [
        ([("left_cheek", 3.0), ("nose", 0.4)], "Most signs are on the left cheek."),
        (
            [("left_cheek", 3.0), ("chin", 2.5), ("forehead", 0.9)],
            "Most signs are on the left cheek and the chin and jaw.",
        ),
        (
            [("forehead", 4.0), ("nose", 3.5), ("right_cheek", 3.0)],
            "Most signs are on the forehead, the nose and the right cheek.",
        ),
        ([("chin", 1.0), ("nose", 0.9)], ""),  # nothing as bad as mild: nothing to point at
        ([], ""),
    ],
)
def test_the_zones_in_plain_words(zones, words):
    summary = [{"zone": z, "label": LABELS[z], "severity": s} for z, s in zones]

    assert describe_zones(summary) == words


def test_named_zones_are_the_worst_and_those_close_to_it():
    summary = [
        {"zone": "chin", "label": "chin and jaw", "severity": 4.0},
        {"zone": "nose", "label": "nose", "severity": 2.3},
    ]

    assert [z["zone"] for z in named_zones(summary)] == ["chin"]
