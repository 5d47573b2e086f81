"""Things on clear skin that are not acne, drawn by the generator (synth.render_selfie's
``look_alikes``) on faces without lesions, labelled clear: stubble, beards, freckles, moles,
glasses and a cast shadow. A model that reads them as acne sells acne kits to beards.

Each drawing works on the frame before the roll (the face's geometry), in place, with its own
random stream, so the rest of the selfie is drawn exactly as without it.
"""

from __future__ import annotations

import cv2
import numpy as np

LOOK_ALIKES = ("stubble", "beard", "freckles", "moles", "glasses", "shadow")


def check(kinds) -> tuple[str, ...]:
    kinds = tuple(kinds)
    unknown = sorted(set(kinds) - set(LOOK_ALIKES))
    if unknown:
        raise ValueError(f"unknown look-alikes {unknown}; choose from {', '.join(LOOK_ALIKES)}")
    return kinds


def draw(rng: np.random.Generator, img: np.ndarray, skin: np.ndarray, geo, look, kinds) -> None:
    """Draw ``kinds`` on ``img`` (float32 RGB), on the face's ``skin`` (bool, away from the
    features) where they belong."""
    for kind in check(kinds):
        DRAWINGS[kind](rng, img, skin, geo, look)


def _blend(img: np.ndarray, alpha: np.ndarray, colour) -> None:
    a = alpha[..., None]
    img *= 1 - a
    img += a * np.asarray(colour, np.float32)


def _dots(rng, shape, where: np.ndarray, n: int, strength: tuple[float, float]) -> np.ndarray:
    """An alpha layer with ``n`` single-pixel dots on the True pixels of ``where``."""
    layer = np.zeros(shape, np.float32)
    ys, xs = np.nonzero(where)
    if len(ys):
        pick = rng.integers(0, len(ys), n)
        layer[ys[pick], xs[pick]] = rng.uniform(*strength, n)
    return layer


def _lower_face(skin: np.ndarray, geo, from_line: float) -> np.ndarray:
    rows = np.arange(skin.shape[0])[:, None]
    return skin & (rows >= from_line)


def _stubble(rng, img, skin, geo, look) -> None:
    """Short dark hairs, a dot each, over the upper lip, cheeks' lower half, jaw and chin."""
    where = _lower_face(skin, geo, geo.nose_line - 0.1 * geo.half_height)
    dots = _dots(rng, skin.shape, where, int(where.sum() * rng.uniform(0.12, 0.25)), (0.3, 0.7))
    _blend(img, cv2.GaussianBlur(dots, (0, 0), 0.5) * 2.0, look.hair * 0.55)


def _beard(rng, img, skin, geo, look) -> None:
    """A full beard: a hair-coloured cover with strands, thickest on the chin."""
    where = _lower_face(skin, geo, geo.nose_line + 0.2 * (geo.mouth_line - geo.nose_line))
    cover = cv2.GaussianBlur(where.astype(np.float32), (0, 0), 0.04 * geo.half_width)
    _blend(img, np.clip(cover, 0, 1) * rng.uniform(0.55, 0.75), look.hair * 0.7)
    strands = np.zeros(skin.shape, np.uint8)
    ys, xs = np.nonzero(where)
    length = max(2, int(0.03 * geo.half_width))
    for i in rng.integers(0, len(ys), int(len(ys) * 0.08)) if len(ys) else ():
        angle = rng.uniform(1.2, 1.95)  # mostly downwards
        end = (int(xs[i] + length * np.cos(angle)), int(ys[i] + length * np.sin(angle)))
        cv2.line(strands, (int(xs[i]), int(ys[i])), end, 255, 1)
    _blend(img, strands.astype(np.float32) / 255 * 0.6 * where, look.hair * 0.45)


def _freckles(rng, img, skin, geo, look) -> None:
    """Small light-brown spots over the nose and the cheeks."""
    rows = np.arange(skin.shape[0])[:, None]
    cols = np.arange(skin.shape[1])[None, :]
    where = (
        skin
        & (rows > geo.eye_line + 0.3 * geo.eye_half_height * 4)
        & (rows < geo.mouth_line - 0.1 * geo.half_height)
        & (np.abs(cols - geo.centre_x) < 0.8 * geo.half_width)
    )
    n = int(rng.integers(40, 140))
    dots = _dots(rng, skin.shape, where, n, (0.5, 0.85))
    spots = cv2.GaussianBlur(cv2.dilate(dots, np.ones((2, 2), np.uint8)), (0, 0), 0.7)
    _blend(img, np.clip(spots * 1.5, 0, 0.8), look.skin * np.array([0.72, 0.55, 0.42]))


def _moles(rng, img, skin, geo, look) -> None:
    """One to four round, even, dark-brown spots anywhere on the skin."""
    layer = np.zeros(skin.shape, np.float32)
    ys, xs = np.nonzero(skin)
    for i in rng.integers(0, len(ys), int(rng.integers(1, 5))) if len(ys) else ():
        radius = max(1, int(geo.half_width * rng.uniform(0.015, 0.035)))
        cv2.circle(layer, (int(xs[i]), int(ys[i])), radius, 1.0, -1, cv2.LINE_AA)
    _blend(img, cv2.GaussianBlur(layer, (0, 0), 0.6) * 0.9, (70, 45, 35))


def _glasses(rng, img, skin, geo, look) -> None:
    """Two rims round the eyes and the bridge between them."""
    layer = np.zeros(skin.shape, np.uint8)
    thickness = max(1, int(0.03 * geo.half_width))
    axes = (int(geo.eye_half_width * 1.7), int(geo.eye_half_height * 2.6))
    for side in (-1, 1):
        centre = (int(geo.centre_x + side * geo.eye_offset), int(geo.eye_line))
        cv2.ellipse(layer, centre, axes, 0, 0, 360, 255, thickness, cv2.LINE_AA)
    inner = int(geo.eye_offset - axes[0])
    cv2.line(
        layer,
        (int(geo.centre_x - inner), int(geo.eye_line - axes[1] * 0.3)),
        (int(geo.centre_x + inner), int(geo.eye_line - axes[1] * 0.3)),
        255,
        thickness,
        cv2.LINE_AA,
    )
    colour = (25, 22, 24) if rng.random() < 0.7 else (120, 80, 40)
    _blend(img, layer.astype(np.float32) / 255, colour)


def _shadow(rng, img, skin, geo, look) -> None:
    """A soft cast shadow over one side of the face."""
    cols = np.arange(skin.shape[1], dtype=np.float32)[None, :]
    side = 1 if rng.random() < 0.5 else -1
    ramp = np.clip(0.5 + side * (cols - geo.centre_x) / geo.half_width, 0, 1)
    face = cv2.GaussianBlur(skin.astype(np.float32), (0, 0), 0.1 * geo.half_width)
    img *= (1 - rng.uniform(0.25, 0.45) * ramp * face)[..., None]


DRAWINGS = {
    "stubble": _stubble,
    "beard": _beard,
    "freckles": _freckles,
    "moles": _moles,
    "glasses": _glasses,
    "shadow": _shadow,
}
