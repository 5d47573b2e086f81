"""Face normalization: decoding uploads safely, finding and levelling the face, typed errors."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from diagnosis.ml.errors import FaceTooSmall, InvalidImage, NoFaceFound, TooBlurry, TooDark
from diagnosis.ml.face import load_image, normalize_face
from modelbuilding import synth


def selfie(seed: int = 0, *, size: int = 384, **overrides) -> synth.SynthSample:
    overrides.setdefault("roll", 0.0)
    return synth.render_selfie(np.random.default_rng(seed), 2, size=size, **overrides)


def jpeg_bytes(image: Image.Image, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **kwargs)
    return buffer.getvalue()


# --- load_image ---------------------------------------------------------------------------


def test_bytes_that_are_not_an_image_are_refused():
    with pytest.raises(InvalidImage):
        load_image(b"this is a text file, not a selfie")


def test_a_truncated_jpeg_is_refused():
    data = jpeg_bytes(selfie().image)
    with pytest.raises(InvalidImage):
        load_image(data[: len(data) // 2])


def test_an_image_over_the_pixel_limit_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("RGB", (3000, 3000), "white").save(buffer, "PNG")
    with pytest.raises(InvalidImage, match="too large"):
        load_image(buffer.getvalue(), max_pixels=1_000_000)


def test_exif_orientation_is_applied(tmp_path):
    # Left half red, right half blue; orientation 6 means "turn 90 degrees clockwise to view".
    array = np.zeros((40, 60, 3), np.uint8)
    array[:, :30] = (255, 0, 0)
    array[:, 30:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    Image.fromarray(array).save(path, exif=exif.tobytes(), quality=95)

    image = load_image(path)

    assert image.size == (40, 60)
    assert image.mode == "RGB"
    top, bottom = np.asarray(image)[5, 20], np.asarray(image)[55, 20]
    assert top[0] > 200 and top[2] < 60  # the red half is now on top
    assert bottom[2] > 200 and bottom[0] < 60


def test_transparent_png_becomes_rgb_on_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(buffer, "PNG")
    image = load_image(buffer.getvalue())
    assert image.mode == "RGB" and image.getpixel((5, 5)) == (255, 255, 255)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "nope.jpg")


# --- normalize_face -----------------------------------------------------------------------


def test_a_selfie_is_normalized_to_the_requested_size():
    sample = selfie(1)
    face = normalize_face(sample.image, size=160)

    assert face.image.shape == (160, 160, 3) and face.image.dtype == np.uint8
    assert face.matrix.shape == (2, 3)
    x, y, w, h = face.box
    fx, fy, fw, fh = sample.attrs["face_box"]
    # The detected box lies on the drawn face.
    assert fx - 0.2 * fw < x + w / 2 - fw / 2 < fx + 0.2 * fw
    assert abs((x + w / 2) - (fx + fw / 2)) < 0.2 * fw
    assert 0.6 * fw < w < 1.6 * fw


def test_the_eyes_are_levelled_and_the_matrix_maps_them_into_the_crop():
    sample = selfie(3, roll=9.0)
    face = normalize_face(sample.image, size=224)

    eyes = np.c_[np.array(sample.attrs["eyes"]), np.ones(2)] @ face.matrix.T
    (lx, ly), (rx, ry) = eyes
    assert abs(ly - ry) < 4  # level after the 9 degree roll is undone
    assert 40 < lx < 112 < rx < 184  # left eye left of centre, right eye right of it
    assert 40 < ly < 130  # eyes in the upper part of the crop
    assert not any("eyes were not found" in note for note in face.notes)
    # The eyes the cascade found are kept, in the crop's pixels, for the face zones.
    np.testing.assert_allclose(face.eyes, eyes, atol=8)


def test_warping_the_original_with_the_matrix_reproduces_the_crop():
    sample = selfie(3, roll=-6.0)
    face = normalize_face(sample.image, size=128)

    again = cv2.warpAffine(
        np.asarray(sample.image),
        face.matrix,
        (128, 128),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    assert np.abs(again.astype(int) - face.image.astype(int)).mean() < 2.0


def test_a_large_photo_gives_the_same_face_as_a_small_one():
    sample = selfie(4)
    big = cv2.resize(np.asarray(sample.image), (1600, 1600), interpolation=cv2.INTER_CUBIC)
    small_face = normalize_face(sample.image, size=128)
    big_face = normalize_face(big, size=128)

    assert np.abs(np.array(big_face.box) / 1600 * 384 - np.array(small_face.box)).max() < 20
    # The strong downscale goes through an area resize: the matrix still maps the original.
    again = cv2.warpAffine(big, big_face.matrix, (128, 128), flags=cv2.INTER_AREA)
    assert np.abs(again.astype(int) - big_face.image.astype(int)).mean() < 8.0


def test_a_plain_gray_image_has_no_face():
    with pytest.raises(NoFaceFound):
        normalize_face(np.full((300, 300, 3), 128, np.uint8))


def test_an_underexposed_selfie_is_too_dark():
    dark = (np.asarray(selfie(5).image).astype(np.float32) * 0.12).astype(np.uint8)
    with pytest.raises(TooDark):
        normalize_face(dark)


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_very_dark_skin_in_good_light_is_accepted(seed):
    sample = selfie(seed, ethnicity="VI", light=1.0)
    face = normalize_face(sample.image, size=128)
    assert face.image.shape == (128, 128, 3)


def test_a_blurred_selfie_is_too_blurry():
    blurred = cv2.GaussianBlur(np.asarray(selfie(9).image), (0, 0), 5)
    with pytest.raises(TooBlurry):
        normalize_face(blurred)


def test_a_face_far_from_the_camera_is_too_small():
    canvas = np.full((900, 900, 3), 200, np.uint8)
    canvas[380:540, 380:540] = cv2.resize(
        np.asarray(selfie(10).image), (160, 160), interpolation=cv2.INTER_AREA
    )
    with pytest.raises(FaceTooSmall):
        normalize_face(canvas)


def test_with_several_faces_the_largest_is_analysed_and_a_note_says_so():
    big, small = np.asarray(selfie(11).image), np.asarray(selfie(12, size=300).image)
    group = np.full((384, 700, 3), 180, np.uint8)
    group[:, :384] = big
    group[42:342, 400:700] = small
    face = normalize_face(group, size=128)

    assert face.box[0] < 384  # the face on the left, the larger one
    assert any("Several faces" in note for note in face.notes)


def test_an_array_that_is_not_an_image_is_refused():
    with pytest.raises(InvalidImage):
        normalize_face(np.zeros((10,), np.uint8))


def test_faces_found_in_threads_at_once_are_the_faces_found_one_by_one():
    # A worker with a thread pool analyses photos side by side; OpenCV's cascades are not safe
    # to share between threads, so each thread must get its own.
    from concurrent.futures import ThreadPoolExecutor

    pictures = [selfie(seed, size=512).image for seed in range(8)]

    def read(picture):
        face = normalize_face(picture, size=128)
        return face.view, face.box, face.eyes

    alone = [read(picture) for picture in pictures]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(read, pictures * 3))

    assert together == alone * 3
