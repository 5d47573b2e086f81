"""How each photo was read, in the shopper's words: the slot the shopper chose is what the photo
shows (pure, no database)."""

import pytest

from diagnosis import readings


def zone(name, slot="left"):
    return {"zone": name, "slot": slot, "severity": 2.0}


def test_a_side_photo_shows_its_own_cheek_never_the_far_one():
    zones = [zone(name) for name in ("forehead", "nose", "left_cheek", "right_cheek", "chin")]

    assert [z["zone"] for z in readings.visible_zones(zones, "left")] == [
        "forehead",
        "nose",
        "left_cheek",
        "chin",
    ]
    assert "left_cheek" not in [z["zone"] for z in readings.visible_zones(zones, "right")]
    assert readings.visible_zones(zones, "front") == zones


def test_a_checks_zones_are_judged_by_the_photo_each_came_from():
    combined = [zone("right_cheek", "left"), zone("right_cheek", "right"), zone("chin", "left")]

    assert readings.visible_zones(combined) == combined[1:]


@pytest.mark.parametrize(
    ("slot", "view", "says"),
    [
        ("front", "frontal", ""),
        ("left", "profile", ""),
        ("front", "profile", "look straight at the camera"),
        ("front", "close-up", "hold the phone at arm's length"),
        ("left", "frontal", "only your left cheek is outlined"),
        ("right", "close-up", "Read as a close-up of your right cheek."),
    ],
)
def test_a_reading_is_said_against_the_slot_with_what_to_do(slot, view, says):
    text = readings.reading(slot, view)

    assert (says in text) if says else text == ""
    assert "analysed as" not in text


def test_the_engines_remarks_become_what_the_shopper_can_do():
    eyes = "The eyes were not found; the face was cropped without levelling it."
    close = "No whole face was found; the photo was analysed as a close-up of the skin."
    several = "Several faces were found; the largest one was analysed."

    assert readings.advice("front", "frontal", [eyes]) == [readings.EYES_ADVICE]
    # A side photo shows one eye: nothing to fix.
    assert readings.advice("left", "profile", [eyes, close]) == []
    assert readings.advice("left", "profile", [several]) == [readings.SEVERAL_FACES_ADVICE]
    assert readings.advice("front", "frontal", ["A new remark."]) == ["A new remark."]


def test_an_ungradable_photo_without_a_face_has_no_face_or_skin_we_can_grade():
    unsure = "We cannot grade this photo reliably: the analysis is unsure which grade it shows."

    assert readings.refusal("close-up", "uncertain_grade", unsure) == (
        "no_face",
        readings.NO_FACE_OR_SKIN,
    )
    assert readings.refusal("frontal", "uncertain_grade", unsure) == ("uncertain_grade", unsure)
