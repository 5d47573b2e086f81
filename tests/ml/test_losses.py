import math

import torch

from modelbuilding.losses import (
    LossWeights,
    combined_loss,
    label_distribution,
    ldl_loss,
    masked_cross_entropy,
)


def _batch(b=4, grades=6):
    torch.manual_seed(0)
    outputs = {
        "regression": torch.randn(b, requires_grad=True),
        "logits": torch.randn(b, grades, requires_grad=True),
        "aux:gender": torch.randn(b, 2, requires_grad=True),
    }
    targets = {
        "grade": torch.tensor([0, 2, 5, 3])[:b],
        "aux:gender": torch.tensor([1, -1, 0, -1])[:b],
    }
    return outputs, targets


def test_combined_loss_is_the_weighted_sum_of_its_parts():
    outputs, targets = _batch()
    weights = LossWeights(mse=2.0, ce=0.5, aux={"gender": 0.3})
    total, parts = combined_loss(outputs, targets, weights)
    assert total.shape == ()
    expected = 2.0 * parts["mse"] + 0.5 * parts["ce"] + 0.3 * parts["aux:gender"]
    assert math.isclose(parts["total"], expected, rel_tol=1e-5)
    total.backward()
    assert outputs["regression"].grad is not None


def test_aux_loss_uses_only_known_labels():
    outputs, targets = _batch()
    _, parts = combined_loss(outputs, targets)
    known = torch.tensor([0, 2])
    expected = torch.nn.functional.cross_entropy(
        outputs["aux:gender"][known].detach(), targets["aux:gender"][known]
    )
    assert math.isclose(parts["aux:gender"], expected.item(), rel_tol=1e-5)


def test_aux_loss_with_no_known_label_is_zero_not_nan():
    logits = torch.randn(3, 2, requires_grad=True)
    loss = masked_cross_entropy(logits, torch.tensor([-1, -1, -1]))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.all(logits.grad == 0)


def test_unknown_aux_labels_do_not_change_the_total():
    outputs, targets = _batch()
    all_unknown = {**targets, "aux:gender": torch.full((4,), -1)}
    no_aux = {"grade": targets["grade"]}
    total_unknown, _ = combined_loss(outputs, all_unknown)
    total_none, _ = combined_loss(outputs, no_aux)
    assert torch.isfinite(total_unknown)
    assert math.isclose(float(total_unknown.detach()), float(total_none.detach()), rel_tol=1e-6)


def test_a_grades_label_distribution_peaks_on_it_and_spreads_to_its_neighbours():
    spread = label_distribution(torch.tensor([0, 3]), 6, sigma=1.0)

    torch.testing.assert_close(spread.sum(dim=1), torch.ones(2))
    assert spread.argmax(dim=1).tolist() == [0, 3]
    assert math.isclose(float(spread[1, 2]), float(spread[1, 4]), rel_tol=1e-6)
    assert spread[1, 2] > spread[1, 0] > 0


def test_the_label_distribution_loss_costs_a_near_miss_less_than_a_far_one():
    severe = torch.tensor([4])
    # Both give the true grade the same 0.02: cross-entropy cannot tell them apart.
    said_moderate = torch.log(torch.tensor([[0.016, 0.016, 0.016, 0.9, 0.02, 0.032]]))
    said_clear = torch.log(torch.tensor([[0.9, 0.016, 0.016, 0.016, 0.02, 0.032]]))
    right = torch.log(label_distribution(severe, 6, sigma=1.0))

    ce = torch.nn.functional.cross_entropy
    assert math.isclose(float(ce(said_moderate, severe)), float(ce(said_clear, severe)))
    assert ldl_loss(right, severe, 1.0) < 1e-5
    assert ldl_loss(said_moderate, severe, 1.0) < ldl_loss(said_clear, severe, 1.0)


def test_the_label_distribution_term_is_added_only_when_weighted():
    outputs, targets = _batch()

    plain_total, plain = combined_loss(outputs, targets, LossWeights())
    total, parts = combined_loss(outputs, targets, LossWeights(ldl=0.5))

    assert "ldl" not in plain and parts["ldl"] > 0
    assert math.isclose(parts["total"], plain["total"] + 0.5 * parts["ldl"], rel_tol=1e-5)
    total.backward()
    assert outputs["logits"].grad is not None


def test_the_count_loss_reads_only_the_crops_whose_lesions_are_known():
    from modelbuilding.losses import count_loss

    target = torch.zeros(3, 4, 4)
    target[0, 1, 1] = 5.0  # five lesions in one cell
    right = target.clone()
    wrong = torch.zeros(3, 4, 4, requires_grad=True)
    known = torch.tensor([True, True, False])

    assert float(count_loss(right, target, known)) < 1e-6
    assert float(count_loss(wrong, target, known).detach()) > 1.0
    # The crop whose lesions are unknown teaches nothing, whatever it predicts.
    unknown_off = right.clone()
    unknown_off[2] = 9.0
    assert float(count_loss(unknown_off, target, known)) < 1e-6
    none = count_loss(wrong, target, torch.zeros(3, dtype=torch.bool))
    assert float(none.detach()) == 0.0
    none.backward()
    assert wrong.grad is not None


def test_the_count_loss_prefers_the_right_count_in_the_wrong_place_to_no_count():
    from modelbuilding.losses import count_loss

    target = torch.zeros(1, 8, 8)
    target[0, 2, 2] = 30.0
    known = torch.tensor([True])
    shifted = torch.zeros(1, 8, 8)
    shifted[0, 2, 3] = 30.0
    under = target * 0.2

    assert count_loss(shifted, target, known) > 0
    assert count_loss(target * 0.9, target, known) < count_loss(under, target, known)
