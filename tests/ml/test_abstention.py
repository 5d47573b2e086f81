"""Knowing when not to answer: the calibrated confidence and the out-of-distribution distance
that a checkpoint carries, and what the result says when the grade must not be used."""

from pathlib import Path

import numpy as np
import torch

from diagnosis.ml.checkpoint import read_extra, save_checkpoint
from diagnosis.ml.inference import Analyzer
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from tests.ml.factories import SIZE


def write(path: Path, **meta_extra) -> Path:
    torch.manual_seed(0)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    meta = {
        "scale": GEA.to_dict(),
        "input_size": SIZE,
        "decision_rule": "argmax",
        "name": "abstainer",
        "version": "1",
        **meta_extra,
    }
    extra = {  # resnet18's 512 pooled features
        "ood.mean": torch.zeros(512),
        "ood.components": torch.eye(4, 512),
        "ood.variances": torch.ones(4),
    }
    return save_checkpoint(path, model, meta, extra=extra)


def test_extra_tensors_travel_with_the_weights(tmp_path):
    path = write(tmp_path / "m.pt")
    extra = read_extra(path)
    assert set(extra) == {"ood.mean", "ood.components", "ood.variances"}
    assert extra["ood.components"].shape == (4, 512)


def test_a_confident_familiar_photo_is_answered(tmp_path, selfie):
    path = write(tmp_path / "m.pt", confidence_threshold=0.0, ood_threshold=1e9)
    result = Analyzer.load(path).analyze(selfie, explain=False)
    assert result.reliable and result.abstain == {}
    assert 0.0 < result.confidence <= 1.0 and result.ood_distance is not None
    assert result.to_dict()["reliable"] is True


def test_an_unsure_grade_is_withheld_with_advice(tmp_path, selfie):
    path = write(tmp_path / "m.pt", confidence_threshold=0.999, ood_threshold=1e9)
    result = Analyzer.load(path).analyze(selfie, explain=False)
    assert not result.reliable
    assert result.abstain["code"] == "uncertain_grade"
    assert "cannot grade this photo reliably" in result.abstain["message"]


def test_a_photo_unlike_the_training_data_is_withheld(tmp_path, selfie):
    path = write(tmp_path / "m.pt", confidence_threshold=0.0, ood_threshold=0.0)
    result = Analyzer.load(path).analyze(selfie, explain=False)
    assert result.abstain["code"] == "unfamiliar_photo"


def test_the_temperature_softens_the_confidence(tmp_path, selfie):
    sharp = Analyzer.load(write(tmp_path / "a.pt", temperature=0.2)).analyze(selfie, explain=False)
    soft = Analyzer.load(write(tmp_path / "b.pt", temperature=50.0)).analyze(selfie, explain=False)
    # Nearly uniform: the decided grade and its one or two neighbours hold 2/6 or 3/6.
    assert min(abs(soft.confidence - 2 / 6), abs(soft.confidence - 3 / 6)) < 0.03
    assert sharp.confidence > soft.confidence


def test_models_without_the_statistics_always_answer(tmp_path, selfie):
    torch.manual_seed(0)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    path = save_checkpoint(tmp_path / "old.pt", model, {"scale": GEA.to_dict(), "input_size": SIZE})
    result = Analyzer.load(path).analyze(selfie, explain=False)
    assert result.reliable and result.ood_distance is None
    assert np.isfinite(result.confidence)
