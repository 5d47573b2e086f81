"""The severity scale, kept as data so that a checkpoint carries the scale it was trained on."""

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scale:
    """An ordinal scale of integer grades 0..num_grades-1, each with a human label."""

    name: str
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.labels) < 2:
            raise ValueError("a scale needs at least two grades")
        # Frozen dataclass: coerce lists (from JSON) to a tuple so the scale stays hashable.
        object.__setattr__(self, "labels", tuple(str(label) for label in self.labels))

    @property
    def num_grades(self) -> int:
        return len(self.labels)

    def label(self, grade: int) -> str:
        if not 0 <= int(grade) < self.num_grades:
            raise ValueError(
                f"grade {grade} is outside the {self.name} scale 0..{self.num_grades - 1}"
            )
        return self.labels[int(grade)]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "labels": list(self.labels)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scale":
        return cls(name=str(data["name"]), labels=tuple(data["labels"]))


# Global Acne Severity scale (GEA), grades 0-5.
GEA = Scale("GEA", ("clear", "almost clear", "mild", "moderate", "severe", "very severe"))
