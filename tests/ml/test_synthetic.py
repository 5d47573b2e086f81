"""The synthetic model's card: every figure the build measured ends up in it."""

import numpy as np

from diagnosis.ml.scale import GEA
from modelbuilding.evaluate import full_report
from modelbuilding.synthetic import synthetic_card


def _report(accuracy_by_group: dict[str, int]) -> dict:
    """Four images per group, ``accuracy_by_group[g]`` of them graded right."""
    true, pred, groups = [], [], []
    for group, right in accuracy_by_group.items():
        true += [2] * 4
        pred += [2] * right + [3] * (4 - right)
        groups += [group] * 4
    pred = np.array(pred)
    return full_report(
        regression=pred.astype(float),
        probs=np.eye(GEA.num_grades)[pred],
        true=np.array(true),
        rule="round",
        groups=groups,
    )


def _meta() -> dict:
    gen = {"n": 10, "seed": 1, "style": "default"}
    return {
        "name": "skinshop-demo",
        "version": "1",
        "arch": "resnet18",
        "scale": GEA.to_dict(),
        "aux_heads": {"ethnicity": ["I", "II", "VI"]},
        "input_size": 128,
        "face_margin": 0.4,
        "mean": [0.5, 0.5, 0.5],
        "std": [0.2, 0.2, 0.2],
        "target_layer": "encoder.layer3",
        "decision_rule": "round",
        "data_hash": "0123456789abcdef",
        "heatmap_threshold": 0.5,
        "heatmap_calibration": {
            "seed": 1501,
            "n": 10,
            "candidates": {
                "0.3": {"coverage": 0.6, "recall": 0.9, "precision": 0.1, "f1": 0.18},
                "0.5": {"coverage": 0.2, "recall": 0.6, "precision": 0.3, "f1": 0.4},
            },
        },
        "metrics": {
            "validation": {"rules": {"round": 0.1, "argmax": 0.2, "expectation": 0.15}},
            "best_epoch": 3,
        },
        "training": {
            "generator": {"train": gen, "heldout": gen, "shifted": gen | {"style": "shifted"}},
            "train_images": 8,
            "val_images": 2,
            "val_fraction": 0.15,
            "skipped_no_face": 0,
            "dropout": 0.2,
            "lambda_mse": 1.0,
            "lambda_ce": 1.0,
            "lambda_aux": 0.1,
            "lr": 0.002,
            "weight_decay": 0.0001,
            "batch_size": 32,
            "epochs": 3,
            "patience": 2,
            "threads": 2,
            "seconds": 12.0,
            "timings_s": {"total": 20.0},
        },
    }


def test_the_card_lists_each_skin_tone_group_against_the_others():
    reports = {"heldout": _report({"I": 4, "II": 3, "VI": 2}), "shifted": _report({"I": 4})}
    card = synthetic_card(_meta(), reports)

    assert "**Not a medical device.**" in card
    # VI: 2/4 right against 7/8 for the others, 0.375 below them.
    assert "| heldout | VI | 4 | 0.500 | 0.375 |" in card
    assert "| heldout | best minus worst group | | 0.500 | largest: 0.375 | | |" in card
    assert "| heldout | 12 | 0 |" in card
    assert "| validation | 0.100 | 0.200 | 0.150 |" in card
    # The heatmap threshold, with the calibration it was chosen by; the chosen row stands out.
    assert "heatmap threshold\n  0.5 (see Heatmap below)" in card
    assert "on 10 calibration selfies" in card
    assert "| 0.3 | 0.600 | 0.900 | 0.100 | 0.180 |" in card
    assert "| **0.5** | 0.200 | 0.600 | 0.300 | **0.400** |" in card
    assert "- 4 held-out images per skin-tone group" in card
    assert "  heldout: 2 mild (0.75); shifted: 2 mild (1.00)." in card
