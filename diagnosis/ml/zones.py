"""Face zones: where on the face the heatmap's signs are (forehead, nose, cheeks, chin and jaw).

The zones are drawn from landmarks that the engine finds offline with OpenCV's shipped
cascades (face.py): the eye centres of a frontal face, or which way a side view's nose points.
A template of the face's proportions is placed on them:
- frontal, eyes found: in units of the distance between the eyes, from their midpoint (the
  eyes levelled by the crop). Anthropometric means: the hairline about 1.3 eye-distances above
  the eye line, the nose tip 0.8 below, the mouth 1.15, the chin 2.0; the cheekbones 1.15 to
  either side.
- frontal, eyes not found: the same template where the eyes sit on average in the crop of the
  frontal cascade's box (measured on ACNE04 training photos whose eyes were found: midpoint at
  (0.51, 0.42) of the crop, 0.254 of its side apart).
- side view: a template in the crop's own frame (the profile cascade's box, centred), for a
  nose pointing to the picture's right, mirrored for the left; only the cheek turned to the
  camera is visible.
- close-up: no landmarks; the one zone is the cheek of the side the shopper said they took
  (the upload's slot), else no zone.

Which cheek is the shopper's own: in a frontal photo their right cheek is on the picture's left
(photos as phones save them, not mirrored). A side view's slot ("left": the shopper showed their
left cheek) wins over the picture's geometry; without a slot, a nose pointing to the picture's
left shows the left cheek.

Each zone gets its share of the lesions counted in the view (or of the heat, for a model that
counts none), and a severity on the grading scale: the view's score times the zone's weight
relative to the largest. The lesion count or the heatmap says where, the model's score says how
much. The weight:
- with a model that counts lesions (lesions.py): the lesions counted in the zone. On ACNE04
  training photographs (two folds, each counted by a head trained on the other) the zone with
  the most counted lesions held the most boxed lesions in 81 % of the photographs with lesions in
  two or more zones, against 72 % for the heatmap's rule below (docs/design.md);
- without one: the zone's heat in the averaged Grad-CAM map (before its display threshold)
  divided by the square root of its area, between the heat it holds (which favours big zones)
  and its mean heat (which favours small ones). On 202 ACNE04 training photographs (every second
  one) it named the zone with the most lesions in 75 % of them, against 71 % for the heat held,
  63 % for the mean heat and 74 % for the heat squared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from .slots import SLOTS

ZONES = ("forehead", "nose", "left_cheek", "right_cheek", "chin")
LABELS = {
    "forehead": "forehead",
    "nose": "nose",
    "left_cheek": "left cheek",
    "right_cheek": "right cheek",
    "chin": "chin and jaw",
}

# Eyes of a frontal face's crop when the cascade found none (see the module's docstring).
MEAN_EYE_MIDPOINT = (0.51, 0.42)
MEAN_EYE_DISTANCE = 0.254

# Frontal template: (x, y) in eye distances from the eyes' midpoint; x grows to the picture's
# right. The cheek on the picture's left is the shopper's right cheek.
_FRONTAL = {
    "forehead": [(-1.1, -0.42), (1.1, -0.42), (1.0, -1.35), (-1.0, -1.35)],
    "nose": [(-0.28, -0.25), (0.28, -0.25), (0.38, 0.88), (-0.38, 0.88)],
    "picture_left_cheek": [(-1.2, 0.2), (-0.38, 0.2), (-0.38, 0.9), (-0.55, 1.15), (-1.1, 1.2)],
    "picture_right_cheek": [(1.2, 0.2), (0.38, 0.2), (0.38, 0.9), (0.55, 1.15), (1.1, 1.2)],
    "chin": [
        (-1.1, 1.2),
        (-0.55, 1.15),
        (-0.38, 0.9),
        (0.38, 0.9),
        (0.55, 1.15),
        (1.1, 1.2),
        (0.85, 1.8),
        (0.3, 2.05),
        (-0.3, 2.05),
        (-0.85, 1.8),
    ],
}
# Side-view template for a nose pointing to the picture's right: (x, y) as shares of the crop.
_SIDE = {
    "forehead": [(0.28, 0.04), (0.8, 0.04), (0.78, 0.36), (0.28, 0.36)],
    "nose": [(0.62, 0.36), (0.88, 0.36), (0.88, 0.66), (0.62, 0.66)],
    "cheek": [(0.2, 0.4), (0.62, 0.4), (0.62, 0.7), (0.58, 0.8), (0.22, 0.8)],
    "chin": [(0.22, 0.8), (0.58, 0.8), (0.62, 0.66), (0.86, 0.66), (0.86, 1.0), (0.3, 1.0)],
}


@dataclass(frozen=True)
class ZoneMap:
    """The visible zones of one normalized face: a label per pixel and each zone's outline."""

    size: int
    labels: np.ndarray  # (size, size) int8: index into ``names``, -1 outside every zone
    names: tuple[str, ...]  # the visible zones, in ZONES order
    outlines: dict[str, np.ndarray]  # zone -> (n, 2) polygon in the crop's pixels

    def areas(self) -> dict[str, int]:
        return {name: int((self.labels == i).sum()) for i, name in enumerate(self.names)}

    def zone_at(self, x: float, y: float) -> str | None:
        """The zone under a point of the crop, or None."""
        col, row = int(np.clip(x, 0, self.size - 1)), int(np.clip(y, 0, self.size - 1))
        index = int(self.labels[row, col])
        return self.names[index] if index >= 0 else None


def zone_map(
    *,
    size: int,
    view: str,
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None,
    facing: str | None = None,
    slot: str | None = None,
) -> ZoneMap:
    """The zones of a face normalized by face.normalize_face (its ``view``, ``eyes`` and
    ``facing``); ``slot`` is the side the shopper said the photo shows, when they said."""
    if slot is not None and slot not in SLOTS:
        raise ValueError(f"unknown slot {slot!r}; expected one of {', '.join(SLOTS)}")
    if view == "frontal":
        polygons = _frontal_polygons(size, eyes)
    elif view == "profile":
        polygons = _side_polygons(size, facing, slot)
    elif view == "close-up":
        polygons = _close_up_polygons(size, slot)
    else:
        raise ValueError(f"unknown view {view!r}")
    return _rasterize(size, polygons)


def _frontal_polygons(size: int, eyes) -> dict[str, np.ndarray]:
    if eyes is None:
        midpoint = np.array(MEAN_EYE_MIDPOINT) * size
        distance = MEAN_EYE_DISTANCE * size
    else:
        left, right = np.asarray(eyes[0]), np.asarray(eyes[1])
        midpoint, distance = (left + right) / 2, float(np.linalg.norm(right - left))
    placed = {k: np.asarray(v) * distance + midpoint for k, v in _FRONTAL.items()}
    # Not mirrored: the picture's left cheek is the shopper's right one.
    return {
        "forehead": placed["forehead"],
        "nose": placed["nose"],
        "right_cheek": placed["picture_left_cheek"],
        "left_cheek": placed["picture_right_cheek"],
        "chin": placed["chin"],
    }


def _side_polygons(size: int, facing: str | None, slot: str | None) -> dict[str, np.ndarray]:
    facing = facing or "right"
    placed = {k: np.asarray(v) * size for k, v in _SIDE.items()}
    if facing == "left":
        for polygon in placed.values():
            polygon[:, 0] = size - polygon[:, 0]
    # Turning to the right (the nose to the picture's left) shows the left cheek.
    cheek = f"{slot}_cheek" if slot in ("left", "right") else f"{facing}_cheek"
    return {
        "forehead": placed["forehead"],
        "nose": placed["nose"],
        cheek: placed["cheek"],
        "chin": placed["chin"],
    }


def _close_up_polygons(size: int, slot: str | None) -> dict[str, np.ndarray]:
    if slot not in ("left", "right"):
        return {}
    return {f"{slot}_cheek": np.array([(0, 0), (size, 0), (size, size), (0, size)], float)}


def _rasterize(size: int, polygons: dict[str, np.ndarray]) -> ZoneMap:
    labels = np.full((size, size), -1, np.int8)
    names = tuple(zone for zone in ZONES if zone in polygons)
    outlines = {}
    for index, zone in enumerate(names):
        outline = np.clip(polygons[zone], 0, size)
        # A zone the crop cuts away (the chin of a tall face) is not visible.
        cv2.fillPoly(labels, [np.round(outline).astype(np.int32)], index)
        outlines[zone] = outline
    seen = [zone for i, zone in enumerate(names) if (labels == i).sum() >= 0.01 * size * size]
    if len(seen) != len(names):
        return _rasterize(size, {zone: polygons[zone] for zone in seen})
    return ZoneMap(size=size, labels=labels, names=names, outlines=outlines)


def findings(
    heatmap: np.ndarray | None,
    zones: ZoneMap,
    *,
    score: float,
    matrix: np.ndarray | None = None,
    density: np.ndarray | None = None,
) -> list[dict]:
    """Per visible zone: its share of what the engine found, its severity on the grading scale,
    and its outline in the analysed picture's pixels (``matrix``: picture -> crop, as face.py
    gives) or in the crop's when no matrix is given. Most affected first.

    With a lesion ``density`` (lesions per crop pixel, lesions.py) a zone's weight is the
    lesions counted in it, also given as ``lesions``; without one (a model with no lesion head)
    its weight is the heatmap's heat over the square root of its area."""
    if density is None and heatmap is None:
        raise ValueError("findings need a heatmap or a lesion density")
    measure = np.asarray(density if density is not None else heatmap, np.float64)
    if measure.shape != zones.labels.shape:
        measure = cv2.resize(measure, (zones.size, zones.size), interpolation=cv2.INTER_LINEAR)
    inverse = None if matrix is None else cv2.invertAffineTransform(np.asarray(matrix, float))
    mass, weight = {}, {}
    for index, zone in enumerate(zones.names):
        inside = measure[zones.labels == index]
        mass[zone] = float(inside.sum())
        # Heat: between the heat a zone holds (which favours big zones) and its mean (which
        # favours small ones), chosen on ACNE04 training photographs (the module's docstring).
        weight[zone] = mass[zone] if density is not None else mass[zone] / math.sqrt(
            max(inside.size, 1)
        )
    total, largest = sum(mass.values()), max(weight.values(), default=0.0)
    out = []
    for zone in zones.names:
        outline = zones.outlines[zone]
        if inverse is not None:
            outline = outline @ inverse[:, :2].T + inverse[:, 2]
        finding = {
            "zone": zone,
            "label": LABELS[zone],
            "share": round(mass[zone] / total, 4) if total > 0 else 0.0,
            "severity": round(score * weight[zone] / largest, 3) if largest > 0 else 0.0,
            "outline": [[round(float(x), 1), round(float(y), 1)] for x, y in outline],
        }
        if density is not None:
            finding["lesions"] = round(mass[zone], 1)
        out.append(finding)
    return sorted(out, key=lambda z: (-z["severity"], ZONES.index(z["zone"])))
