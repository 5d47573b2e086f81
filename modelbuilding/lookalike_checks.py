"""The look-alike check set: clear faces drawn plainly and with each look-alike
(``lookalikes``), normalized as the model reads faces, and the false-acne rates a model gives
them. Apart from ``lookalikes`` because the generator draws with that module and this one draws
with the generator."""

from __future__ import annotations

import numpy as np

from diagnosis.ml.errors import AnalysisError
from diagnosis.ml.face import normalize_face

from .acne04 import Crops
from .lookalikes import LOOK_ALIKES, check
from .synth import render_selfie

CHECK_SEED = 2121  # a seed no training or selection set uses
TRAIN_SEED = 3131  # the clear faces a model learns look-alikes from (training_crops)
CONTROL = "none"  # the same clear faces without any look-alike


def check_set(n: int, *, seed: int = CHECK_SEED, size: int = 384, kinds=LOOK_ALIKES):
    """(kind, selfie) pairs: ``n`` clear faces, each drawn once plainly (``CONTROL``) and once
    with each look-alike; the same faces (same seeds) under every kind, so the kinds compare.
    Beards and stubble are drawn on men's faces."""
    kinds = check(kinds)
    for i in range(n):
        gender = "M" if i % 2 == 0 else "F"
        for kind in (CONTROL, *kinds):
            face_seed = seed * 1000 + i
            pinned = "M" if kind in ("stubble", "beard") else gender
            marks = () if kind == CONTROL else (kind,)
            rng = np.random.default_rng(face_seed)
            sample = render_selfie(rng, 0, size=size, look_alikes=marks, gender=pinned)
            yield kind, sample.image


def check_crops(n: int, *, size: int, margin: float, seed: int = CHECK_SEED):
    """The check set normalized as the model reads faces: (kinds, (N, size, size, 3) uint8).
    Faces the normalization refuses are left out."""
    kinds, images = [], []
    for kind, image in check_set(n, seed=seed):
        try:
            images.append(normalize_face(image, size=size, margin=margin).image)
        except AnalysisError:
            continue
        kinds.append(kind)
    return np.array(kinds), np.stack(images) if images else np.zeros((0, size, size, 3), np.uint8)


def training_crops(n: int, *, size: int, margin: float, seed: int = TRAIN_SEED) -> Crops:
    """Clear faces to learn from, drawn as the check set is but from their own seed: ``n``
    faces, plain and under each look-alike, labelled clear (GEA 0) with no lesion, so that the
    grade and the lesion counter both learn that stubble or freckles are not acne."""
    if seed == CHECK_SEED:
        raise ValueError("the look-alikes a model learns from must not be those it is checked on")
    kinds, images = check_crops(n, size=size, margin=margin, seed=seed)
    m = len(kinds)
    return Crops(
        images=images,
        grades=np.zeros(m, int),
        levels=np.full(m, -1),
        kinds=kinds.tolist(),
        views=["frontal"] * m,
        paths=[f"look-alike-{seed}-{i // (len(LOOK_ALIKES) + 1)}" for i in range(m)],
        boxes=[np.zeros((0, 4))] * m,
        failures={},
        eyes=np.full((m, 4), np.nan),
        facings=[""] * m,
    )


def false_acne(kinds, grades, reliable=None) -> dict[str, dict[str, float]]:
    """Per look-alike (and ``all``): how many faces, the share read clear or almost clear
    (GEA 0-1), the share read moderate or worse (3+), and, when the reliability is given, the
    share given a reliable grade of mild or worse (2+: a kit sold on a clear face)."""
    kinds, grades = np.asarray(kinds), np.asarray(grades)
    reliable = None if reliable is None else np.asarray(reliable, bool)
    out = {}
    for kind in [*dict.fromkeys(kinds.tolist()), "all"]:
        chosen = kinds != CONTROL if kind == "all" else kinds == kind
        if not chosen.any():
            continue
        row = {
            "n": int(chosen.sum()),
            "clear_or_almost": float((grades[chosen] <= 1).mean()),
            "moderate_or_worse": float((grades[chosen] >= 3).mean()),
        }
        if reliable is not None:
            row["reliable_mild_or_worse"] = float(((grades >= 2) & reliable)[chosen].mean())
        out[kind] = row
    return out
