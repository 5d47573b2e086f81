import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

from diagnosis.ml.checkpoint import save_checkpoint
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from modelbuilding.evaluate import (
    accuracy,
    choose_rule,
    confusion_matrix,
    expected_calibration_error,
    full_report,
    grades_by_rule,
    mae,
    per_grade_recall,
    rmse,
    save_confusion_png,
    within1,
)

PRED = np.array([0, 1, 2, 4, 5, 3])
TRUE = np.array([0, 1, 3, 2, 5, 3])


def test_error_and_accuracy_metrics_on_hand_made_arrays():
    assert mae(PRED, TRUE) == pytest.approx(3 / 6)
    assert rmse(PRED, TRUE) == pytest.approx(math.sqrt(5 / 6))
    assert accuracy(PRED, TRUE) == pytest.approx(4 / 6)
    assert within1(PRED, TRUE) == pytest.approx(5 / 6)


def test_recall_per_grade_and_confusion():
    cm = confusion_matrix(PRED, TRUE, 6)
    assert cm[3, 2] == 1 and cm[2, 4] == 1 and cm.sum() == 6
    # Grade 3: one of two found; grade 4 never occurs in the truth.
    assert per_grade_recall(PRED, TRUE, 6) == [1.0, 1.0, 0.0, 0.5, None, 1.0]


def test_ece_is_zero_when_confidence_matches_accuracy():
    # Four samples at 75% confidence, three of them right.
    probs = np.array([[0.75, 0.25]] * 4)
    assert expected_calibration_error(probs, np.array([0, 0, 0, 1])) == pytest.approx(0.0)


def test_ece_of_an_overconfident_classifier():
    # Confidence 0.9 and half right (bin 0.8-0.9), confidence 0.6 and all right (bin 0.5-0.6).
    probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.6, 0.4]])
    ece = expected_calibration_error(probs, np.array([0, 1, 0, 0]))
    assert ece == pytest.approx(0.5 * 0.4 + 0.5 * 0.4)


def test_rules_and_the_choice_by_mae():
    probs = np.array([[0.1, 0.8, 0.1], [0.0, 0.4, 0.6], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    regression = np.array([1.2, 0.4, 1.6, 1.0])
    assert grades_by_rule(regression, probs, "round").tolist() == [1, 0, 2, 1]
    assert grades_by_rule(regression, probs, "argmax").tolist() == [1, 2, 0, 2]
    # An expected grade of 0.5 rounds to even, as the worker's rule does (model.grades_by_rule).
    assert grades_by_rule(regression, probs, "expectation").tolist() == [1, 2, 0, 1]
    rule, maes = choose_rule(regression, probs, np.array([1, 2, 0, 1]))
    assert rule == "expectation" and maes["expectation"] == 0.0
    assert maes["round"] == pytest.approx((0 + 2 + 2 + 0) / 4)


def test_report_has_per_group_metrics_and_the_accuracy_gap():
    probs = np.eye(3)[[0, 1, 2, 2]]
    report = full_report(
        regression=np.zeros(4),
        probs=probs,
        true=np.array([0, 1, 2, 1]),
        rule="argmax",
        groups=["I", "I", "VI", "VI"],
    )
    assert report["accuracy"] == 0.75 and report["n"] == 4
    assert report["per_group"]["I"]["accuracy"] == 1.0
    assert report["per_group"]["VI"]["accuracy"] == 0.5
    assert report["group_accuracy_gap"] == 0.5
    # VI (0.5) falls 0.5 below the rest (I: 1.0); I is 0.5 above VI.
    assert report["per_group"]["VI"]["below_rest"] == 0.5
    assert report["per_group"]["I"]["below_rest"] == -0.5
    assert report["group_largest_shortfall"] == 0.5
    assert set(report["rules"]) == {"round", "argmax", "expectation"}
    json.dumps(report)  # the report is JSON-able as it is


def test_a_group_is_compared_with_all_the_others_pooled():
    # I: 4/4 right, II: 2/4, VI: 3/4. VI is 0.25 below the best group but only 0.0 below the
    # pooled rest (6/8); II is 0.375 below its rest (7/8).
    true = np.zeros(12, dtype=int)
    pred = np.array([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1])
    report = full_report(
        regression=pred.astype(float),
        probs=np.eye(2)[pred],
        true=true,
        rule="argmax",
        groups=["I"] * 4 + ["II"] * 4 + ["VI"] * 4,
    )
    assert report["group_accuracy_gap"] == 0.5
    assert report["per_group"]["VI"]["below_rest"] == pytest.approx(0.0)
    assert report["per_group"]["II"]["below_rest"] == pytest.approx(0.375)
    assert report["group_largest_shortfall"] == pytest.approx(0.375)


def test_confusion_png_is_written(tmp_path):
    path = save_confusion_png(np.eye(6, dtype=int) * 3, GEA.labels, tmp_path / "cm.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.fixture
def tiny_checkpoint(tmp_path):
    torch.manual_seed(0)
    model = SkinNet(num_grades=6, aux_heads={"ethnicity": 2, "gender": 2})
    meta = {
        "scale": GEA.to_dict(),
        "input_size": 32,
        "aux_heads": {"ethnicity": ["II", "IV"], "gender": ["female", "male"]},
    }
    return save_checkpoint(tmp_path / "tiny.pt", model, meta)


def _no_face_in_the_first_image(path, size, margin):
    # Module level: the data set may hand it to worker processes.
    if path.name == "0000.png":
        return None, "no_face"
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB").resize((size, size))), ""


def test_evaluate_checkpoint_counts_images_without_a_face(
    tiny_manifest, tiny_checkpoint, monkeypatch
):
    from modelbuilding import data
    from modelbuilding.evaluate import evaluate_checkpoint

    normalizer = _no_face_in_the_first_image
    monkeypatch.setattr(data, "_normalize_one", normalizer)
    report, meta = evaluate_checkpoint(tiny_manifest, checkpoint=tiny_checkpoint)
    assert report["n"] == 35 and report["failures"] == 1
    assert report["failure_reasons"] == "no_face: 1"
    assert set(report["per_group"]) == {"II", "IV"}
    assert report["rule"] == meta["decision_rule"]


def test_evaluate_cli_prints_json(
    tiny_manifest, tiny_checkpoint, monkeypatch, capsys, resize_normalizer
):
    from modelbuilding import data
    from modelbuilding.cli import main

    monkeypatch.setattr(data, "_normalize_one", resize_normalizer)
    code = main(
        ["evaluate", "--data", str(tiny_manifest), "--checkpoint", str(tiny_checkpoint), "--json"]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert {
        "mae",
        "rmse",
        "accuracy",
        "within1",
        "n",
        "per_group",
        "per_grade_recall",
        "ece",
        "rules",
    } <= set(report)
    assert report["n"] == 36


def test_evaluate_cli_with_a_missing_manifest_exits_2_with_one_line(
    tmp_path, tiny_checkpoint, capsys
):
    from modelbuilding.cli import main

    code = main(
        [
            "evaluate",
            "--data",
            str(tmp_path / "none.csv"),
            "--checkpoint",
            str(tiny_checkpoint),
            "--json",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "none.csv" in err


def test_evaluate_cli_with_a_bad_checkpoint_exits_2_with_one_line(tiny_manifest, tmp_path, capsys):
    from modelbuilding.cli import main

    bad = tmp_path / "bad.pt"
    bad.write_text("garbage")
    code = main(["evaluate", "--data", str(tiny_manifest), "--checkpoint", str(bad), "--json"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "bad.pt" in err


def test_evaluate_cli_with_a_malformed_manifest_exits_2_with_one_line(
    tmp_path, tiny_checkpoint, capsys
):
    from modelbuilding.cli import main

    (tmp_path / "m.csv").write_text("path,grade\na.jpg,\n")
    code = main(
        ["evaluate", "--data", str(tmp_path / "m.csv"), "--checkpoint", str(tiny_checkpoint)]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "m.csv:2" in err
