"""Joint grading and counting (diagnosis.ml.joint, modelbuilding.joint_training): the lesion
count as a distribution over the grades, pooled with the grading heads', and the rule chosen
on training folds."""

import numpy as np
import pytest
import torch

from diagnosis.ml.checkpoint import load_checkpoint_with_extra, save_checkpoint
from diagnosis.ml.errors import CheckpointError
from diagnosis.ml.inference import Analyzer
from diagnosis.ml.joint import JointRule
from diagnosis.ml.scale import GEA
from modelbuilding import joint_training
from tests.ml.test_lesions import _checkpoint_with_counter

EDGES = joint_training.gea_count_edges()


def rule(**changes) -> JointRule:
    spec = {"edges": EDGES, "slope": 1.0, "intercept": 0.0, "spread": 0.1, "weight": 1.0}
    return JointRule(**{**spec, **changes})


def test_the_count_edges_follow_the_scale_mapping():
    # 0 lesions clear, 1 almost clear, then Hayashi's 0-5, 6-20, 21-50 and over 50.
    assert EDGES == (0.5, 1.5, 5.5, 20.5, 50.5)


@pytest.mark.parametrize(
    ("count", "grade"), [(0.0, 0), (1.0, 1), (3.0, 2), (12.0, 3), (35.0, 4), (90.0, 5)]
)
def test_a_count_falls_in_its_grades_band(count, grade):
    probs = rule().count_probabilities(torch.tensor([count]))

    assert probs.sum().item() == pytest.approx(1.0, abs=1e-5)
    assert int(probs.argmax()) == grade


def test_more_lesions_never_lower_the_expected_grade():
    counts = torch.tensor([0.0, 2.0, 5.0, 10.0, 25.0, 60.0, 200.0])
    probs = rule(spread=0.5).count_probabilities(counts)

    expected = (probs * torch.arange(6)).sum(dim=1)
    assert torch.all(expected[1:] >= expected[:-1])


def test_the_weight_mixes_the_heads_and_the_count():
    heads = torch.tensor([[0.0, 0.0, 0.0, 1.0, 0.0, 0.0]])  # the heads say moderate
    count = torch.tensor([40.0])  # the count says severe

    assert torch.equal(rule(weight=0.0).probabilities(heads, count), heads)
    alone = rule(weight=1.0).probabilities(heads, count)
    assert int(alone.argmax()) == 4
    half = rule(weight=0.5).probabilities(heads, count)
    assert half[0, 3] == pytest.approx(0.5, abs=1e-3) and half[0, 4] == pytest.approx(0.5, abs=0.01)


def test_a_rule_travels_in_the_metadata():
    saved = rule(weight=0.35, slope=1.2, intercept=-0.1, spread=0.4, rule="argmax")

    assert JointRule.from_meta({"joint": saved.to_meta(), "scale": GEA.to_dict()}) == saved
    assert JointRule.from_meta({"scale": GEA.to_dict()}) is None


@pytest.mark.parametrize(
    "spec",
    [
        {"edges": [5, 1, 20, 50, 60]},  # not increasing
        {"weight": 1.5},
        {"edges": [1, 5, 20]},  # three edges for six grades
        {"rule": "round"},  # the regressor never sees the count
        {"slope": "steep"},
    ],
)
def test_a_broken_rule_is_a_checkpoint_error(spec):
    meta = {"joint": {**rule().to_meta(), **spec}, "scale": GEA.to_dict()}

    with pytest.raises(CheckpointError, match="joint grading rule"):
        JointRule.from_meta(meta)


def test_folds_keep_a_photograph_and_its_lesion_free_version_together():
    paths = [f"p{i}.jpg" for i in range(20)] + [f"p{i}.jpg" for i in range(0, 20, 2)]

    folds = joint_training.folds_of(paths, k=5)

    assert set(folds.tolist()) == {0, 1, 2, 3, 4}
    for i, path in enumerate(paths):
        assert folds[i] == folds[paths.index(path)]


def test_the_calibration_undoes_a_counter_that_under_counts_crowded_faces():
    boxed = np.array([0, 1, 3, 8, 15, 30, 60, 100] * 4, float)
    counted = np.expm1(0.7 * np.log1p(boxed))  # crowded faces counted short

    slope, intercept, spread = joint_training.fit_calibration(counted, boxed)

    assert slope == pytest.approx(1 / 0.7, rel=1e-3) and intercept == pytest.approx(0, abs=1e-3)
    assert spread == joint_training.MIN_SPREAD
    fitted = rule(slope=slope, intercept=intercept, spread=spread)
    assert (
        int(fitted.count_probabilities(torch.tensor([np.expm1(0.7 * np.log1p(35.0))])).argmax())
        == 4
    )


def test_the_pooling_weights_the_count_when_the_heads_miss_the_severe_faces():
    # The heads call every face moderate; the count tells the levels apart.
    levels = np.array([0, 1, 2, 3] * 10)
    counts = np.array([3.0, 12.0, 35.0, 90.0] * 10)
    heads = np.tile(np.eye(6)[3], (40, 1)) * 0.9 + 0.1 / 6

    chosen, rows = joint_training.choose_pooling(heads, counts, levels, rule())

    assert chosen.weight >= 0.5
    best = max(r["accuracy"] for r in rows)
    assert best == 1.0 and [r for r in rows if r["weight"] == 0.0][0]["accuracy"] == 0.25


def test_the_pooling_keeps_the_heads_when_the_count_tells_nothing():
    levels = np.array([0, 1, 2, 3] * 10)
    counts = np.full(40, 12.0)  # every face counted moderate
    heads = np.eye(6)[levels + 2] * 0.9 + 0.1 / 6

    chosen, _ = joint_training.choose_pooling(heads, counts, levels, rule(spread=0.3))

    assert chosen.weight < 0.5


def test_referrals_count_the_severe_referred_and_the_milder_referred():
    levels = np.array([0, 1, 2, 2, 3, 3])
    grades = np.array([2, 4, 4, 3, 5, 5])

    figures = joint_training.referral_figures(levels, grades)

    assert figures == {"referral_sensitivity": 0.75, "false_referral": 0.5}


def test_the_shop_grades_with_the_count_when_the_model_carries_a_joint_rule(tmp_path, selfie):
    _checkpoint_with_counter(tmp_path / "model.pt")
    model, meta, extra = load_checkpoint_with_extra(tmp_path / "model.pt")
    heads_only = Analyzer.load(tmp_path / "model.pt").analyze(selfie, explain=False)
    # The count alone decides: the grade is the count's band, read from the pooled distribution.
    meta["joint"] = rule(weight=1.0, spread=0.2).to_meta()
    save_checkpoint(tmp_path / "joint.pt", model, meta, extra=extra)

    joint = Analyzer.load(tmp_path / "joint.pt").analyze(selfie, explain=False)

    count_says = rule(weight=1.0, spread=0.2).count_probabilities(torch.tensor([joint.lesions]))
    assert joint.lesions == pytest.approx(heads_only.lesions, rel=1e-4)
    assert joint.probabilities == pytest.approx(count_says[0].tolist(), abs=1e-5)
    assert joint.grade == round(joint.score)
    assert 0 <= joint.confidence <= 1


def test_the_valid_choice_never_reads_clear_skin_worse_than_the_heads_alone():
    levels = np.array([0, 1, 2, 3] * 10)
    counts = np.array([3.0, 12.0, 35.0, 90.0] * 10)
    heads = np.tile(np.eye(6)[3], (40, 1)) * 0.9 + 0.1 / 6
    paths = [f"p{i}.jpg" for i in range(40)]
    # Every weight above 0.3 reads some clear skin as moderate or worse; the heads alone none.
    misreads = {
        (r, float(w)): 0.1 * (w > 0.3)
        for r in ("expectation", "argmax")
        for w in joint_training.WEIGHTS
    }

    chosen, figures = joint_training.choose_on_valid(rule(), heads, counts, levels, paths, misreads)

    assert chosen.weight <= 0.3
    assert 0 <= figures["cross_validated_accuracy"] <= 1
    safe_everywhere = {pair: 0.0 for pair in misreads}
    free, _ = joint_training.choose_on_valid(rule(), heads, counts, levels, paths, safe_everywhere)
    assert free.weight >= 0.5


def test_the_valid_choice_never_refers_fewer_severe_faces_than_the_heads_alone():
    levels = np.array([0, 1, 2, 3] * 10)
    # The count reads every face one level milder; the heads read every face right.
    counts = np.array([3.0, 3.0, 12.0, 35.0] * 10)
    heads_grades = levels + 2  # GEA = Hayashi + 2
    heads = np.eye(6)[heads_grades] * 0.5 + 0.5 / 6
    paths = [f"p{i}.jpg" for i in range(40)]
    safe = {(r, float(w)): 0.0 for r in ("expectation", "argmax") for w in joint_training.WEIGHTS}

    chosen, figures = joint_training.choose_on_valid(
        rule(), heads, counts, levels, paths, safe, heads_grades=heads_grades
    )

    pooled = joint_training.read_pooled(chosen, heads, counts)
    referred = joint_training.referral_figures(levels, pooled["grades"])
    assert referred["referral_sensitivity"] == 1.0
    assert figures["cross_validated_accuracy"] == 1.0


def test_no_weight_is_chosen_when_every_one_misses_referrals_the_heads_make():
    levels = np.array([0, 1, 2, 3] * 10)
    heads_grades = levels + 2
    # Whatever the weight, the pooled reading calls every face mild: no pair may be chosen.
    heads = np.tile(np.eye(6)[2], (40, 1))
    counts = np.full(40, 3.0)
    safe = {(r, float(w)): 0.0 for r in ("expectation", "argmax") for w in joint_training.WEIGHTS}
    paths = [f"p{i}.jpg" for i in range(40)]

    chosen, figures = joint_training.choose_on_valid(
        rule(), heads, counts, levels, paths, safe, heads_grades=heads_grades
    )

    assert chosen is None
    # Each half is then graded by the heads alone, as the shop would.
    assert figures["cross_validated_accuracy"] == 1.0
