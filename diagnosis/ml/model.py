"""The patent's network (claims 5-12): a ResNet encoder, global average pooling, and fully
connected heads trained together — a regressor and a classifier over the integer grades, plus
auxiliary categorical heads (e.g. gender, skin-tone group)."""

from pathlib import Path

import torch
from torch import Tensor, nn
from torchvision import models

ARCHS = ("resnet18", "resnet34", "resnet50")
DECISION_RULES = ("round", "argmax", "expectation")


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
        # weights=None: never download; ImageNet initialisation is an explicit local file.
        self.encoder = getattr(models, arch)(weights=None)
        features = self.encoder.fc.in_features
        # The torchvision ResNet already ends in global average pooling + flatten; only its
        # ImageNet classifier is replaced.
        self.encoder.fc = nn.Identity()
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
        features = self.dropout(self.encoder(x))
        out = {
            "regression": self.regressor(features).squeeze(1),
            "logits": self.classifier(features),
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

    def load_imagenet_weights(self, path: str | Path) -> None:
        """Initialise the encoder from a local torchvision ImageNet state dict.

        On an online machine the file comes from torchvision, e.g.
        ``torch.save(torchvision.models.resnet18(weights="IMAGENET1K_V1").state_dict(), path)``.
        The ImageNet classifier (fc.*) is dropped: the heads are ours.
        """
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"{path} does not hold a state dict")
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
        missing, unexpected = self.encoder.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(
                f"{path} does not fit {self.arch}: missing {len(missing)} keys, "
                f"unexpected {len(unexpected)} keys"
            )


def class_probabilities(outputs: dict[str, Tensor]) -> Tensor:
    return torch.softmax(outputs["logits"].float(), dim=1)


def decide_grade(outputs: dict[str, Tensor], rule: str, num_grades: int) -> Tensor:
    """The integer grade read from the outputs by one of the three rules."""
    if rule == "round":
        value = outputs["regression"].float()
    elif rule == "argmax":
        return outputs["logits"].argmax(dim=1).long()
    elif rule == "expectation":
        value = expected_grade(outputs)
    else:
        raise ValueError(
            f"unknown decision rule {rule!r}; choose one of {', '.join(DECISION_RULES)}"
        )
    return value.round().clamp(0, num_grades - 1).long()


def expected_grade(outputs: dict[str, Tensor]) -> Tensor:
    probs = class_probabilities(outputs)
    grades = torch.arange(probs.shape[1], dtype=probs.dtype, device=probs.device)
    return (probs * grades).sum(dim=1)


def severity_score(outputs: dict[str, Tensor], num_grades: int) -> Tensor:
    """A continuous score on the scale: the regressor's output clipped to [0, num_grades - 1]."""
    return outputs["regression"].float().clamp(0, num_grades - 1)
