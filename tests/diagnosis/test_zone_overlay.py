"""Zone labels over a photo scale with the face, never overlap and stay inside the photo; a
face too small for words gets numbers, which the key under the photo explains."""

import itertools

import numpy as np

from diagnosis.charts import _CHAR_WIDTH, _HALO, _LINE_HEIGHT, zone_overlay
from diagnosis.ml.zones import LABELS, zone_map


def frontal_zones(face: float, x0: float, y0: float) -> list[dict]:
    """The engine's frontal template for a face ``face`` px wide whose crop starts at (x0, y0)."""
    zones = zone_map(size=224, view="frontal")
    scale = face / 224
    return [
        {
            "zone": name,
            "label": LABELS[name],
            "severity": 2.0,
            "outline": (np.asarray(outline) * scale + (x0, y0)).tolist(),
        }
        for name, outline in zones.outlines.items()
    ]


def boxes(overlay):
    size = overlay.font_size
    for outline in overlay.outlines:
        if outline.text:
            half_w = (_CHAR_WIDTH * len(outline.text) + _HALO) * size / 2
            half_h = _LINE_HEIGHT * size / 2
            yield (
                outline.label_x - half_w,
                outline.label_y - half_h,
                outline.label_x + half_w,
                outline.label_y + half_h,
            )


def overlapping(overlay) -> list:
    found = list(boxes(overlay))
    return [
        (a, b)
        for a, b in itertools.combinations(found, 2)
        if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    ]


def test_on_a_face_filling_the_photo_every_zone_is_named_in_words_that_do_not_overlap():
    overlay = zone_overlay(frontal_zones(900, 50, 50), width=1000, height=1000)

    assert [o.text for o in overlay.outlines] == [o.label for o in overlay.outlines]
    assert {o.label for o in overlay.outlines} >= {"right cheek", "left cheek", "nose"}
    assert not overlapping(overlay)
    assert not overlay.numbered


def test_labels_scale_with_the_face_not_with_the_photo():
    big = zone_overlay(frontal_zones(900, 50, 50), width=1000, height=1000)
    half = zone_overlay(frontal_zones(450, 50, 50), width=1000, height=1000)

    assert half.font_size < big.font_size
    assert half.font_size <= 0.1 * 450 + 1e-6


def test_a_small_face_in_a_big_photo_gets_numbers_that_never_overlap():
    overlay = zone_overlay(frontal_zones(160, 700, 300), width=1600, height=1200)

    assert overlay.numbered
    assert not overlapping(overlay)
    assert [o.number for o in overlay.outlines] == list(range(1, len(overlay.outlines) + 1))
    texts = [o.text for o in overlay.outlines if o.text]
    assert texts and all(text.isdigit() for text in texts)


def test_every_label_stays_inside_the_photo():
    # A face cut by the photo's left edge.
    overlay = zone_overlay(frontal_zones(600, -150, 100), width=640, height=800)

    for left, top, right, bottom in boxes(overlay):
        assert left >= 0 and top >= 0 and right <= 640 and bottom <= 800


def test_no_outline_no_overlay():
    assert zone_overlay([{"zone": "nose", "outline": []}], width=100, height=100).outlines == []
