"""Reading a photo and normalizing the face (or the skin) in it (patent claims 6 and 30).

``load_image`` decodes an upload safely (EXIF orientation applied, decompression bombs and
truncated files refused). ``normalize_face`` finds the face with OpenCV's Haar cascades (the
models ship inside opencv-python-headless; nothing is downloaded): a frontal face (eyes
levelled), else a side or three-quarter view (the profile cascade, on the photo and its mirror),
else, when skin fills the photo, a close-up of the skin, as clinics photograph acne. It crops a
square with a margin and resizes it. Problems a shopper can fix raise typed errors.

Acceptance rules (calibrated on the ACNE04 photographs, documented for the shop's help text):
- too dark: the brightest part of the frame (99th percentile of max(R, G, B)) is below 60, or the
  face region's 99th percentile is below 70. Bright spots (eye whites, catch-lights, a lit
  background) exist in any well-lit photo whatever the skin tone, so very dark skin in good light
  passes while an under-exposed photo does not.
- face too small: face box narrower than 80 px or than 10% of the image's shorter side (unless
  skin fills the photo: then it is a close-up).
- too blurry: variance of the Laplacian of the face region, shrunk to at most 256 px wide, below
  10. On 200 sharp ACNE04 photographs (640 px) the lowest figure was 14 and the 1st percentile
  20; the same photographs blurred by a 2-pixel Gaussian stayed under 10 (95th percentile 9.9).
  The former rule (128 px, below 20) refused sharp photographs of smooth skin.
- no face: neither a face nor a skin-filled photo (at least 45% skin-coloured pixels, with
  some light and shade: a grey-level standard deviation of 6 or more).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import cv2
import numpy as np
from PIL import Image, ImageOps

from .contract import FACE_MARGIN, INPUT_SIZE
from .errors import FaceTooSmall, InvalidImage, NoFaceFound, TooBlurry, TooDark

MIN_FACE_PX = 80
MIN_FACE_FRACTION = 0.10
DARK_FRAME_P99 = 60
DARK_FACE_P99 = 70
BLUR_MIN_VARIANCE = 10.0
BLUR_FACE_WIDTH = 256  # wider face regions are shrunk to this width before the Laplacian
DETECT_MAX_SIDE = 512  # large photos are downscaled for detection; the crop uses full resolution
EYE_FACE_WIDTH = 200  # face box width at which eyes are searched
RETRY_TILT = 14.0  # degrees; second look for rolled faces
PROFILE_NEIGHBOURS = 4
# A photo with no face is a close-up when at least this share of it is skin.
CLOSEUP_SKIN_FRACTION = 0.45
CLOSEUP_MIN_CONTRAST = 6.0  # grey-level standard deviation of a close-up's photo
# A frontal face box at least this share of the photo's shorter side is trusted without eyes.
SURE_FACE_FRACTION = 0.45
# In a photo that skin fills, a frontal box narrower than this share of its shorter side is
# doubted even with eyes: up close the eye cascade finds "eyes" in pores and brows, and a face
# that small cannot be what fills the frame with skin (ACNE04's close-ups: boxes of 0.13-0.33).
SKIN_FILLED_FACE_FRACTION = 0.35
# A front photo's face filling the frame is looked for with this share of border around it.
FILL_BORDER = 0.3
VIEWS = ("frontal", "profile", "close-up")


@dataclass
class NormalizedFace:
    image: np.ndarray  # (size, size, 3) uint8 RGB
    box: tuple[int, int, int, int]  # (x, y, w, h) of the face in the ORIGINAL image
    matrix: np.ndarray  # (2, 3) float64 affine: original pixel coords -> normalized crop coords
    notes: list[str] = field(default_factory=list)
    view: str = "frontal"  # one of VIEWS
    # Landmarks in the crop's pixels, for the face zones (zones.py): the eye centres of a
    # frontal face when found (picture-left eye first), and which side of the picture a side
    # view's nose points to ("left" or "right").
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None
    facing: str | None = None


def load_image(
    source: str | Path | bytes | BinaryIO, *, max_pixels: int = 40_000_000
) -> Image.Image:
    """Decode an image to RGB with its EXIF orientation applied; InvalidImage if unusable."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(source))
    elif isinstance(source, (str, Path)) and Path(source).is_dir():
        raise InvalidImage("The upload is a folder, not an image.")
    try:
        with Image.open(source) as img:
            # Checked before decoding: a small file can claim an enormous canvas.
            if img.width * img.height > max_pixels:
                raise InvalidImage(
                    f"The image is too large ({img.width}x{img.height}); "
                    f"send one under {max_pixels // 1_000_000} megapixels."
                )
            img.load()
            return upright_rgb(img)
    except FileNotFoundError:
        raise
    except InvalidImage:
        raise
    except Image.DecompressionBombError as exc:
        raise InvalidImage("The image is too large to process safely.") from exc
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError) as exc:
        # OSError covers truncated data ("image file is truncated") and unknown formats.
        raise InvalidImage() from exc


def upright_rgb(img: Image.Image) -> Image.Image:
    """A decoded image turned by its EXIF orientation, as RGB."""
    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        # Transparent areas become white, not black (black would look like a dark photo).
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


# One set of cascades per thread: a CascadeClassifier shared by two threads that detect at
# once returns wrong faces (seen on ACNE04 photographs: frontal faces read as close-ups).
_cascades = threading.local()


def _cascade(name: str) -> cv2.CascadeClassifier:
    loaded = _cascades.__dict__.setdefault("by_name", {})
    if name not in loaded:
        classifier = cv2.CascadeClassifier(str(Path(cv2.data.haarcascades) / name))
        if classifier.empty():  # pragma: no cover - the cascades ship with the wheel
            raise RuntimeError(f"OpenCV cascade {name} is missing from the installed package")
        loaded[name] = classifier
    return loaded[name]


def _as_rgb_array(image: Image.Image | np.ndarray) -> np.ndarray:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or array.size == 0:
        raise InvalidImage("Expected an RGB image.")
    array = array[..., :3]
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def _detect_faces(gray: np.ndarray, min_width: float) -> np.ndarray:
    """Face boxes (x, y, w, h) in ``gray``'s coordinates.

    Cascades are tried in turn until one finds a face at least ``min_width`` wide: a second
    cascade often finds the real face where the first saw only a small false one."""
    # Local contrast equalization: dark skin or side light flatten the eye/cheek contrast
    # the cascades rely on; a global histogram stretch is thrown off by a bright background.
    equalized = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    min_side = max(24, int(min_width * 0.5))  # smaller ones could only be refused as too small
    found = []
    for name, neighbours in (
        ("haarcascade_frontalface_default.xml", 5),
        ("haarcascade_frontalface_alt.xml", 3),
        ("haarcascade_frontalface_alt2.xml", 3),
    ):
        faces = _cascade(name).detectMultiScale(
            equalized, scaleFactor=1.07, minNeighbors=neighbours, minSize=(min_side, min_side)
        )
        if len(faces):
            faces = np.asarray(faces, dtype=np.float64)
            if faces[:, 2].max() >= min_width:
                return faces
            found.append(faces)
    return np.concatenate(found) if found else np.zeros((0, 4))


def _detect_tilted(gray: np.ndarray, angle: float, min_width: float) -> np.ndarray:
    """Faces found in ``gray`` turned by ``angle`` degrees, as upright boxes at their centres."""
    h, w = gray.shape
    rot = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    faces = _detect_faces(
        cv2.warpAffine(gray, rot, (w, h), borderMode=cv2.BORDER_REPLICATE), min_width
    )
    if not len(faces):
        return faces
    back = cv2.invertAffineTransform(rot)
    centres = (
        np.c_[faces[:, 0] + faces[:, 2] / 2, faces[:, 1] + faces[:, 3] / 2, np.ones(len(faces))]
        @ back.T
    )
    return np.c_[centres[:, 0] - faces[:, 2] / 2, centres[:, 1] - faces[:, 3] / 2, faces[:, 2:]]


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over the smaller box: a second detection of the same face overlaps a lot."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    return inter / min(a[2] * a[3], b[2] * b[3])


def _find_eyes(
    rgb: np.ndarray, box: tuple[float, float, float, float]
) -> tuple[np.ndarray, np.ndarray] | None:
    """Centres (x, y) of the left and right eye in original coordinates, or None."""
    x, y, w, h = box
    height, width = rgb.shape[:2]
    x0, y0 = int(max(0, x)), int(max(0, y + 0.12 * h))
    x1, y1 = int(min(width, x + w)), int(min(height, y + 0.58 * h))  # upper half of the box
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    scale = EYE_FACE_WIDTH / w
    region = _gray_scaled(rgb[y0:y1, x0:x1], scale)
    region = cv2.equalizeHist(region)
    best = None
    for neighbours in (4, 2):  # a looser second pass; the pairing below rejects stray boxes
        eyes = _cascade("haarcascade_eye.xml").detectMultiScale(
            region, scaleFactor=1.05, minNeighbors=neighbours, minSize=(18, 18), maxSize=(90, 90)
        )
        best = _pair_eyes([(ex + ew / 2, ey + eh / 2, ew) for ex, ey, ew, eh in eyes])
        if best is not None:
            break
    if best is None:
        return None
    to_original = lambda p: np.array([x0 + p[0] / scale, y0 + p[1] / scale])  # noqa: E731
    return to_original(best[0]), to_original(best[1])


def _pair_eyes(centres: list[tuple[float, float, float]]):
    """The most plausible (left, right) pair of eye centres in the eye search region, or None."""
    mid = EYE_FACE_WIDTH / 2
    best, best_cost = None, math.inf
    for lx, ly, lw in centres:
        for rx, ry, rw in centres:
            if not (lx < mid <= rx):
                continue
            dx, dy = rx - lx, ry - ly
            if not 0.25 * EYE_FACE_WIDTH < dx < 0.75 * EYE_FACE_WIDTH or abs(dy) > 0.45 * dx:
                continue
            # Prefer a symmetric pair of similar size, level-ish, about half a face apart.
            cost = (
                abs((lx + rx) / 2 - mid) / EYE_FACE_WIDTH
                + abs(lw - rw) / max(lw, rw)
                + abs(dy) / dx
            )
            cost += abs(dx / EYE_FACE_WIDTH - 0.42)
            if cost < best_cost:
                best, best_cost = ((lx, ly), (rx, ry)), cost
    return best


def _gray_scaled(rgb: np.ndarray, scale: float) -> np.ndarray:
    """Grayscale, resized by ``scale`` (area averaging when shrinking)."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    shrink = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=shrink)


def _check_dark(values: np.ndarray, limit: float) -> None:
    if values.size and np.percentile(values, 99) < limit:
        raise TooDark()


def normalize_face(
    image: Image.Image | np.ndarray,
    *,
    size: int = INPUT_SIZE,
    margin: float = FACE_MARGIN,
    side: bool = False,
    front: bool = False,
) -> NormalizedFace:
    """The face (or, in a close-up, the skin) cropped square and resized to ``size``.

    Views, tried in this order:
    - ``frontal``: the largest frontal face, eyes levelled; the crop's side is the face box's
      width times (1 + margin), centred on the box (Haar boxes stop at the brows and the mouth;
      0.4 brings in forehead, chin and cheeks);
    - ``profile``: a side or three-quarter view (OpenCV's profile cascade finds faces turned to
      one side; the mirrored photo gives the other), cropped the same way;
    - ``close-up``: no face, but skin fills most of the photo (a cheek or the forehead taken up
      close, as clinics photograph acne): the largest centred square.
    ``side``: the shopper said the photo shows a side of the face, so a side view is looked for
    first (a face the profile cascade finds big enough is read as one at once; the frontal
    looks, upright and rolled, cost about a second on 2 cores). Without a side face, as above.
    ``front``: the shopper said the photo shows their face from the front, so before reading
    skin that fills it as a close-up, a face filling the frame is looked for (the cascades miss
    a face with no margin around it; a border gives it one).
    Raises NoFaceFound (neither a face nor enough skin), FaceTooSmall, TooDark, TooBlurry,
    InvalidImage.
    """
    rgb = _as_rgb_array(image)
    height, width = rgb.shape[:2]
    notes: list[str] = []

    step = max(1, int(math.sqrt(height * width / 250_000)))  # a sample is enough for percentiles
    _check_dark(rgb[::step, ::step].max(axis=2), DARK_FRAME_P99)

    detect_scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    small = (
        rgb
        if detect_scale == 1.0
        else cv2.resize(rgb, None, fx=detect_scale, fy=detect_scale, interpolation=cv2.INTER_AREA)
    )
    min_width = max(MIN_FACE_PX, MIN_FACE_FRACTION * min(height, width))
    gray_small = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    # The profile cascade (the photo and its mirror) is the slowest look; a side photo may ask
    # for it twice (to choose the view, then to doubt a small frontal box).
    profiles_of = _ProfileLook(gray_small, min_width * detect_scale)
    view, faces = _find_face(gray_small, min_width * detect_scale, side=side, profiles=profiles_of)
    # A close-up is skin with light and shade on it; an even skin-coloured wall is not.
    skin = skin_fraction(small) if _contrast(gray_small) >= CLOSEUP_MIN_CONTRAST else 0.0
    big_enough = len(faces) and faces[:, 2].max() >= min_width * detect_scale
    # Before skin that fills a front photo is read as a close-up: the shopper's face filling it.
    filling = lambda: _filling_face(gray_small) if front else None  # noqa: E731
    if not big_enough and skin >= CLOSEUP_SKIN_FRACTION:
        # No face of a usable size, but skin fills the frame: a close-up, not a distant face.
        faces = filling()
        if faces is None:
            return _close_up(rgb, size, step)
        view = "frontal"
    if not len(faces):
        raise NoFaceFound()
    faces /= detect_scale
    order = np.argsort(-faces[:, 2] * faces[:, 3])
    largest = faces[order[0]]
    x, y, w, h = (float(v) for v in largest[:4])
    if w < min_width:
        raise FaceTooSmall()

    eyes = _find_eyes(rgb, (x, y, w, h)) if view == "frontal" else None
    share = w / min(height, width)
    doubted = share < SURE_FACE_FRACTION and (
        eyes is None or (skin >= CLOSEUP_SKIN_FRACTION and share < SKIN_FILLED_FACE_FRACTION)
    )
    if view == "frontal" and doubted:
        # A small "frontal face" without eyes (or, in a photo skin fills, with them) is, in a
        # side view or a close-up, most often a nose, a mouth, a chin or an eye: look for a side
        # view, then treat skin-filled photos as close-ups, before trusting it.
        needed = max(min_width, w)
        profiles = profiles_of(at_least=needed * detect_scale) / detect_scale
        if len(profiles) and profiles[:, 2].max() >= needed:
            view, faces = "profile", profiles
            order = np.argsort(-faces[:, 2] * faces[:, 3])
            largest = faces[order[0]]
            x, y, w, h = (float(v) for v in largest[:4])
        elif skin >= CLOSEUP_SKIN_FRACTION:
            found = filling()
            if found is None:
                return _close_up(rgb, size, step)
            faces = found / detect_scale
            order = np.argsort(-faces[:, 2] * faces[:, 3])
            largest = faces[order[0]]
            x, y, w, h = (float(v) for v in largest[:4])
            eyes = _find_eyes(rgb, (x, y, w, h))
    if any(
        _overlap(largest, faces[i]) < 0.3 and faces[i, 2] >= 0.5 * largest[2] for i in order[1:]
    ):
        notes.append("Several faces were found; the largest one was analysed.")
    return _crop_face(rgb, view, largest, eyes, notes, size=size, margin=margin, step=step)


def _filling_face(gray: np.ndarray) -> np.ndarray | None:
    """A frontal face filling ``gray`` (boxes in its pixels, which may pass its edges), or
    None: the cascades miss a face with no margin around it, so a border gives it one."""
    pad = int(FILL_BORDER * max(gray.shape))
    bordered = cv2.copyMakeBorder(gray, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=128)
    faces = _detect_faces(bordered, SURE_FACE_FRACTION * min(gray.shape))
    faces = faces[faces[:, 2] >= SURE_FACE_FRACTION * min(gray.shape)] if len(faces) else faces
    return faces - [pad, pad, 0, 0] if len(faces) else None


def _crop_face(
    rgb: np.ndarray,
    view: str,
    largest: np.ndarray,
    eyes: tuple[np.ndarray, np.ndarray] | None,
    notes: list[str],
    *,
    size: int,
    margin: float,
    step: int,
) -> NormalizedFace:
    """The found face (box ``largest``: x, y, w, h[, facing]) checked for light and focus,
    levelled by its eyes when a frontal face has them, and cropped square."""
    x, y, w, h = (float(v) for v in largest[:4])
    box = (int(round(x)), int(round(y)), int(round(w)), int(round(h)))
    fx0, fy0 = max(0, box[0]), max(0, box[1])
    face_region = rgb[fy0 : box[1] + box[3], fx0 : box[0] + box[2]]
    _check_dark(face_region[::step, ::step].max(axis=2), DARK_FACE_P99)
    _check_sharp(face_region)

    centre = np.array([x + w / 2, y + h / 2])
    angle = 0.0
    if view == "frontal" and eyes is None:
        notes.append("The eyes were not found; the face was cropped without levelling it.")
    elif view == "frontal":
        left, right = eyes
        angle = math.degrees(math.atan2(right[1] - left[1], right[0] - left[0]))

    side = w * (1.0 + margin)
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), angle, size / side)
    matrix[:, 2] += np.array([size / 2, size / 2]) - centre
    in_crop = None
    if view == "frontal" and eyes is not None:
        in_crop = tuple(tuple(float(v) for v in matrix @ np.append(eye, 1.0)) for eye in eyes)
    facing = None
    if view == "profile" and len(largest) > 4:
        facing = "right" if largest[4] > 0 else "left"
    return NormalizedFace(
        image=warp(rgb, matrix, size),
        box=box,
        matrix=matrix.astype(np.float64),
        notes=notes,
        view=view,
        eyes=in_crop,
        facing=facing,
    )


def _find_face(
    gray: np.ndarray, min_width: float, side: bool = False, profiles=None
) -> tuple[str, np.ndarray]:
    """The view and the face boxes found in ``gray`` (detection scale).

    Frontal first (upright, then rolled either way); then the profile cascade on the photo and
    on its mirror (first of all for a photo said to show a side). A frontal or profile face
    narrower than ``min_width`` is kept only when no view finds a big enough one, so that it can
    be refused as too small. ``profiles``: the profile look to ask (by default a fresh one)."""
    profiles_of = profiles or _ProfileLook(gray, min_width)
    profiles = profiles_of() if side else None
    if profiles is not None and len(profiles) and profiles[:, 2].max() >= min_width:
        return "profile", profiles
    faces = _detect_faces(gray, min_width)
    for tilt in (RETRY_TILT, -RETRY_TILT):
        if len(faces) and faces[:, 2].max() >= min_width:
            break
        # Haar cascades miss faces rolled by more than ~10 degrees: look again in tilted copies.
        faces = np.concatenate([faces, _detect_tilted(gray, tilt, min_width)])
    if len(faces) and faces[:, 2].max() >= min_width:
        return "frontal", faces
    if profiles is None:  # a side photo's were looked for already
        profiles = profiles_of()
    if len(profiles) and profiles[:, 2].max() >= min_width:
        return "profile", profiles
    return "frontal", np.concatenate([faces, profiles[:, :4]])


class _ProfileLook:
    """The profile cascade on one photo, run in full at most once however often it is asked
    (a copy each time: a caller scaling the boxes in place cannot change the next answer).

    ``at_least``: only boxes this wide matter to the caller, so, unless the full look was made
    already, the cascade skips the scales far below it (the small scales are most of its cost).
    It still starts a quarter below: the cascade merges neighbouring boxes of similar sizes, and
    a box just wide enough keeps its smaller neighbours."""

    def __init__(self, gray: np.ndarray, min_width: float) -> None:
        self._gray, self._min_width = gray, min_width
        self._found: np.ndarray | None = None

    def __call__(self, at_least: float | None = None) -> np.ndarray:
        if self._found is not None:
            return self._found.copy()
        if at_least is not None:  # the cascade looks down to half the width it is given
            return _detect_profiles(self._gray, max(self._min_width, 1.5 * at_least))
        self._found = _detect_profiles(self._gray, self._min_width)
        return self._found.copy()


def _detect_profiles(gray: np.ndarray, min_width: float) -> np.ndarray:
    """Side and three-quarter faces as (x, y, w, h, facing) rows: the cascade knows faces whose
    nose points to the picture's left (facing -1); the mirrored photo shows it the others (+1)."""
    equalized = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(gray)
    min_side = max(24, int(min_width * 0.5))
    width = gray.shape[1]
    found = []
    for mirrored in (False, True):
        faces = _cascade("haarcascade_profileface.xml").detectMultiScale(
            equalized[:, ::-1] if mirrored else equalized,
            scaleFactor=1.07,
            minNeighbors=PROFILE_NEIGHBOURS,
            minSize=(min_side, min_side),
        )
        if len(faces):
            faces = np.asarray(faces, dtype=np.float64)
            if mirrored:
                faces[:, 0] = width - faces[:, 0] - faces[:, 2]
            found.append(np.c_[faces, np.full(len(faces), 1.0 if mirrored else -1.0)])
    return np.concatenate(found) if found else np.zeros((0, 5))


def _contrast(gray: np.ndarray) -> float:
    return float(gray[::4, ::4].std())


def skin_fraction(rgb: np.ndarray) -> float:
    """Share of pixels whose chroma is skin's (Chai & Ngan's Cr/Cb box, which holds for light
    and dark skin alike: skin tones differ mostly in luma)."""
    ycrcb = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycrcb[..., 1], ycrcb[..., 2]
    skin = (cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127) & (ycrcb[..., 0] >= 30)
    return float(skin.mean())


def _close_up(rgb: np.ndarray, size: int, step: int) -> NormalizedFace:
    """A skin close-up: the largest centred square, checked for light and focus."""
    height, width = rgb.shape[:2]
    side = min(height, width)
    x0, y0 = (width - side) // 2, (height - side) // 2
    region = rgb[y0 : y0 + side, x0 : x0 + side]
    _check_dark(region[::step, ::step].max(axis=2), DARK_FACE_P99)
    _check_sharp(region)
    scale = size / side
    matrix = np.array([[scale, 0.0, -x0 * scale], [0.0, scale, -y0 * scale]])
    return NormalizedFace(
        image=warp(rgb, matrix, size),
        box=(x0, y0, side, side),
        matrix=matrix,
        notes=["No whole face was found; the photo was analysed as a close-up of the skin."],
        view="close-up",
    )


def sharpness(region: np.ndarray) -> float:
    """Variance of the Laplacian of ``region`` shrunk to a fixed width (so the figure does not
    depend on the photo's resolution). A smaller region is measured as it is: enlarging it
    would blur it, and a sharp small face would be refused."""
    gray = _gray_scaled(region, min(1.0, BLUR_FACE_WIDTH / region.shape[1]))
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def _check_sharp(region: np.ndarray) -> None:
    if sharpness(region) < BLUR_MIN_VARIANCE:
        raise TooBlurry()


def inside_photo(matrix: np.ndarray, photo_size: tuple[int, int], size: int) -> np.ndarray:
    """(size, size) float32 mask of the crop: 1 where it shows the photo, 0 where the crop
    passed the photo's edge (a face near the edge, often a side view) and its pixels only
    repeat the edge's (the crop's border rule, ``warp``)."""
    width, height = photo_size
    ones = np.ones((height, width), np.float32)
    return cv2.warpAffine(
        ones, np.asarray(matrix, np.float64), (size, size), flags=cv2.INTER_NEAREST, borderValue=0.0
    )


def warp(rgb: np.ndarray, matrix: np.ndarray, size: int) -> np.ndarray:
    """cv2.warpAffine of ``rgb`` by ``matrix``; strong downscales go through an area resize first
    (plain bilinear sampling of a 4000 px photo into 224 px would alias skin texture)."""
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    if scale >= 0.5:
        return cv2.warpAffine(
            rgb, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    # Cut the part of the photo the crop covers, shrink it to twice the crop's resolution, warp.
    inverse = cv2.invertAffineTransform(matrix)
    corners = (
        np.array([[0, 0, 1], [size, 0, 1], [0, size, 1], [size, size, 1]], np.float64) @ inverse.T
    )
    height, width = rgb.shape[:2]
    x0, y0 = np.clip(np.floor(corners.min(axis=0)).astype(int) - 2, 0, [width - 1, height - 1])
    x1, y1 = np.clip(
        np.ceil(corners.max(axis=0)).astype(int) + 2, [x0 + 1, y0 + 1], [width, height]
    )
    shrink = 2 * scale
    region = cv2.resize(rgb[y0:y1, x0:x1], None, fx=shrink, fy=shrink, interpolation=cv2.INTER_AREA)
    sx, sy = region.shape[1] / (x1 - x0), region.shape[0] / (y1 - y0)
    # region pixel = (orig - (x0, y0)) * (sx, sy): compose so the overall map stays ``matrix``.
    to_region = np.array([[sx, 0, -x0 * sx], [0, sy, -y0 * sy], [0, 0, 1]])
    composed = matrix @ np.linalg.inv(to_region)
    return cv2.warpAffine(
        region, composed, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
