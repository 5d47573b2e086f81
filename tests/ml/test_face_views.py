"""Normalization of real photos: side views, skin close-ups, and focus measured so that sharp
photos of smooth skin are not refused as blurry."""

import cv2
import numpy as np
import pytest

from diagnosis.ml import face
from diagnosis.ml.errors import NoFaceFound, TooBlurry
from diagnosis.ml.face import normalize_face, sharpness, skin_fraction
from modelbuilding import synth
from tests.ml.factories import skin_close_up

SKIN_TONES = {"light": (222, 178, 150), "medium": (190, 135, 100), "dark": (105, 68, 50)}


def old_sharpness(image: np.ndarray) -> float:
    """The focus measure the shop used before: the Laplacian at 128 px wide."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    scale = 128 / gray.shape[1]
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


def test_a_sharp_close_up_of_smooth_skin_is_no_longer_called_blurry():
    photo = skin_close_up()
    assert old_sharpness(photo) < 20  # what refused sharp clinic photos before

    normalized = normalize_face(photo, size=224)

    assert normalized.view == "close-up"
    assert normalized.image.shape == (224, 224, 3)
    assert any("close-up" in note for note in normalized.notes)


def test_a_blurred_close_up_is_still_too_blurry():
    with pytest.raises(TooBlurry):
        normalize_face(cv2.GaussianBlur(skin_close_up(), (0, 0), 2.0))


@pytest.mark.parametrize("tone", SKIN_TONES.values(), ids=SKIN_TONES.keys())
def test_skin_is_recognized_whatever_its_tone(tone):
    assert skin_fraction(skin_close_up(tone, size=128)) > 0.9


def test_an_even_skin_coloured_wall_is_not_a_close_up():
    with pytest.raises(NoFaceFound):
        normalize_face(np.full((320, 320, 3), (150, 140, 130), np.uint8))


def test_a_photo_with_neither_face_nor_skin_is_refused():
    rng = np.random.default_rng(1)
    leaves = np.zeros((400, 400, 3), np.uint8)
    leaves[..., 1] = rng.integers(90, 200, (400, 400))  # green, textured, sharp
    leaves[..., 2] = 40
    assert sharpness(leaves) > 10
    with pytest.raises(NoFaceFound):
        normalize_face(leaves)


def test_a_close_up_crop_is_the_centred_square_and_maps_back():
    photo = skin_close_up(size=640)[:, :480]  # portrait 480 x 640
    normalized = normalize_face(photo, size=120)

    assert normalized.box == (0, 80, 480, 480)
    centre = normalized.matrix @ np.array([240.0, 320.0, 1.0])
    np.testing.assert_allclose(centre, [60.0, 60.0])


def test_a_side_view_is_found_by_the_profile_cascade(monkeypatch):
    photo = skin_close_up(size=512)
    photo[:, :200] = (30, 60, 40)  # background on one side: not a close-up
    monkeypatch.setattr(face, "_detect_faces", lambda gray, min_width: np.zeros((0, 4)))
    monkeypatch.setattr(
        face, "_detect_profiles", lambda gray, min_width: np.array([[220.0, 120.0, 200.0, 200.0]])
    )

    normalized = normalize_face(photo, size=128)

    assert normalized.view == "profile"
    assert normalized.box == (220, 120, 200, 200)
    assert normalized.eyes is None
    # The box's centre lands in the middle of the crop.
    np.testing.assert_allclose(normalized.matrix @ np.array([320.0, 220.0, 1.0]), [64.0, 64.0])


class FakeProfileCascade:
    """Finds a 'face' only where a marker sits on the left half of what it is shown."""

    def detectMultiScale(self, gray, **kwargs):  # noqa: N802 - OpenCV's name
        left = gray[:, : gray.shape[1] // 2]
        if (left == 255).sum() > 50:
            return np.array([[10, 20, 60, 60]])
        return ()


def test_faces_turned_the_other_way_are_found_in_the_mirrored_photo(monkeypatch):
    monkeypatch.setattr(face, "_cascade", lambda name: FakeProfileCascade())
    gray = np.full((100, 200), 100, np.uint8)
    gray[40:60, 150:190] = 255  # the marker on the right: only the mirror shows it on the left

    boxes = face._detect_profiles(gray, min_width=40)

    # Found in the mirror at x=10..70, i.e. x=130..190 in the photo, its nose to the right.
    np.testing.assert_allclose(boxes, [[130, 20, 60, 60, 1]])


def test_a_small_frontal_box_without_eyes_in_a_close_up_is_not_trusted(monkeypatch):
    # Haar "faces" on a nose or a chin seen up close: the photo is read as a close-up instead.
    monkeypatch.setattr(
        face, "_detect_faces", lambda gray, min_width: np.array([[200.0, 200.0, 120.0, 120.0]])
    )
    monkeypatch.setattr(face, "_detect_profiles", lambda gray, min_width: np.zeros((0, 4)))

    normalized = normalize_face(skin_close_up(size=512), size=128)

    assert normalized.view == "close-up"


def _small_frontal_box_with_eyes(monkeypatch):
    # A 120 px "face" with a pair of "eyes" in it: what the cascades find on an eye, a cheek or
    # a mouth seen up close (ACNE04's close-ups), and in a small face seen from afar.
    monkeypatch.setattr(
        face, "_detect_faces", lambda gray, min_width: np.array([[200.0, 200.0, 120.0, 120.0]])
    )
    eyes = (np.array([230.0, 240.0]), np.array([290.0, 240.0]))
    monkeypatch.setattr(face, "_find_eyes", lambda rgb, box: eyes)
    monkeypatch.setattr(face, "_detect_profiles", lambda gray, min_width: np.zeros((0, 4)))


def test_a_small_frontal_box_with_eyes_in_a_photo_skin_fills_is_read_as_a_close_up(monkeypatch):
    _small_frontal_box_with_eyes(monkeypatch)

    normalized = normalize_face(skin_close_up(size=512), size=128)

    assert normalized.view == "close-up"


def test_a_small_frontal_face_with_eyes_before_a_background_is_still_trusted(monkeypatch):
    _small_frontal_box_with_eyes(monkeypatch)
    photo = skin_close_up(size=512)
    photo[:, :170] = photo[:, 340:] = (60, 110, 80)  # a room around a face seen from afar

    normalized = normalize_face(photo, size=128)

    assert normalized.view == "frontal"
    assert normalized.box == (200, 200, 120, 120)


@pytest.mark.parametrize(("found_in_mirror", "facing"), [(1.0, "right"), (-1.0, "left")])
def test_a_side_view_remembers_which_way_the_nose_points(monkeypatch, found_in_mirror, facing):
    photo = skin_close_up(size=512)
    photo[:, :200] = (30, 60, 40)
    monkeypatch.setattr(face, "_detect_faces", lambda gray, min_width: np.zeros((0, 4)))
    monkeypatch.setattr(
        face,
        "_detect_profiles",
        lambda gray, min_width: np.array([[220.0, 120.0, 200.0, 200.0, found_in_mirror]]),
    )

    assert normalize_face(photo, size=128).facing == facing


def test_a_photo_said_to_show_a_side_looks_for_a_side_face_first(monkeypatch):
    photo = skin_close_up(size=512)
    photo[:, :200] = (30, 60, 40)
    frontal_looks = []

    def detect_faces(gray, min_width):
        frontal_looks.append(gray.shape)
        return np.array([[150.0, 100.0, 260.0, 260.0]])  # a frontal cascade's box, too

    monkeypatch.setattr(face, "_detect_faces", detect_faces)
    monkeypatch.setattr(
        face, "_detect_profiles", lambda gray, min_width: np.array([[220.0, 120.0, 200.0, 200.0]])
    )

    side = normalize_face(photo, size=128, side=True)
    assert side.view == "profile" and side.box == (220, 120, 200, 200)
    assert frontal_looks == []  # the frontal looks (about a second) were skipped
    # Not said to be a side, the same photo is read as the frontal face, as before.
    assert normalize_face(photo, size=128).view == "frontal"


def test_a_photo_said_to_show_a_side_without_a_side_face_is_read_as_before(monkeypatch):
    profile_looks = []

    def detect_profiles(gray, min_width):
        profile_looks.append(gray.shape)
        return np.zeros((0, 5))

    monkeypatch.setattr(face, "_detect_profiles", detect_profiles)
    picture = synth.render_selfie(np.random.default_rng(3), 2, size=512).image

    as_side, as_is = (normalize_face(picture, size=128, side=s) for s in (True, False))
    assert (as_side.view, as_side.box, as_side.eyes) == (as_is.view, as_is.box, as_is.eyes)

    # No face of any kind (a close-up): the side look made first is not made again.
    monkeypatch.setattr(face, "_detect_faces", lambda gray, min_width: np.zeros((0, 4)))
    profile_looks.clear()
    assert normalize_face(skin_close_up(size=512), size=128, side=True).view == "close-up"
    assert len(profile_looks) == 1


class LookEveryTime(face._ProfileLook):
    """The detection path as it was: each question runs the whole profile cascade again."""

    def __call__(self, at_least=None):
        return face._detect_profiles(self._gray, self._min_width)


def _generated_photos():
    rng = np.random.default_rng(21)
    for grade in (1, 3, 5):
        picture = np.asarray(synth.render_selfie(rng, grade, size=384).image.convert("RGB"))
        yield picture
        yield picture[:, : picture.shape[1] * 3 // 5]  # one side cut off: no frontal face at once
        yield np.ascontiguousarray(np.rot90(picture))  # a face the frontal looks miss


def _crop(picture, side):
    try:
        normalized = normalize_face(picture, size=128, side=side)
    except Exception as exc:  # noqa: BLE001 - the same refusal counts as the same reading
        return type(exc).__name__
    return normalized.view, normalized.box, normalized.image.tobytes()


@pytest.mark.parametrize("side", [False, True], ids=["any-photo", "said-a-side"])
@pytest.mark.parametrize("eyes_missed", [False, True])
def test_the_faster_profile_look_crops_generated_faces_as_before(monkeypatch, side, eyes_missed):
    if eyes_missed:  # a frontal face without eyes is doubted: the side look is asked for
        monkeypatch.setattr(face, "_find_eyes", lambda rgb, box: None)
    looks = []
    detect_profiles = face._detect_profiles

    def counted(gray, min_width):
        looks.append(min_width)
        return detect_profiles(gray, min_width)

    monkeypatch.setattr(face, "_detect_profiles", counted)
    asked_twice = 0
    for picture in _generated_photos():
        looks.clear()
        fast = _crop(picture, side)
        ran_now = len(looks)
        with monkeypatch.context() as before:
            before.setattr(face, "_ProfileLook", LookEveryTime)
            looks.clear()
            slow = _crop(picture, side)
            asked_twice += len(looks) == 2
        assert fast == slow
        assert ran_now <= 1
    # A side photo whose frontal face is doubted asked the cascade twice; now once.
    assert (asked_twice > 0) == (side and eyes_missed)


def test_the_part_of_a_crop_past_the_photos_edge_is_marked_outside():
    # A face box at the photo's left edge: the square crop with its margin passes the edge.
    matrix = np.array([[0.5, 0.0, 20.0], [0.0, 0.5, 0.0]])  # x_crop = 0.5 x + 20

    inside = face.inside_photo(matrix, (400, 400), 128)

    assert inside.shape == (128, 128)
    assert not inside[:, :19].any()  # crop x < 20 is left of the photo
    assert inside[:, 21:].all()
