"""A photo the shopper sent as their front photo is read as their face even when it fills the
frame (the cascades miss a face with no margin), not as a close-up of skin; photos sent
without a slot are read as before."""

import numpy as np

from diagnosis.ml.face import normalize_face
from modelbuilding.synth import render_selfie


def face_filling_the_frame():
    image = render_selfie(np.random.default_rng(2), 2, size=512).image
    # The face alone, cut tight: no margin round it.
    return image.crop((115, 89, 396, 371)).resize((600, 600))


def test_a_front_photo_filled_by_the_face_is_read_as_a_frontal_face():
    photo = face_filling_the_frame()

    assert normalize_face(photo).view == "close-up"  # without the shopper's word
    face = normalize_face(photo, front=True)

    assert face.view == "frontal"
    x, y, w, h = face.box
    assert w >= 0.45 * 600 and x < 300 < x + w and y < 300 < y + h


def test_a_front_photo_of_a_face_with_a_margin_is_read_the_same_either_way():
    photo = render_selfie(np.random.default_rng(4), 2, size=512).image

    plain, front = normalize_face(photo), normalize_face(photo, front=True)

    assert (front.view, front.box) == (plain.view, plain.box) == ("frontal", plain.box)


def test_the_analysis_takes_the_front_slot_as_the_shoppers_word():
    from diagnosis.ml.inference import Analyzer

    photo = face_filling_the_frame()
    analyzer = Analyzer.load()

    assert analyzer.analyze(photo, slot="front", explain=False).view == "frontal"
    assert analyzer.analyze(photo, explain=False).view == "close-up"
