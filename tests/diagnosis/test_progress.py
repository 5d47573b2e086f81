"""Progress between two checks in words: per face zone, overall, and which view to compare."""

import pytest

from diagnosis.progress import (
    BETTER,
    SAME,
    UNSEEN,
    WORSE,
    choose_slot,
    compare_zones,
    describe_changes,
    describe_overall,
)

GEA = ["clear", "almost clear", "mild", "moderate", "severe", "very severe"]


def zones(**severities):
    return [{"zone": name, "severity": value} for name, value in severities.items()]


def test_each_zone_seen_in_either_check_gets_a_verdict_in_the_faces_order():
    changes = compare_zones(
        zones(chin=2.1, left_cheek=3.2, forehead=1.0),
        zones(left_cheek=1.9, forehead=2.0, chin=2.3, nose=1.0),
    )

    assert [(c.zone, c.verdict) for c in changes] == [
        ("forehead", WORSE),
        ("nose", UNSEEN),
        ("left_cheek", BETTER),
        ("chin", SAME),
    ]
    assert changes[2].before == 3.2 and changes[2].after == 1.9
    assert changes[1].before is None and changes[1].delta is None


def test_half_a_grade_is_a_change_and_less_is_about_the_same():
    changes = compare_zones(zones(forehead=2.0, nose=2.0), zones(forehead=2.5, nose=2.49))

    assert [c.verdict for c in changes] == [WORSE, SAME]


def test_the_words_name_the_scales_grades():
    changes = compare_zones(
        zones(left_cheek=3.2, chin=2.1, forehead=1.0),
        zones(left_cheek=1.9, chin=2.3, forehead=2.0),
    )

    assert describe_changes(changes, GEA) == [
        "Your forehead is worse (almost clear → mild).",
        "Your left cheek is better (moderate → mild).",
        "Your chin and jaw are about the same (mild).",
    ]


def test_a_change_within_one_grades_name_is_a_little_better():
    changes = compare_zones(zones(nose=3.4), zones(nose=2.6))

    assert describe_changes(changes, GEA) == ["Your nose is a little better (still moderate)."]


def test_a_zone_seen_in_one_check_only_is_not_compared():
    changes = compare_zones(zones(right_cheek=2.0), zones(left_cheek=1.0))

    assert describe_changes(changes, GEA) == [
        "Your left cheek was not seen in both checks (only in the later one).",
        "Your right cheek was not seen in both checks (only in the earlier one).",
    ]


def test_no_zones_no_words():
    assert describe_changes(compare_zones([], []), GEA) == []


@pytest.mark.parametrize(
    ("before", "after", "words"),
    [
        (
            (3, 3.2),
            (2, 2.1),
            "Overall your skin is better: grade 3 (moderate) then, grade 2 (mild) now.",
        ),
        (
            (1, 1.2),
            (2, 1.8),
            "Overall your skin is worse: grade 1 (almost clear) then, grade 2 (mild) now.",
        ),
        (
            (2, 2.4),
            (2, 1.7),
            "Overall your skin is a little better: still grade 2 (mild), "
            "severity score 2.4 then, 1.7 now.",
        ),
        ((2, 2.1), (2, 2.3), "Overall your skin is about the same: grade 2 (mild)."),
    ],
)
def test_the_overall_change_follows_the_grade_then_the_score(before, after, words):
    assert describe_overall(*before, *after, GEA) == words


@pytest.mark.parametrize(
    ("before", "after", "wanted", "chosen", "common"),
    [
        (["front", "left"], ["front", "left", "right"], None, "front", ["front", "left"]),
        (["front", "left"], ["left", "front"], "left", "left", ["front", "left"]),
        (["front", "left"], ["front"], "right", "front", ["front"]),  # not in both: the front
        (["left", "right"], ["right", "left"], None, "left", ["left", "right"]),
        (["front"], ["left"], "front", None, []),
    ],
)
def test_the_view_compared_is_one_both_checks_have(before, after, wanted, chosen, common):
    assert choose_slot(before, after, wanted) == (chosen, common)
