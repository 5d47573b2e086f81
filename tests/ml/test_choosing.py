"""Choosing the model to ship: clear skin read as acne disqualifies a better grader."""

import math

import numpy as np

from modelbuilding import lookalike_checks, lookalikes, realeval


def report(accuracy, mae=0.3, lesion_free=0.0, look_alikes=None):
    out = {
        "hayashi": {"accuracy": accuracy, "mae": mae},
        "lesion_free": {"moderate_or_worse": lesion_free},
    }
    if look_alikes is not None:
        out["look_alikes"] = {"all": {"moderate_or_worse": look_alikes}}
    return out


def test_a_better_grader_that_reads_beards_as_moderate_acne_is_not_chosen():
    reports = {
        "sharper": report(0.757, look_alikes=9 / 74),
        "shipped": report(0.721, look_alikes=0.0),
    }
    assert realeval.choose_candidate(reports) == "shipped"


def test_lesion_free_photographs_read_moderate_disqualify_too():
    reports = {"a": report(0.80, lesion_free=0.02), "b": report(0.70)}
    assert realeval.choose_candidate(reports) == "b"


def test_among_safe_candidates_the_best_grader_wins_then_the_lower_mae():
    reports = {
        "a": report(0.70, look_alikes=0.0),
        "b": report(0.75, mae=0.4, look_alikes=0.0),
        "c": report(0.75, mae=0.3, look_alikes=0.0),
    }
    assert realeval.choose_candidate(reports) == "c"


def test_when_none_is_safe_the_one_misreading_clear_skin_least_is_chosen():
    reports = {"a": report(0.80, look_alikes=0.2), "b": report(0.60, look_alikes=0.05)}
    assert realeval.choose_candidate(reports) == "b"


def test_a_check_not_made_counts_as_no_misread():
    assert realeval.clear_skin_misreads({"lesion_free": {"moderate_or_worse": math.nan}}) == 0.0


def test_false_acne_rates_per_look_alike():
    kinds = np.array(["none", "beard", "beard", "moles", "moles"])
    grades = np.array([0, 3, 1, 2, 0])
    reliable = np.array([True, True, False, True, True])

    rates = lookalike_checks.false_acne(kinds, grades, reliable)

    assert rates["beard"] == {
        "n": 2,
        "clear_or_almost": 0.5,
        "moderate_or_worse": 0.5,
        "reliable_mild_or_worse": 0.5,
    }
    assert rates["moles"]["reliable_mild_or_worse"] == 0.5
    assert rates["all"]["n"] == 4  # the plain control faces are not look-alikes
    assert rates["none"]["moderate_or_worse"] == 0.0


def test_the_check_set_draws_every_look_alike_on_the_same_clear_faces():
    pairs = list(lookalike_checks.check_set(2, size=128))
    kinds = [kind for kind, _ in pairs]
    assert kinds.count(lookalike_checks.CONTROL) == 2
    assert all(kinds.count(kind) == 2 for kind in lookalikes.LOOK_ALIKES)
