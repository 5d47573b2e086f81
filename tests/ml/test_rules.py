"""One formula per rule: model building picks its thresholds and figures with the functions the
worker applies (the out-of-distribution distance, the decision rules, their default)."""

import numpy as np
import pytest
import torch

from diagnosis.ml.checkpoint import DEFAULT_META
from diagnosis.ml.inference import Analyzer
from diagnosis.ml.model import DECISION_RULES, DEFAULT_DECISION_RULE, SkinNet, decide_grade
from diagnosis.ml.scale import GEA
from modelbuilding import evaluate, realeval


def test_the_ood_threshold_is_chosen_on_the_distance_the_worker_measures():
    rng = np.random.default_rng(0)
    seen = rng.normal(size=(200, 16))
    fit = realeval.fit_ood(seen, components=6)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    meta = {**DEFAULT_META, "scale": GEA.to_dict(), "ood_threshold": 1.0}
    worker = Analyzer(model, meta, {f"ood.{k}": torch.from_numpy(v) for k, v in fit.items()})
    photos = rng.normal(size=(5, 16)) * 3

    measured = [worker._ood_distance(torch.from_numpy(row).float()) for row in photos]

    np.testing.assert_allclose(measured, realeval.ood_distances(photos.astype(np.float32), fit))


@pytest.mark.parametrize("rule", DECISION_RULES)
def test_evaluation_reads_grades_by_the_workers_rules(rule):
    torch.manual_seed(0)
    outputs = {"regression": torch.rand(64) * 6 - 0.5, "logits": torch.randn(64, 6) * 2}
    probs = torch.softmax(outputs["logits"], 1)

    evaluated = evaluate.grades_by_rule(outputs["regression"].numpy(), probs.numpy(), rule)

    assert evaluated.tolist() == decide_grade(outputs, rule, 6).tolist()


def test_a_checkpoint_without_a_rule_is_read_with_the_one_default():
    meta = {k: v for k, v in DEFAULT_META.items() if k != "decision_rule"}
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    analyzer = Analyzer(model, {**meta, "scale": GEA.to_dict()})
    assert analyzer.decision_rule == DEFAULT_META["decision_rule"] == DEFAULT_DECISION_RULE
