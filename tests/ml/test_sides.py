"""One convention for the sides of a face: the shopper's. The generator paints a "left_cheek"
where the engine's zones find the left cheek, and the shop's slots are the engine's."""

import cv2
import numpy as np
import pytest

from diagnosis.ml.face import normalize_face
from diagnosis.ml.slots import SLOTS
from diagnosis.ml.zones import zone_map
from modelbuilding.synth import render_selfie


def _selfie_with_lesions_on(cheek: str):
    """A grade-1 selfie (one zone with lesions) whose only zone is ``cheek``."""
    for seed in range(400):
        sample = render_selfie(np.random.default_rng(seed), 1, size=384, roll=0.0)
        if sample.attrs["zones"] == cheek and sample.mask.any():
            return sample
    raise AssertionError(f"no seed painted the {cheek} alone")


@pytest.mark.parametrize("cheek", ["left_cheek", "right_cheek"])
def test_the_generators_cheek_is_the_cheek_the_engine_names(cheek):
    sample = _selfie_with_lesions_on(cheek)
    face = normalize_face(sample.image, size=128)
    zones = zone_map(size=128, view=face.view, eyes=face.eyes, facing=face.facing)
    lesions = cv2.warpAffine(sample.mask, face.matrix, (128, 128)) > 0
    labels = zones.labels[lesions]
    named = [zones.names[i] for i in labels[labels >= 0]]

    assert max(set(named), key=named.count) == cheek


def test_the_shops_slots_are_the_engines():
    from diagnosis.models import DiagnosisPhoto
    from diagnosis.serializers import PHOTO_FIELDS

    assert tuple(DiagnosisPhoto.Slot.values) == SLOTS == ("front", "left", "right")
    assert DiagnosisPhoto.Slot.LEFT == "left" and DiagnosisPhoto.Slot.LEFT.label == "Left side"
    assert PHOTO_FIELDS == ("front", "left", "right", "image")
