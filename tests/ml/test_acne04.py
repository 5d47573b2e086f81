"""ACNE04: reading the folder, Hayashi levels on the GEA scale, lesion-free versions, and the
boxes carried into the normalized crop. The folders here are generated: no ACNE04 photograph
is in the repository."""

import cv2
import numpy as np
import pytest

from modelbuilding import acne04
from tests.ml.factories import skin_close_up, write_acne04_folder


@pytest.mark.parametrize(
    ("level", "lesions", "gea"),
    [(0, 0, 1), (0, 1, 1), (0, 2, 2), (0, 5, 2), (1, 1, 3), (1, 12, 3), (2, 30, 4), (3, 60, 5)],
)
def test_hayashi_levels_map_onto_gea(level, lesions, gea):
    assert acne04.gea_grade(level, lesions) == gea


def test_gea_grades_read_back_on_the_four_hayashi_levels():
    assert acne04.gea_to_hayashi(np.array([0, 1, 2, 3, 4, 5])).tolist() == [0, 0, 0, 1, 2, 3]
    assert acne04.gea_to_hayashi(np.array([2.4, 2.6, 4.9])).tolist() == [0, 1, 3]


def test_an_unknown_level_is_refused():
    with pytest.raises(ValueError):
        acne04.gea_grade(4, 0)


def test_a_split_is_read_with_its_boxes(tmp_path):
    write_acne04_folder(
        tmp_path,
        [
            ("train", "levle0_1", 0, [(40, 40, 60, 60)]),
            ("valid", "levle2_1", 2, [(10, 10, 30, 30)] * 3),
        ],
    )
    (photo,) = acne04.read_folder(tmp_path, "train")
    assert photo.level == 0 and photo.lesions == 1
    np.testing.assert_array_equal(photo.boxes, [[40, 40, 60, 60]])
    assert acne04.read_folder(tmp_path, "valid")[0].lesions == 3


def test_a_missing_folder_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError):
        acne04.read_folder(tmp_path / "nowhere", "train")


def test_erasing_the_lesions_leaves_skin():
    image = skin_close_up(size=160)
    spotted = image.copy()
    cv2.circle(spotted, (80, 80), 8, (170, 40, 50), -1)
    erased = acne04.erase_lesions(spotted, np.array([[72, 72, 88, 88]]))
    red = lambda im: float(im[72:89, 72:89, 0].astype(int).mean() - im[72:89, 72:89, 1].mean())  # noqa: E731
    assert red(spotted) > red(image) + 40
    assert abs(red(erased) - red(image)) < 15


def test_boxes_follow_the_crop_and_those_outside_are_dropped():
    matrix = np.array([[0.5, 0.0, -10.0], [0.0, 0.5, -10.0]])  # halve, then shift by -10
    boxes = np.array([[40.0, 40.0, 60.0, 80.0], [500.0, 500.0, 520.0, 520.0]])
    np.testing.assert_allclose(acne04.boxes_in_crop(boxes, matrix, 100), [[10, 10, 20, 30]])


def test_prepare_normalizes_like_the_shop_and_adds_lesion_free_versions(tmp_path):
    write_acne04_folder(
        tmp_path,
        [
            ("train", "levle0_1", 0, [(100, 100, 120, 120)]),
            ("train", "levle1_1", 1, [(50, 50, 70, 70), (200, 200, 220, 220)]),
        ],
    )
    photos = acne04.read_folder(tmp_path, "train")
    crops = acne04.prepare(
        photos, size=64, margin=0.4, cache_dir=tmp_path / "cache", workers=1, log=lambda *_: None
    )

    assert crops.kinds == ["photo", "lesion-free", "photo"]
    assert crops.grades.tolist() == [1, 0, 3]  # one lesion: almost clear; erased: clear
    assert crops.views == ["close-up"] * 3
    np.testing.assert_allclose(crops.boxes[0], [[20, 20, 24, 24]])  # 320 px -> 64 px
    again = acne04.prepare(
        photos, size=64, margin=0.4, cache_dir=tmp_path / "cache", workers=1, log=lambda *_: None
    )
    np.testing.assert_array_equal(again.images, crops.images)  # read back from the cache
    assert [b.tolist() for b in again.boxes] == [b.tolist() for b in crops.boxes]
    # The landmarks travel with the crops, for the face zones: close-ups have none.
    assert again.facings == crops.facings == ["", "", ""]
    assert np.isnan(again.eyes).all() and again.eyes.shape == (3, 4)
    assert again.zone_map(0).names == ()  # a close-up of unknown side has no zone
