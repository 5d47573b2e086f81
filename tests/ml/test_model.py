import pytest
import torch

from diagnosis.ml.model import SkinNet, decide_grade, expected_grade, grade_score, severity_score
from diagnosis.ml.scale import GEA, Scale


def test_gea_scale_has_six_labelled_grades_and_round_trips():
    assert GEA.num_grades == 6
    assert GEA.label(0) == "clear" and GEA.label(5) == "very severe"
    assert Scale.from_dict(GEA.to_dict()) == GEA
    with pytest.raises(ValueError):
        GEA.label(6)


@pytest.mark.parametrize("arch", ["resnet18", "resnet34"])
def test_forward_gives_regression_logits_and_aux_heads(arch):
    model = SkinNet(arch=arch, num_grades=6, aux_heads={"gender": 2, "ethnicity": 6}).eval()
    out = model(torch.rand(3, 3, 64, 64))
    assert out["regression"].shape == (3,)
    assert out["logits"].shape == (3, 6)
    assert out["aux:gender"].shape == (3, 2)
    assert out["aux:ethnicity"].shape == (3, 6)


def test_resnet50_encoder_builds_without_downloading():
    model = SkinNet(arch="resnet50", num_grades=4).eval()
    assert model(torch.rand(1, 3, 64, 64))["logits"].shape == (1, 4)


def test_unknown_arch_is_refused():
    with pytest.raises(ValueError, match="unknown architecture"):
        SkinNet(arch="vgg16", num_grades=6)


def test_get_layer_resolves_dotted_names():
    model = SkinNet(num_grades=6)
    assert model.get_layer("encoder.layer3") is model.encoder.layer3
    assert model.get_layer("encoder.layer4.1.conv2") is model.encoder.layer4[1].conv2
    with pytest.raises(ValueError, match="no layer"):
        model.get_layer("encoder.layer9")


def test_imagenet_weights_load_from_a_local_state_dict(tmp_path):
    from torchvision.models import resnet18

    source = resnet18(weights=None)
    torch.save(source.state_dict(), tmp_path / "r18.pth")
    model = SkinNet(num_grades=6)
    model.load_imagenet_weights(tmp_path / "r18.pth")
    assert torch.equal(model.encoder.conv1.weight, source.conv1.weight)


def _outputs(regression, logits):
    return {"regression": torch.tensor(regression), "logits": torch.tensor(logits)}


def test_decide_grade_rules_differ_as_defined():
    # Regression 1.4 -> round 1; classifier peaks at 1; expectation 0.5*1 + 0.2*4 + 0.3*5 = 2.8.
    logits = torch.log(torch.tensor([[1e-9, 0.5, 1e-9, 1e-9, 0.2, 0.3]])).tolist()
    out = _outputs([1.4], logits)
    assert decide_grade(out, "round", 6).tolist() == [1]
    assert decide_grade(out, "argmax", 6).tolist() == [1]
    assert decide_grade(out, "expectation", 6).tolist() == [3]


def test_decide_grade_clips_to_the_scale():
    out = _outputs([-1.2, 7.9], [[0.0] * 6, [0.0] * 6])
    assert decide_grade(out, "round", 6).tolist() == [0, 5]
    assert severity_score(out, 6).tolist() == [0.0, 5.0]
    with pytest.raises(ValueError):
        decide_grade(out, "median", 6)


def test_confidence_counts_the_decided_grade_and_its_neighbours():
    from diagnosis.ml.model import confidence_within_one

    probs = torch.tensor([[0.1, 0.2, 0.4, 0.2, 0.1, 0.0], [0.5, 0.3, 0.1, 0.05, 0.05, 0.0]])
    got = confidence_within_one(probs, torch.tensor([2, 0]))
    torch.testing.assert_close(got, torch.tensor([0.8, 0.8]))


@pytest.mark.parametrize("rule", ["round", "argmax", "expectation"])
def test_the_score_rounds_to_the_grade_whatever_the_rule(rule):
    # The regressor says 3.9 while the probabilities' mean is 4.6 (the grades disagreed before:
    # "very severe" with a severity score of 3.9).
    logits = torch.log(
        torch.tensor([[0.01, 0.01, 0.01, 0.02, 0.3, 0.65], [0.46, 0.3, 0.2, 0.04, 0, 0]]) + 1e-9
    )
    out = _outputs([3.9, 1.93], logits.tolist())

    grades = decide_grade(out, rule, 6)
    scores = grade_score(out, rule, 6)

    assert torch.equal(scores.round().long(), grades), (rule, scores, grades)
    if rule == "expectation":
        torch.testing.assert_close(scores, expected_grade(out).float())
    if rule == "round":
        torch.testing.assert_close(scores, torch.tensor([3.9, 1.93]))
