"""How well heatmaps cover the acne, on synthetic selfies whose lesion masks are known, and the
heatmap threshold a checkpoint uses by default.

The threshold drops the weak part of the averaged Grad-CAM map before it is drawn. How weak is
"weak" depends on the model (a better-trained model may spread more low activation over the
face), so each checkpoint carries its own, chosen on calibration selfies by the overlap
(F1) between the kept region and the lesions.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from diagnosis.ml import explain as xai
from diagnosis.ml import face as face_mod
from diagnosis.ml.contract import to_tensor
from diagnosis.ml.errors import AnalysisError

from . import synth

# Lesions are a few pixels wide at 128 px: a map that lands next to one still points at it.
TOLERANCE = 0.03  # of the side, about 4 px at 128 px
THRESHOLD_CANDIDATES = (0.3, 0.4, 0.5, 0.6, 0.7)


@dataclass(frozen=True)
class LesionFace:
    face: np.ndarray  # the normalized face, (S, S, 3) uint8 RGB
    lesions: np.ndarray  # (S, S) bool, the generator's lesion mask in the face's frame
    grade: int
    selfie: Image.Image  # the whole synthetic photo the face was cut from


def lesion_faces(
    n: int, seed: int, *, size: int, margin: float, style: str = "default", synth_size: int = 384
) -> tuple[list[LesionFace], int]:
    """``n`` synthetic selfies of grades 1-5 (grade 0 has no lesion to find), normalized as the
    model sees them, with their lesion masks warped into the same frame. Returns the faces and
    how many were skipped (no usable face, or no lesion left inside the crop)."""

    rng = np.random.default_rng(seed)
    faces, skipped = [], 0
    for i in range(n):
        grade = 1 + i % (len(synth.GRADE_RECIPES) - 1)
        sample = synth.render_selfie(rng, grade, size=synth_size, style=style)
        try:
            norm = face_mod.normalize_face(sample.image, size=size, margin=margin)
        except AnalysisError:
            skipped += 1
            continue
        mask = cv2.warpAffine(
            sample.mask, norm.matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0
        )
        if not (mask > 0).any():
            skipped += 1
            continue
        faces.append(LesionFace(norm.image, mask > 0, grade, sample.image))
    return faces, skipped


def dilate(lesions: np.ndarray) -> np.ndarray:
    """The lesion mask widened by the pointing tolerance."""
    radius = max(1, round(lesions.shape[0] * TOLERANCE))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(lesions.astype(np.uint8), kernel) > 0


def overlap(heatmap: np.ndarray, lesions: np.ndarray, threshold: float) -> dict[str, float]:
    """The region a heatmap keeps at ``threshold`` against the (dilated) lesions: coverage (share
    of the face kept), recall (share of the lesions kept), precision and their F1."""
    kept = heatmap >= threshold
    hit = float((kept & lesions).sum())
    recall = hit / max(float(lesions.sum()), 1.0)
    precision = hit / max(float(kept.sum()), 1.0)
    f1 = 2 * recall * precision / (recall + precision) if recall + precision else 0.0
    return {"coverage": float(kept.mean()), "recall": recall, "precision": precision, "f1": f1}


def choose_threshold(
    maps: list[np.ndarray],
    lesions: list[np.ndarray],
    candidates: tuple[float, ...] = THRESHOLD_CANDIDATES,
) -> tuple[float, dict[float, dict[str, float]]]:
    """The candidate with the best mean F1 over the maps (ties: the lower one, which keeps more
    of the lesions), and the mean figures of every candidate."""
    if not maps or len(maps) != len(lesions):
        raise ValueError("give one lesion mask per heatmap, at least one")
    table = {}
    for t in candidates:
        rows = [overlap(m, d, t) for m, d in zip(maps, lesions, strict=True)]
        table[t] = {key: float(np.mean([r[key] for r in rows])) for key in rows[0]}
    best = max(candidates, key=lambda t: (round(table[t]["f1"], 9), -t))
    return best, table


def calibrate_threshold(
    model, meta: dict, faces: list[LesionFace], *, k: int = xai.DEFAULT_K
) -> tuple[float, dict[float, dict[str, float]]]:
    """The default heatmap threshold for this model, from its k-copy maps on ``faces``."""
    maps = [
        xai.explain_maps(
            model,
            to_tensor(f.face, mean=meta["mean"], std=meta["std"]),
            k=k,
            seed=i,
            target=str(meta.get("target_layer") or xai.DEFAULT_TARGET_LAYER),
        )[0].numpy()
        for i, f in enumerate(faces)
    ]
    return choose_threshold(maps, [dilate(f.lesions) for f in faces])
