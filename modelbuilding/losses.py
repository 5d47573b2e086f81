"""The combined loss of claim 9:
L = λmse·MSE(regression, grade) + λce·CE(logits, grade) + Σ λ_attr·CE(aux_attr, label_attr),
and, when λldl > 0, a label-distribution term on the same classifier: KL(target ‖ softmax)
with each grade spread as a Gaussian over the scale (Geng's label distribution learning, as
Wu et al. grade ACNE04), so that calling a severe face moderate costs less than calling it clear
and neighbouring grades share what they teach.

Auxiliary labels may be unknown (-1); those samples are left out of that head's loss, and a head
with no known label in the batch contributes zero (not NaN).

Beside them, when the encoder learns to count too (train.TrainConfig.lambda_count), the lesion
head's loss (``count_loss``): the Hayashi levels are lesion counts, so the encoder is taught
where each boxed lesion is, not only the face's overall look."""

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
    count: float = 0.0  # the lesion head's loss (count_loss), applied by the training loop

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


# The density's per-cell squared error is scaled as the frozen-feature counter's is
# (lesion_training.fit, x 100 per cell), then divided by 10 so that a crop with a dozen lesions
# weighs about what the grade's loss does.
DENSITY_SCALE = 1e4 / 10


def count_loss(density: Tensor, target: Tensor, counted: Tensor) -> Tensor:
    """The lesion head's loss over the crops whose lesions are known (``counted``; a synthetic
    selfie's are not): per-cell squared error against the target density (where the lesions
    are), plus a smooth L1 on log(1 + count) (how many: what the Hayashi levels read). Zero
    when no crop of the batch is counted."""
    if not bool(counted.any()):
        return density.sum() * 0.0
    d, t = density[counted].float(), target[counted].float()
    where = ((d - t) ** 2).mean() * DENSITY_SCALE
    how_many = F.smooth_l1_loss(torch.log1p(d.sum(dim=(1, 2))), torch.log1p(t.sum(dim=(1, 2))))
    return where + how_many
