"""The figures the shipped model is judged by, on hand-made numbers: Spearman, the four
Hayashi levels, calibration, the out-of-distribution distance and the answered trade-off."""

import math

import numpy as np
import pytest

from modelbuilding import realeval


def test_spearman_follows_order_not_values():
    assert realeval.spearman(np.array([0, 1, 2, 3]), np.array([0.1, 5.0, 6.0, 100.0])) == 1.0
    assert realeval.spearman(np.array([0, 1, 2, 3]), np.array([3.0, 2.0, 1.0, 0.0])) == -1.0
    assert math.isnan(realeval.spearman(np.array([1, 1, 1]), np.array([0.0, 1.0, 2.0])))


def test_ties_share_their_mean_rank():
    assert realeval.rank(np.array([5.0, 1.0, 5.0])).tolist() == [1.5, 0.0, 1.5]


def test_hayashi_report_reads_gea_grades_on_four_levels():
    levels = np.array([0, 0, 1, 2, 3, 3])
    grades = np.array([1, 2, 3, 3, 5, 4])  # GEA: 1 and 2 are both mild
    report = realeval.hayashi_report(levels, grades.astype(float), grades)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["per_level_recall"] == [1.0, 1.0, 0.0, 0.5]
    assert report["confusion"][2] == [0, 1, 0, 0]


def test_temperature_scaling_softens_an_overconfident_model():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 400)
    logits = np.eye(3)[labels] * 8.0
    wrong = rng.random(400) < 0.3  # 30 % wrong, each with the same overconfidence
    logits[wrong] = np.roll(logits[wrong], 1, axis=1)
    temperature = realeval.fit_temperature(logits, labels)
    assert temperature > 2.0
    confidence = realeval.softmax(logits, temperature).max(axis=1).mean()
    assert confidence == pytest.approx(0.7, abs=0.05)


def test_the_distance_grows_away_from_the_training_features():
    rng = np.random.default_rng(1)
    train = rng.normal(0, 1, (500, 20)) * np.linspace(3, 0.1, 20)
    fit = realeval.fit_ood(train, components=8)
    near = realeval.ood_distances(train[:50], fit)
    far = realeval.ood_distances(train[:50] + 6.0 * np.linspace(3, 0.1, 20), fit)
    assert far.min() > near.max()


def test_the_operating_point_answers_enough_photographs():
    confidence = np.array([0.95] * 85 + [0.72] * 10 + [0.3] * 5)
    correct = np.array([True] * 85 + [True] * 5 + [False] * 10)
    rows = realeval.answered_table(confidence, correct, np.ones(100, bool))
    by_threshold = {r["threshold"]: r for r in rows}
    assert by_threshold[0.0]["answered"] == 1.0 and by_threshold[0.0]["accuracy_answered"] == 0.9
    assert by_threshold[0.72]["answered"] == 0.95
    assert by_threshold[0.8]["accuracy_answered"] == 1.0
    assert realeval.choose_confidence(rows) == 0.72  # the highest answering 90 %: 0.74 gives 85 %


def test_box_masks_and_skin_tone_groups():
    mask = realeval.box_mask(np.array([[2.0, 3.0, 5.5, 6.0]]), 10)
    assert mask.sum() == 4 * 3 and mask[3, 2] and not mask[6, 2]
    light = np.full((32, 32, 3), (235, 200, 180), np.uint8)
    dark = np.full((32, 32, 3), (90, 58, 42), np.uint8)
    assert realeval.ita_degrees(light) > realeval.ita_degrees(dark)
    assert realeval.ita_group(dark) in ("brown", "dark")
