"""The combined loss of claim 9:
L = λmse·MSE(regression, grade) + λce·CE(logits, grade) + Σ λ_attr·CE(aux_attr, label_attr),
and, when λldl > 0, a label-distribution term on the same classifier: KL(target ‖ softmax)
with each grade spread as a Gaussian over the scale (Geng's label distribution learning, as
Wu et al. grade ACNE04), so that calling a severe face moderate costs less than calling it clear
and neighbouring grades share what they teach.

Auxiliary labels may be unknown (-1); those samples are left out of that head's loss, and a head
with no known label in the batch contributes zero (not NaN)."""

from dataclasses import dataclass, field

import torch
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
    ldl: float = 0.0
    ldl_sigma: float = 1.0

    def for_aux(self, name: str) -> float:
        return self.aux.get(name, self.aux_default)


def masked_cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    """Mean cross-entropy over the samples whose label is known; zero when none is."""
    known = labels != UNKNOWN
    if not bool(known.any()):
        return logits.sum() * 0.0 + 0.0  # keeps the graph, device and dtype; +0.0 avoids -0.0
    return F.cross_entropy(logits[known], labels[known])


def label_distribution(grades: Tensor, num_grades: int, sigma: float) -> Tensor:
    """(B,) integer grades -> (B, num_grades): a Gaussian of ``sigma`` grades around each,
    summing to one."""
    steps = torch.arange(num_grades, device=grades.device, dtype=torch.float32)
    spread = torch.exp(-0.5 * ((steps[None, :] - grades[:, None].float()) / sigma) ** 2)
    return spread / spread.sum(dim=1, keepdim=True)


def ldl_loss(logits: Tensor, grades: Tensor, sigma: float) -> Tensor:
    """Mean KL divergence from the grades' label distributions to the classifier's."""
    target = label_distribution(grades, logits.shape[1], sigma)
    log_probs = F.log_softmax(logits.float(), dim=1)
    return (target * (target.clamp_min(1e-12).log() - log_probs)).sum(dim=1).mean()


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
    if weights.ldl > 0:
        ldl = ldl_loss(outputs["logits"], grade, weights.ldl_sigma)
        total = total + weights.ldl * ldl
        parts["ldl"] = float(ldl.detach())
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
