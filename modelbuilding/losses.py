"""The combined loss of claim 9:
L = λmse·MSE(regression, grade) + λce·CE(logits, grade) + Σ λ_attr·CE(aux_attr, label_attr).

Auxiliary labels may be unknown (-1); those samples are left out of that head's loss, and a head
with no known label in the batch contributes zero (not NaN)."""

from dataclasses import dataclass, field

import torch.nn.functional as F
from torch import Tensor

UNKNOWN = -1


@dataclass(frozen=True)
class LossWeights:
    mse: float = 1.0
    ce: float = 1.0
    # Per auxiliary head; heads not named here get `aux_default`.
    aux: dict[str, float] = field(default_factory=dict)
    aux_default: float = 0.1

    def for_aux(self, name: str) -> float:
        return self.aux.get(name, self.aux_default)


def masked_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the samples whose label is known; zero when none is."""
    known = labels != UNKNOWN
    if not bool(known.any()):
        return logits.sum() * 0.0 + 0.0  # keeps the graph, device and dtype; +0.0 avoids -0.0
    return F.cross_entropy(logits[known], labels[known])


def combined_loss(
    outputs: dict[str, Tensor], targets: dict[str, Tensor], weights: LossWeights | None = None
) -> tuple[Tensor, dict[str, float]]:
    """Return the total loss and its parts (as floats, for logging).

    targets: "grade" (B,) long, and "aux:<name>" (B,) long with -1 for unknown.
    """
    weights = weights or LossWeights()
    grade = targets["grade"]
    mse = F.mse_loss(outputs["regression"].float(), grade.float())
    ce = F.cross_entropy(outputs["logits"].float(), grade)
    total = weights.mse * mse + weights.ce * ce
    parts = {"mse": float(mse.detach()), "ce": float(ce.detach())}
    for key, logits in outputs.items():
        if not key.startswith("aux:"):
            continue
        name = key[4:]
        labels = targets.get(key)
        if labels is None:
            continue
        aux = masked_cross_entropy(logits.float(), labels)
        total = total + weights.for_aux(name) * aux
        parts[key] = float(aux.detach())
    parts["total"] = float(total.detach())
    return total, parts
