"""Face zones from the landmarks face.py finds: which zone a point of the crop is in, for
frontal faces (eyes found or not), side views and close-ups, and each zone's findings."""

import numpy as np
import pytest

from diagnosis.ml import zones
from diagnosis.ml.zones import findings, zone_map

SIZE = 224
# A frontal face whose eyes the cascade found: 60 px apart, levelled, midpoint (112, 90).
EYES = ((82.0, 90.0), (142.0, 90.0))


def test_a_frontal_face_has_all_five_zones_where_a_face_has_them():
    frontal = zone_map(size=SIZE, view="frontal", eyes=EYES)

    assert frontal.names == zones.ZONES
    assert frontal.zone_at(112, 45) == "forehead"  # 0.75 eye distances above the eyes
    assert frontal.zone_at(112, 120) == "nose"
    assert frontal.zone_at(112, 190) == "chin"  # well below the mouth
    # Photos are not mirrored: the shopper's right cheek is on the picture's left.
    assert frontal.zone_at(60, 130) == "right_cheek"
    assert frontal.zone_at(164, 130) == "left_cheek"
    assert frontal.zone_at(82, 90) is None  # on an eye: no skin zone


def test_the_template_follows_the_eyes():
    # The same face smaller and lower in the crop: the zones move and shrink with the eyes.
    small = zone_map(size=SIZE, view="frontal", eyes=((97.0, 120.0), (127.0, 120.0)))

    assert small.zone_at(112, 100) == "forehead"
    assert small.zone_at(112, 45) is None  # above the small face's hairline
    assert small.zone_at(86, 135) == "right_cheek"


def test_without_eyes_a_frontal_face_gets_the_average_eye_position():
    guessed = zone_map(size=SIZE, view="frontal", eyes=None)

    midpoint = np.array(zones.MEAN_EYE_MIDPOINT) * SIZE
    assert guessed.zone_at(*(midpoint + [0, -0.8 * zones.MEAN_EYE_DISTANCE * SIZE])) == "forehead"
    assert guessed.names == zones.ZONES


@pytest.mark.parametrize(("facing", "cheek_x", "nose_x"), [("right", 80, 170), ("left", 144, 54)])
def test_a_side_view_shows_one_cheek_on_the_side_away_from_the_nose(facing, cheek_x, nose_x):
    side = zone_map(size=SIZE, view="profile", facing=facing)

    # The nose points to the picture's right: the shopper turned to their left and shows their
    # right cheek (and the other way round).
    assert side.names == ("forehead", "nose", f"{facing}_cheek", "chin")
    assert side.zone_at(cheek_x, 130) == f"{facing}_cheek"
    assert side.zone_at(nose_x, 110) == "nose"


def test_the_slot_the_shopper_chose_names_the_cheek_of_a_side_view():
    # A mirrored selfie turns the geometry around; what the shopper said they showed wins.
    side = zone_map(size=SIZE, view="profile", facing="right", slot="left")

    assert "left_cheek" in side.names and "right_cheek" not in side.names


def test_a_close_up_is_the_cheek_of_its_slot_or_no_zone_at_all():
    left = zone_map(size=SIZE, view="close-up", slot="left")
    unknown = zone_map(size=SIZE, view="close-up", slot=None)
    front = zone_map(size=SIZE, view="close-up", slot="front")

    assert left.names == ("left_cheek",) and left.areas() == {"left_cheek": SIZE * SIZE}
    assert unknown.names == () and front.names == ()


def test_a_zone_the_crop_cuts_away_is_not_visible():
    # Eyes low in the crop: the chin falls outside it.
    low = zone_map(size=SIZE, view="frontal", eyes=((62.0, 200.0), (162.0, 200.0)))

    assert "chin" not in low.names
    assert "forehead" in low.names


def test_unknown_views_and_slots_are_refused():
    with pytest.raises(ValueError, match="view"):
        zone_map(size=SIZE, view="sideways")
    with pytest.raises(ValueError, match="slot"):
        zone_map(size=SIZE, view="frontal", slot="top")


def test_findings_put_the_zone_holding_the_heat_first_with_the_views_severity():
    frontal = zone_map(size=SIZE, view="frontal", eyes=EYES)
    heat = np.zeros((SIZE, SIZE), np.float32)
    heat[120:150, 150:180] = 1.0  # on the shopper's left cheek
    heat[30:50, 100:120] = 0.2  # a little on the forehead

    found = findings(heat, frontal, score=3.2)

    assert [z["zone"] for z in found[:2]] == ["left_cheek", "forehead"]
    assert found[0]["label"] == "left cheek"
    assert found[0]["severity"] == pytest.approx(3.2)  # the hottest zone carries the score
    assert 0 < found[1]["severity"] < 1.0
    assert sum(z["share"] for z in found) == pytest.approx(1.0, abs=1e-3)
    assert {z["zone"] for z in found[2:]} == {"nose", "right_cheek", "chin"}
    assert all(z["share"] == 0 and z["severity"] == 0 for z in found[2:])


def test_findings_outlines_are_in_the_pictures_pixels():
    frontal = zone_map(size=SIZE, view="frontal", eyes=EYES)
    # The crop is the picture shrunk by half and shifted by (-10, -20).
    matrix = np.array([[0.5, 0.0, -10.0], [0.0, 0.5, -20.0]])

    found = findings(np.ones((SIZE, SIZE), np.float32), frontal, score=2.0, matrix=matrix)

    in_crop = frontal.outlines[found[0]["zone"]]
    expected = (in_crop + [10.0, 20.0]) * 2.0
    np.testing.assert_allclose(found[0]["outline"], expected, atol=0.1)


def test_no_heat_gives_zero_findings_not_a_division_by_zero():
    frontal = zone_map(size=SIZE, view="frontal", eyes=EYES)

    found = findings(np.zeros((SIZE, SIZE)), frontal, score=4.0)

    assert all(z["share"] == 0 and z["severity"] == 0 for z in found)


def test_a_small_zone_full_of_heat_outranks_a_big_zone_with_a_little_more_spread_thin():
    frontal = zone_map(size=SIZE, view="frontal", eyes=EYES)
    areas = frontal.areas()
    heat = np.zeros((SIZE, SIZE), np.float32)
    nose = frontal.labels == frontal.names.index("nose")
    chin = frontal.labels == frontal.names.index("chin")
    heat[nose] = 1.0
    # The chin and jaw holds 20 % more heat in all, spread over a zone several times larger.
    heat[chin] = 1.2 * areas["nose"] / areas["chin"]

    found = findings(heat, frontal, score=3.0)

    assert areas["chin"] > 2 * areas["nose"]
    assert found[0]["zone"] == "nose"
    assert found[1]["zone"] == "chin" and found[1]["share"] > found[0]["share"]
