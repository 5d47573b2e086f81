"""Joint grading and counting: the grade read from the grading heads and the lesion count
together.

The Hayashi levels are lesion counts (mild 0-5, moderate 6-20, severe 21-50, very severe over
50): on ACNE04's photographs the dermatologists' own boxed counts, put in those bands, give the
dermatologists' level 96 % of the time. The patent's grading heads read the face's look and
under-call the severe grades; the lesion counter (lesions.py) counts. As in Wu et al. (ICCV 2019,
joint grading and counting), the count becomes a distribution over the grades, and that
distribution is pooled with the grading heads' (calibrated) one. The grade, its score and its
confidence are then read from the pooled distribution by the model's decision rule.

What the rule's numbers are (the count's calibration, its spread and the count's weight) is
chosen by model building on training folds (modelbuilding.joint_training) and carried in the
checkpoint's metadata (``meta["joint"]``); a checkpoint without it grades with its heads alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from .errors import CheckpointError

POOLED_RULES = ("expectation", "argmax")


@dataclass(frozen=True)
class JointRule:
    # Count bounds between neighbouring grades (num_grades - 1, increasing): a count below
    # edges[g] and at or above edges[g - 1] is grade g.
    edges: tuple[float, ...]
    # The counter's count recalibrated on log(1 + count): slope * log1p(count) + intercept (a
    # counter trained on densities under-counts crowded faces and over-counts clear ones).
    slope: float
    intercept: float
    # The recalibrated count's error (standard deviation on log(1 + count)).
    spread: float
    # The count's share of the pooled distribution: 0 grades by the heads alone, 1 by the count.
    weight: float
    # How the grade is read from the pooled distribution (model.DECISION_RULES, not "round":
    # the regressor does not see the count).
    rule: str = "expectation"

    def __post_init__(self) -> None:
        if any(b <= a for a, b in zip(self.edges, self.edges[1:], strict=False)):
            raise ValueError("the count edges must increase")
        if not self.spread > 0 or not 0.0 <= self.weight <= 1.0 or not self.slope > 0:
            raise ValueError("the joint rule needs spread > 0, slope > 0 and 0 <= weight <= 1")
        if self.rule not in POOLED_RULES:
            raise ValueError(f"the joint rule reads grades by one of {', '.join(POOLED_RULES)}")

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> JointRule | None:
        """The rule a checkpoint carries (``meta["joint"]``), or None."""
        spec = meta.get("joint")
        if not spec:
            return None
        try:
            rule = cls(
                edges=tuple(float(e) for e in spec["edges"]),
                slope=float(spec["slope"]),
                intercept=float(spec["intercept"]),
                spread=float(spec["spread"]),
                weight=float(spec["weight"]),
                rule=str(spec.get("rule", "expectation")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"the checkpoint's joint grading rule is invalid: {exc}") from exc
        labels = meta.get("scale", {}).get("labels")
        if labels is not None and len(rule.edges) != len(labels) - 1:
            raise CheckpointError("the joint grading rule's count edges do not fit the scale")
        return rule

    def to_meta(self) -> dict[str, Any]:
        return {
            "edges": list(self.edges),
            "slope": self.slope,
            "intercept": self.intercept,
            "spread": self.spread,
            "weight": self.weight,
            "rule": self.rule,
        }

    def count_probabilities(self, counts: Tensor) -> Tensor:
        """(N,) lesion counts -> (N, G) grade probabilities: the recalibrated count's normal
        spread on log(1 + count), integrated over each grade's count band."""
        centre = self.slope * torch.log1p(counts.double().clamp(min=0)) + self.intercept
        cuts = torch.log1p(torch.tensor(self.edges, dtype=torch.float64))
        z = (cuts[None, :] - centre[:, None]) / (self.spread * math.sqrt(2))
        below = 0.5 * (1 + torch.erf(z))
        ones = torch.ones(len(counts), 1, dtype=torch.float64)
        cdf = torch.cat([torch.zeros_like(ones), below, ones], dim=1)
        return (cdf[:, 1:] - cdf[:, :-1]).clamp(min=0).float()

    def probabilities(self, grading: Tensor, counts: Tensor) -> Tensor:
        """The pooled distribution: the heads' (calibrated) probabilities (N, G) and the count's,
        mixed by the count's weight."""
        counted = self.count_probabilities(counts).to(grading.dtype)
        return (1 - self.weight) * grading + self.weight * counted
