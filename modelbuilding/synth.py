"""Procedural synthetic selfies with acne, graded on the GEA scale (no real photo inside).

Everything that is not acne (skin tone, face shape, gender presentation, hair, background,
lighting, pose, noise, JPEG quality, post-inflammatory marks) is drawn independently of the
grade, so a model trained on these images can only learn the grade from the lesions. Lesion
counts, types and spread follow the GEA definitions (see ``GRADE_RECIPES``).

``render_selfie`` draws one image with its lesion mask; ``generate`` writes a balanced,
seed-deterministic data set (images/*.jpg, masks/*.png, manifest.csv). Styles: "default" and
"shifted" (other background palettes, lighting, colour cast, noise and JPEG ranges), the
latter held out to check that a model generalizes beyond the generator's settings.
"""

from __future__ import annotations

import argparse
import csv
import math
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from modelbuilding import lookalikes

# Fitzpatrick-like skin-tone groups: base RGB of lit skin (a random jitter is added).
SKIN_TONES: dict[str, tuple[int, int, int]] = {
    "I": (240, 208, 190),
    "II": (228, 188, 160),
    "III": (205, 160, 125),
    "IV": (172, 122, 88),
    "V": (135, 92, 64),
    "VI": (100, 66, 48),
}
HAIR_COLOURS = {
    "black": (25, 22, 22),
    "dark brown": (55, 38, 28),
    "brown": (100, 68, 45),
    "blond": (200, 165, 110),
    "red": (150, 70, 40),
    "grey": (160, 158, 155),
}
IRIS_COLOURS = [(70, 45, 30), (40, 28, 20), (70, 110, 150), (80, 110, 70), (110, 85, 50)]
LESION_TYPES = ("open_comedones", "closed_comedones", "papules", "pustules", "nodules")
MARK_TYPES = ("pih", "pie")
# Sides are the shopper's, as in the engine (slots.py): "left_cheek" is on the picture's right
# (a selfie is not mirrored). The order keeps each seed's drawing as it was.
ZONES = ("forehead", "right_cheek", "left_cheek", "nose", "chin")
ZONE_AREA = {"forehead": 0.25, "left_cheek": 0.26, "right_cheek": 0.26, "nose": 0.08, "chin": 0.15}


@dataclass(frozen=True)
class GradeRecipe:
    """Count ranges (inclusive) per lesion type and how many face zones the lesions spread over."""

    comedones: tuple[int, int]
    inflammatory: tuple[int, int]  # papules + pustules
    nodules: tuple[int, int]
    zones: tuple[int, int]
    erythema: float  # strength of diffuse redness around inflamed areas


# GEA: 0 clear; 1 almost clear (rare comedones, very few small papules); 2 mild (< half the face,
# some comedones and papules/pustules); 3 moderate (> half the face, many papules/pustules and
# comedones, maybe one nodule); 4 severe (entire face, many papules/pustules, a few nodules);
# 5 very severe (highly inflammatory lesions covering the face, many nodules). The ranges do
# not overlap in inflammatory lesions so that grades are separable by counting.
GRADE_RECIPES: tuple[GradeRecipe, ...] = (
    GradeRecipe((0, 0), (0, 0), (0, 0), (0, 0), 0.0),
    GradeRecipe((3, 8), (0, 2), (0, 0), (1, 5), 0.0),
    GradeRecipe((6, 14), (5, 10), (0, 0), (1, 2), 0.0),
    GradeRecipe((12, 24), (14, 24), (0, 1), (3, 4), 0.1),
    GradeRecipe((16, 30), (28, 40), (2, 4), (5, 5), 0.18),
    GradeRecipe((16, 30), (44, 62), (5, 9), (5, 5), 0.32),
)
GRADES = tuple(range(len(GRADE_RECIPES)))


@dataclass(frozen=True)
class Style:
    backgrounds: tuple[tuple[int, int, int], ...]
    light: tuple[float, float]  # overall intensity
    light_gradient: tuple[float, float]  # strength of the side-to-side light falloff
    cast: float  # max per-channel colour cast
    noise: tuple[float, float]  # Gaussian sensor noise sigma (0-255 scale)
    jpeg: tuple[int, int]
    blur: tuple[float, float]  # Gaussian sigma of slight defocus, in px at 512


STYLES: dict[str, Style] = {
    "default": Style(
        backgrounds=(
            (225, 225, 220),
            (180, 195, 210),
            (205, 190, 170),
            (120, 130, 140),
            (235, 230, 215),
            (160, 175, 150),
            (90, 95, 110),
            (200, 200, 205),
        ),
        light=(0.85, 1.1),
        light_gradient=(0.0, 0.25),
        cast=0.04,
        noise=(1.0, 4.0),
        jpeg=(75, 95),
        blur=(0.0, 0.6),
    ),
    "shifted": Style(
        backgrounds=(
            (60, 110, 160),
            (170, 70, 70),
            (230, 200, 80),
            (40, 40, 45),
            (120, 180, 120),
            (250, 250, 250),
            (150, 100, 170),
        ),
        light=(0.75, 1.2),
        light_gradient=(0.15, 0.4),
        cast=0.10,
        noise=(3.0, 7.0),
        jpeg=(55, 80),
        blur=(0.3, 0.9),
    ),
}


@dataclass
class SynthSample:
    image: Image.Image  # RGB, before JPEG compression (generate saves it at attrs["jpeg_quality"])
    mask: np.ndarray  # (H, W) uint8, 255 on active acne lesions, same frame as image
    attrs: dict
    skin: np.ndarray | None = (
        None  # (H, W) uint8, 255 where lesions may be drawn (bare facial skin)
    )


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi))


def _bbox(alpha: np.ndarray) -> tuple[slice, slice]:
    """Rows and columns where a full-frame layer is not zero (work only there: it is fast)."""
    x, y, w, h = cv2.boundingRect((alpha > 0.002).astype(np.uint8))
    return slice(y, y + h), slice(x, x + w)


def _blend(img: np.ndarray, alpha: np.ndarray, colour) -> None:
    """img = img * (1 - alpha) + colour * alpha, in place."""
    rows, cols = _bbox(alpha)
    a = alpha[rows, cols, None]
    region = img[rows, cols]
    region *= 1 - a
    region += a * np.asarray(colour, np.float32)


def _add(img: np.ndarray, alpha: np.ndarray, amount) -> None:
    """img += amount * alpha, in place (amount: a number or a full-frame layer)."""
    rows, cols = _bbox(alpha)
    extra = alpha[rows, cols] * (amount[rows, cols] if isinstance(amount, np.ndarray) else amount)
    img[rows, cols] += extra[..., None]


def _darken(img: np.ndarray, alpha: np.ndarray, strength: float) -> None:
    """img *= 1 - strength * alpha, in place."""
    rows, cols = _bbox(alpha)
    img[rows, cols] *= (1 - strength * alpha[rows, cols])[..., None]


def _shape(size: int, draw, blur: float = 0.0) -> np.ndarray:
    """A float32 alpha layer from a cv2 drawing callback on a uint8 canvas (soft-edged if blur)."""
    layer = np.zeros((size, size), np.uint8)
    draw(layer)
    alpha = np.zeros((size, size), np.float32)
    x, y, w, h = cv2.boundingRect(layer)
    if w == 0:
        return alpha
    pad = int(3 * blur) + 1
    x0, y0, x1, y1 = (
        max(0, x - pad),
        max(0, y - pad),
        min(size, x + w + pad),
        min(size, y + h + pad),
    )
    patch = layer[y0:y1, x0:x1].astype(np.float32) * (1 / 255)
    alpha[y0:y1, x0:x1] = cv2.GaussianBlur(patch, (0, 0), blur) if blur > 0 else patch
    return alpha


def _ellipse(layer, centre, axes, angle=0.0, start=0, end=360, value=255, thickness=-1):
    cv2.ellipse(
        layer,
        (int(round(centre[0] * 16)), int(round(centre[1] * 16))),
        (max(1, int(round(axes[0] * 16))), max(1, int(round(axes[1] * 16)))),
        angle,
        start,
        end,
        value,
        thickness,
        cv2.LINE_AA,
        4,
    )


def _background(rng: np.random.Generator, size: int, style: Style) -> tuple[np.ndarray, str]:
    palette = style.backgrounds
    c1 = np.array(palette[rng.integers(len(palette))], np.float32) * _u(rng, 0.85, 1.1)
    c2 = np.array(palette[rng.integers(len(palette))], np.float32) * _u(rng, 0.85, 1.1)
    kind = ["solid", "gradient", "room"][rng.integers(3)]
    img = np.empty((size, size, 3), np.float32)
    img[:] = c1
    if kind == "gradient":
        t = np.linspace(0, 1, size, dtype=np.float32)
        angle = _u(rng, 0, 2 * math.pi)
        ramp = np.cos(angle) * t[None, :] + np.sin(angle) * t[:, None]
        ramp = (ramp - ramp.min()) / max(1e-6, np.ptp(ramp))
        img = c1 * (1 - ramp[..., None]) + c2 * ramp[..., None]
    elif kind == "room":
        # A wall, a floor or skirting line, and a few rectangles (door, window, picture frames).
        horizon = int(size * _u(rng, 0.55, 0.85))
        img[horizon:] = c2 * 0.8
        for _ in range(rng.integers(1, 4)):
            x0, y0 = int(rng.integers(0, size)), int(rng.integers(0, horizon))
            w, h = int(size * _u(rng, 0.1, 0.4)), int(size * _u(rng, 0.1, 0.5))
            colour = np.array(palette[rng.integers(len(palette))], np.float32) * _u(rng, 0.6, 1.2)
            img[y0 : y0 + h, x0 : x0 + w] = colour
            cv2.rectangle(
                img, (x0, y0), (x0 + w, y0 + h), (colour * 0.6).tolist(), max(1, size // 128)
            )
    return img, kind


def _skin_colour(rng: np.random.Generator, group: str) -> np.ndarray:
    base = np.array(SKIN_TONES[group], np.float32)
    jitter = np.array([_u(rng, -8, 8), _u(rng, -8, 8), _u(rng, -8, 8)], np.float32)
    return np.clip(base * _u(rng, 0.94, 1.06) + jitter, 20, 250)


@dataclass(frozen=True, eq=False)
class Look:
    """Who the selfie shows, drawn independently of the grade."""

    ethnicity: str  # skin-tone group, a key of SKIN_TONES
    gender: str  # "M" or "F"
    skin: np.ndarray  # RGB of lit skin
    hair_name: str  # a key of HAIR_COLOURS
    hair: np.ndarray  # RGB of the hair

    @property
    def dark_skin(self) -> bool:
        return self.ethnicity in ("V", "VI")


@dataclass(frozen=True)
class FaceGeometry:
    """Where the face and its parts lie, in pixels of the frame before the roll.

    Every drawing step reads it. ``*_line`` values are heights (y); offsets are horizontal
    distances from the centre line. The steps call the half width and half height ``a`` and
    ``b``, an ellipse's semi-axes, as most coordinates are fractions of them."""

    centre_x: float
    centre_y: float
    half_width: float
    half_height: float
    jaw_power: float  # exponent of the superellipse below the centre: higher is squarer
    eye_line: float
    eye_offset: float  # from the centre line to each eye's centre
    eye_half_width: float
    eye_half_height: float
    brow_line: float
    nose_line: float  # where the nostrils are
    mouth_line: float
    mouth_half_width: float
    hairline: float  # top of the forehead at the centre line (a fringe may come lower)


@dataclass(frozen=True, eq=False)
class Lighting:
    """The light on the face: what shades the skin, the features and raised lesions."""

    direction: np.ndarray  # (x, y, z) towards the light; z points at the camera
    theta: float  # the light's side angle, which also tilts the camera's falloff
    shade: np.ndarray  # (S, S) brightness of the face's skin, 1 outside the head's box


def render_selfie(
    rng: np.random.Generator,
    grade: int,
    *,
    size: int = 512,
    style: str = "default",
    look_alikes=(),
    **overrides,
) -> SynthSample:
    """One synthetic selfie of acne grade ``grade`` (0..5) with its lesion mask.

    ``overrides`` pin attributes otherwise drawn at random: ethnicity ("I".."VI"), gender
    ("M"/"F"), roll (degrees), light (intensity), face_scale (half face width / size).
    ``look_alikes``: things that are not acne to draw on a clear face (grade 0 only; see
    lookalikes.LOOK_ALIKES), from a stream of their own: without them the selfie is as before.

    The steps below draw from ``rng`` in a fixed order; changing that order changes every
    image a seed gives, and with them the cached sets and the shipped synthetic model.
    """
    _check_arguments(grade, style, overrides)
    look_alikes = lookalikes.check(look_alikes)
    if look_alikes and grade != 0:
        raise ValueError("look-alikes are drawn on clear faces (grade 0) only")
    st = STYLES[style]
    look = _look(rng, overrides)
    img, bg_kind = _background(rng, size, st)
    geo = _face_geometry(rng, size, look.gender, overrides.get("face_scale"))
    long_hair = _draw_body(rng, img, size, geo, look)
    face, level, lighting = _draw_face_skin(rng, img, size, geo, look.skin)
    socket, nostrils = _draw_sockets_and_nose(img, size, geo, face, look.skin, lighting.direction)
    _draw_eyes(rng, img, size, geo, look.gender, lighting.shade)
    brows = _draw_brows(rng, img, size, geo, look)
    lips = _draw_lips(rng, img, size, geo, look, lighting.shade)
    cap, fringe_drop = _draw_hair(rng, img, size, geo, look, long_hair)
    skin_ok = _lesion_area(face, cap, level, [socket, brows, lips, nostrils])

    mask = np.zeros((size, size), np.uint8)
    counts, zones = _draw_acne(
        rng, img, mask, skin_ok, grade, look, lighting.direction, geo, geo.hairline + fringe_drop
    )
    if look_alikes:
        stream = np.random.default_rng(rng.integers(2**63))
        lookalikes.draw(stream, img, skin_ok, geo, look, look_alikes)
    roll, img, mask, skin_area, eyes = _roll(rng, img, mask, skin_ok, size, geo, overrides)
    out, intensity = _camera(rng, img, size, st, lighting.theta, overrides)

    attrs = {
        "gender": look.gender,
        "ethnicity": look.ethnicity,
        "grade": grade,
        "style": style,
        **counts,
        "zones": "+".join(zones),
        "hair": look.hair_name,
        "long_hair": bool(long_hair),
        "background": bg_kind,
        "roll": round(roll, 2),
        "light": round(intensity, 3),
        "jpeg_quality": int(rng.integers(st.jpeg[0], st.jpeg[1] + 1)),
        "face_box": [
            int(geo.centre_x - geo.half_width),
            int(geo.centre_y - geo.half_height),
            int(2 * geo.half_width),
            int(2 * geo.half_height),
        ],
        "eyes": eyes.round(2).tolist(),  # [[x, y], [x, y]]: the picture's left eye first
    }
    if look_alikes:
        attrs["look_alikes"] = "+".join(look_alikes)
    return SynthSample(image=Image.fromarray(out), mask=mask, attrs=attrs, skin=skin_area)


def _check_arguments(grade: int, style: str, overrides: dict) -> None:
    if grade not in GRADES:
        raise ValueError(f"grade must be one of {GRADES}, got {grade!r}")
    if style not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {style!r}")
    unknown = set(overrides) - {"ethnicity", "gender", "roll", "light", "face_scale"}
    if unknown:
        raise TypeError(f"unknown overrides: {sorted(unknown)}")


def _look(rng: np.random.Generator, overrides: dict) -> Look:
    group = overrides.get("ethnicity") or list(SKIN_TONES)[rng.integers(len(SKIN_TONES))]
    gender = overrides.get("gender") or ("M" if rng.random() < 0.5 else "F")
    skin = _skin_colour(rng, group)
    dark_skin = group in ("V", "VI")
    hair_names = list(HAIR_COLOURS)
    hair_p = np.array([3, 3, 2, 1, 1, 0.5] if not dark_skin else [6, 3, 1, 0.2, 0.1, 0.4])
    hair_name = hair_names[rng.choice(len(hair_names), p=hair_p / hair_p.sum())]
    hair = np.array(HAIR_COLOURS[hair_name], np.float32) * _u(rng, 0.85, 1.15)
    return Look(ethnicity=group, gender=gender, skin=skin, hair_name=hair_name, hair=hair)


def _face_geometry(
    rng: np.random.Generator, size: int, gender: str, face_scale: float | None
) -> FaceGeometry:
    # Drawn even when face_scale pins it, so that the draws after it do not move.
    drawn_scale = _u(rng, 0.19, 0.235)
    half_width = size * (drawn_scale if face_scale is None else face_scale)
    half_height = half_width * _u(rng, 1.28, 1.42)
    centre_x = size * 0.5 + size * _u(rng, -0.06, 0.06)
    centre_y = size * 0.47 + size * _u(rng, -0.04, 0.04)
    jaw_power = _u(rng, 2.2, 2.8) if gender == "M" else _u(rng, 1.8, 2.3)
    eye_line = centre_y - half_height * _u(rng, 0.02, 0.09)
    eye_offset = half_width * _u(rng, 0.41, 0.46)
    eye_half_width = half_width * _u(rng, 0.2, 0.23)
    eye_half_height = half_width * _u(rng, 0.075, 0.095)
    brow_line = eye_line - half_width * _u(rng, 0.2, 0.26)
    nose_line = centre_y + half_height * _u(rng, 0.28, 0.36)
    mouth_line = centre_y + half_height * _u(rng, 0.55, 0.62)
    mouth_half_width = half_width * _u(rng, 0.26, 0.36)
    hairline_v = -_u(rng, 0.55, 0.68)  # in half heights from the centre
    return FaceGeometry(
        centre_x=centre_x,
        centre_y=centre_y,
        half_width=half_width,
        half_height=half_height,
        jaw_power=jaw_power,
        eye_line=eye_line,
        eye_offset=eye_offset,
        eye_half_width=eye_half_width,
        eye_half_height=eye_half_height,
        brow_line=brow_line,
        nose_line=nose_line,
        mouth_line=mouth_line,
        mouth_half_width=mouth_half_width,
        hairline=centre_y + hairline_v * half_height,
    )


def _draw_body(rng, img: np.ndarray, size: int, geo: FaceGeometry, look: Look) -> bool:
    """Shoulders, long hair behind the head, neck and ears; returns whether the hair is long."""
    cx, cy, a, b = geo.centre_x, geo.centre_y, geo.half_width, geo.half_height
    shirt = np.array([_u(rng, 20, 235) for _ in range(3)], np.float32)
    body = _shape(
        size, lambda L: _ellipse(L, (cx, cy + b + a * 1.5), (a * _u(rng, 2.0, 2.6), a * 1.3)), 1.0
    )
    gender = look.gender
    long_hair = gender == "F" and rng.random() < 0.85 or gender == "M" and rng.random() < 0.08
    if long_hair:
        length = b * _u(rng, 1.0, 1.9)
        hair_back = _shape(
            size,
            lambda L: (
                _ellipse(L, (cx, cy - 0.1 * b), (a * 1.18, b * 1.0)),
                cv2.rectangle(
                    L,
                    (int(cx - a * 1.18), int(cy)),
                    (int(cx + a * 1.18), int(cy + length)),
                    255,
                    -1,
                ),
            ),
            1.5,
        )
        _blend(img, hair_back, look.hair * 0.8)
    _blend(img, body, shirt)
    neck = _shape(
        size,
        lambda L: cv2.rectangle(
            L,
            (int(cx - 0.45 * a), int(cy + 0.5 * b)),
            (int(cx + 0.45 * a), int(cy + b + a)),
            255,
            -1,
        ),
        1.0,
    )
    _blend(img, neck, look.skin * 0.72)
    ears = _shape(
        size,
        lambda L: [
            _ellipse(L, (cx + s * a * 0.97, geo.eye_line + 0.12 * b), (0.14 * a, 0.27 * a))
            for s in (-1, 1)
        ],
        0.8,
    )
    _blend(img, ears, look.skin * 0.85)
    return long_hair


def _draw_face_skin(
    rng, img: np.ndarray, size: int, geo: FaceGeometry, skin: np.ndarray
) -> tuple[np.ndarray, np.ndarray, Lighting]:
    """The lit skin of the face; returns its alpha, its implicit level (below 1 inside) and the
    lighting."""
    # Face region (egg above, superellipse jaw below) as an implicit function on a grid.
    # Only the head's neighbourhood is computed; the rest of the frame stays zero.
    cx, cy, a, b = geo.centre_x, geo.centre_y, geo.half_width, geo.half_height
    ry0, ry1 = max(0, int(cy - 1.05 * b)), min(size, int(cy + 1.05 * b) + 1)
    rx0, rx1 = max(0, int(cx - 1.05 * a)), min(size, int(cx + 1.05 * a) + 1)
    ys, xs = np.mgrid[ry0:ry1, rx0:rx1].astype(np.float32)
    u, v = (xs - cx) / a, (ys - cy) / b
    jaw = geo.jaw_power
    lvl = np.where(v < 0, u * u + v * v, np.abs(u) ** jaw + np.abs(v) ** jaw)
    level = np.full((size, size), 9.0, np.float32)
    level[ry0:ry1, rx0:rx1] = lvl
    face = np.clip((1.0 - level) * a * 0.5, 0, 1).astype(np.float32)  # ~2 px soft edge
    # Lambert shading on an ellipsoid-ish normal, light from a random direction in front.
    theta = _u(rng, -0.9, 0.9)
    phi = _u(rng, -0.5, 0.3)
    light = np.array([math.sin(theta), math.sin(phi), math.cos(theta) * math.cos(phi)], np.float32)
    nz = np.sqrt(np.clip(1.0 - np.minimum(lvl, 1.0), 0, 1))
    nx, ny = u * 0.8, v * 0.8
    norm = np.sqrt(nx * nx + ny * ny + nz * nz) + 1e-6
    lambert = np.clip((nx * light[0] + ny * light[1] + nz * light[2]) / norm, 0, 1)
    ambient = _u(rng, 0.45, 0.6)
    shade = np.ones((size, size), np.float32)
    # Blotchy low-frequency skin variation (not correlated with grade).
    blotch = cv2.resize(
        rng.normal(0, 1, (6, 6)).astype(np.float32),
        (rx1 - rx0, ry1 - ry0),
        interpolation=cv2.INTER_CUBIC,
    )
    shade[ry0:ry1, rx0:rx1] = ambient + (1 - ambient) * lambert
    f = face[ry0:ry1, rx0:rx1, None]
    region = img[ry0:ry1, rx0:rx1]
    region *= 1 - f
    region += f * skin[None, None, :] * (shade[ry0:ry1, rx0:rx1] * (1 + 0.03 * blotch))[..., None]
    return face, level, Lighting(direction=light, theta=theta, shade=shade)


def _draw_sockets_and_nose(
    img: np.ndarray,
    size: int,
    geo: FaceGeometry,
    face: np.ndarray,
    skin: np.ndarray,
    light: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Eye sockets and the nose's shading; returns the sockets' and nostrils' alpha."""
    cx, a, eye_y, nose_y = geo.centre_x, geo.half_width, geo.eye_line, geo.nose_line
    ew, eh = geo.eye_half_width, geo.eye_half_height
    # Eye sockets and the shadow under the brows: what a Haar face detector keys on.
    socket = _shape(
        size,
        lambda L: [
            _ellipse(L, (cx + s * geo.eye_offset, eye_y - 0.05 * a), (ew * 1.6, eh * 3.0))
            for s in (-1, 1)
        ],
        a * 0.08,
    )
    _darken(img, socket * face, 0.5)
    # Nose: darker sides, lit ridge, nostrils.
    nose_sides = _shape(
        size,
        lambda L: [
            cv2.line(
                L,
                (int(cx + s * 0.11 * a), int(eye_y + 0.15 * a)),
                (int(cx + s * 0.15 * a), int(nose_y)),
                255,
                max(1, int(0.06 * a)),
            )
            for s in (-1, 1)
        ],
        a * 0.04,
    )
    _darken(img, nose_sides * face, 0.18)
    nostrils = _shape(
        size,
        lambda L: [
            _ellipse(L, (cx + s * 0.075 * a, nose_y + 0.03 * a), (0.05 * a, 0.028 * a))
            for s in (-1, 1)
        ],
        0.6,
    )
    _blend(img, nostrils * 0.75, skin * 0.3)
    # A lit nose bridge between the eyes and a shadow under the nose tip.
    ridge = _shape(
        size,
        lambda L: cv2.line(
            L,
            (int(cx + light[0] * 0.03 * a), int(eye_y - 0.05 * a)),
            (int(cx + light[0] * 0.05 * a), int(nose_y - 0.04 * a)),
            255,
            max(2, int(0.09 * a)),
        ),
        a * 0.04,
    )
    _add(img, ridge * face, 28)
    under = _shape(
        size, lambda L: _ellipse(L, (cx, nose_y + 0.09 * a), (0.17 * a, 0.05 * a)), a * 0.03
    )
    _darken(img, under * face, 0.3)
    return socket, nostrils


def _draw_eyes(
    rng, img: np.ndarray, size: int, geo: FaceGeometry, gender: str, shade: np.ndarray
) -> None:
    """Sclera, iris, pupil, upper lid and catch-light of both eyes."""
    a, eye_y = geo.half_width, geo.eye_line
    ew, eh = geo.eye_half_width, geo.eye_half_height
    sclera_colour = np.array([225, 220, 212], np.float32) * _u(rng, 0.7, 0.85)
    iris = np.array(IRIS_COLOURS[rng.integers(len(IRIS_COLOURS))], np.float32)
    gaze = _u(rng, -0.25, 0.25) * ew
    lid_thickness = max(1, int(a * (0.035 if gender == "F" else 0.022)))
    for s in (-1, 1):
        ex = geo.centre_x + s * geo.eye_offset
        centre = (int(ex + gaze), int(eye_y))
        sclera = _shape(size, lambda L, ex=ex: _ellipse(L, (ex, eye_y), (ew, eh)), 0.5)
        _blend(img, sclera, sclera_colour * (0.75 + 0.25 * shade[int(eye_y), int(ex)]))
        iris_a = _disc_layer(size, centre, max(2, int(1.0 * eh))) * sclera
        _blend(img, iris_a, iris)
        pupil = _disc_layer(size, centre, max(1, int(0.45 * eh))) * sclera
        _blend(img, pupil, (10, 10, 12))
        lid = _shape(
            size,
            lambda L, ex=ex: _ellipse(
                L, (ex, eye_y + 0.1 * eh), (ew * 1.05, eh * 1.1), 0, 190, 350, 255, lid_thickness
            ),
            0.5,
        )
        _blend(img, lid, (30, 22, 20))
        glint_centre = (int(ex + gaze + 0.3 * eh), int(eye_y - 0.3 * eh))
        glint = _disc_layer(size, glint_centre, max(1, int(0.16 * eh)))
        _blend(img, glint * 0.9, (250, 250, 250))


def _disc_layer(size: int, centre: tuple[int, int], radius: int) -> np.ndarray:
    """A hard-edged (anti-aliased) disc as an alpha layer."""
    return _shape(size, lambda L: cv2.circle(L, centre, radius, 255, -1, cv2.LINE_AA))


def _draw_brows(rng, img: np.ndarray, size: int, geo: FaceGeometry, look: Look) -> np.ndarray:
    """Eyebrows: thick arcs, darker than the hair; returns their alpha."""
    cx, a, brow_y = geo.centre_x, geo.half_width, geo.brow_line
    brow_colour = np.minimum(look.hair * 0.6, look.skin * 0.45)
    thick = max(2, int(a * (0.07 if look.gender == "M" else 0.05)))
    arch = _u(rng, 0.03, 0.09) * a

    def arc(s: int) -> np.ndarray:
        return np.array(
            [
                (cx + s * 0.14 * a, brow_y + 0.03 * a),
                (cx + s * 0.35 * a, brow_y - arch),
                (cx + s * 0.62 * a, brow_y + 0.04 * a),
            ],
            np.int32,
        )

    brows = _shape(
        size,
        lambda L: [cv2.polylines(L, [arc(s)], False, 255, thick, cv2.LINE_AA) for s in (-1, 1)],
        0.8,
    )
    _blend(img, brows * 0.9, brow_colour)
    return brows


def _draw_lips(
    rng, img: np.ndarray, size: int, geo: FaceGeometry, look: Look, shade: np.ndarray
) -> np.ndarray:
    """Lips (sometimes with lipstick) and the line between them; returns the lips' alpha."""
    cx, a, mouth_y, mouth_w = geo.centre_x, geo.half_width, geo.mouth_line, geo.mouth_half_width
    lit = shade[int(mouth_y), int(cx)]
    lip_colour = (
        look.skin * np.array([0.92, 0.6, 0.6], np.float32) * (1.0 if not look.dark_skin else 0.85)
    )
    if look.gender == "F" and rng.random() < 0.4:
        lipstick = np.array([_u(rng, 150, 200), _u(rng, 40, 80), _u(rng, 60, 90)], np.float32)
        lip_colour = lipstick * (lit + 0.2)
    lips = _shape(
        size,
        lambda L: (
            _ellipse(L, (cx, mouth_y), (mouth_w, 0.08 * a), 0, 180, 360),
            _ellipse(L, (cx, mouth_y), (mouth_w * 0.92, 0.11 * a), 0, 0, 180),
        ),
        0.7,
    )
    _blend(img, lips, lip_colour * lit)
    mouth_line = _shape(
        size,
        lambda L: cv2.line(
            L,
            (int(cx - mouth_w), int(mouth_y)),
            (int(cx + mouth_w), int(mouth_y)),
            255,
            max(1, int(0.02 * a)),
            cv2.LINE_AA,
        ),
        0.5,
    )
    _blend(img, mouth_line * 0.8, lip_colour * 0.35)
    return lips


def _draw_hair(
    rng, img: np.ndarray, size: int, geo: FaceGeometry, look: Look, long_hair: bool
) -> tuple[np.ndarray, float]:
    """Hair on top: the cap above the hairline, possibly a fringe, and the sides for long hair.

    Returns the hair's alpha and how far the fringe comes below the hairline."""
    cx, cy, a, b, hl = geo.centre_x, geo.centre_y, geo.half_width, geo.half_height, geo.hairline
    fringe_drop = _u(rng, 0.0, 0.12) * b if rng.random() < 0.4 else 0.0

    def hair_cap(L):
        _ellipse(L, (cx, cy - 0.08 * b), (a * 1.06, b * 1.0), 0, 180, 360)
        cv2.rectangle(L, (0, int(hl + fringe_drop)), (size, size), 0, -1)
        _ellipse(L, (cx, hl), (a * _u(rng, 0.75, 0.95), 0.12 * b + fringe_drop), 0, 180, 360)
        if long_hair:
            for s in (-1, 1):
                _ellipse(L, (cx + s * a * 1.02, cy + 0.1 * b), (0.2 * a, b * 0.95))

    cap = _shape(size, hair_cap, 1.2)
    if look.gender == "M" and not long_hair and rng.random() < 0.15:
        cap *= 0.35  # buzz cut: the scalp shows through
    hair_noise = cv2.resize(rng.normal(0, 1, (32, 32)).astype(np.float32), (size, size))
    _blend(img, cap, look.hair)
    _add(img, cap, hair_noise * 8)
    return cap, fringe_drop


def _lesion_area(
    face: np.ndarray, cap: np.ndarray, level: np.ndarray, features: list[np.ndarray]
) -> np.ndarray:
    """Where lesions may go: skin only, away from the features (eyes, brows, nostrils, lips),
    the hair and the face's edge."""
    skin_ok = (face > 0.99) & (cap < 0.05)
    exclude = np.maximum.reduce(features)
    skin_ok &= cv2.dilate((exclude > 0.1).astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
    skin_ok &= level < 0.85
    return skin_ok


def _roll(rng, img, mask, skin_ok, size: int, geo: FaceGeometry, overrides: dict):
    """Pose: a small roll about the face centre (the background turns with it; it is plain).

    Returns the angle, the turned image, mask and lesion area, and the eyes' centres."""
    # Drawn even when the override pins it, so that the draws after it do not move.
    drawn = _u(rng, -10, 10)
    roll = float(overrides.get("roll", drawn))
    rot = cv2.getRotationMatrix2D((geo.centre_x, geo.centre_y), roll, 1.0)
    img = cv2.warpAffine(
        img, rot, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101
    )
    mask = cv2.warpAffine(
        mask, rot, (size, size), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT
    )
    skin_area = cv2.warpAffine(
        skin_ok.astype(np.uint8) * 255, rot, (size, size), flags=cv2.INTER_NEAREST
    )
    left, right = geo.centre_x - geo.eye_offset, geo.centre_x + geo.eye_offset
    eyes = np.array([[left, geo.eye_line, 1], [right, geo.eye_line, 1]]) @ rot.T
    return roll, img, mask, skin_area, eyes


def _camera(
    rng, img: np.ndarray, size: int, st: Style, theta: float, overrides: dict
) -> tuple[np.ndarray, float]:
    """Light intensity, side falloff, colour cast, slight defocus, sensor noise; returns the
    uint8 image and the intensity."""
    # Drawn even when the override pins it, so that the draws after it do not move.
    drawn = _u(rng, *st.light)
    intensity = float(overrides.get("light", drawn))
    grad = _u(rng, *st.light_gradient) * (1 if rng.random() < 0.5 else -1)
    falloff = 1 + grad * (np.linspace(-0.5, 0.5, size, dtype=np.float32) * math.cos(theta))[None, :]
    cast = 1 + np.array([_u(rng, -st.cast, st.cast) for _ in range(3)], np.float32)
    img *= (falloff[..., None] * intensity) * cast
    sigma = _u(rng, *st.blur) * size / 512
    if sigma > 0.15:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += rng.standard_normal(img.shape, dtype=np.float32) * _u(rng, *st.noise)
    return np.clip(img, 0, 255).astype(np.uint8), intensity


def _zone_box(
    zone: str, geo: FaceGeometry, forehead_top: float
) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of a face zone before the roll is applied."""
    cx, cy, a, b = geo.centre_x, geo.centre_y, geo.half_width, geo.half_height
    eye_y, mouth_y = geo.eye_line, geo.mouth_line
    if zone == "forehead":
        return cx - 0.62 * a, forehead_top + 0.04 * b, cx + 0.62 * a, geo.brow_line - 0.1 * a
    if zone == "right_cheek":  # the shopper's right: the picture's left
        return cx - 0.85 * a, eye_y + 0.2 * a, cx - 0.22 * a, mouth_y + 0.05 * b
    if zone == "left_cheek":
        return cx + 0.22 * a, eye_y + 0.2 * a, cx + 0.85 * a, mouth_y + 0.05 * b
    if zone == "nose":
        return cx - 0.16 * a, eye_y + 0.25 * a, cx + 0.16 * a, geo.nose_line - 0.05 * a
    return cx - 0.42 * a, mouth_y + 0.16 * a, cx + 0.42 * a, cy + 0.93 * b  # chin


# Marks first, then lesions from the flattest to the most raised, so that raised ones lie on top.
DRAW_ORDER = (
    "pih",
    "pie",
    "open_comedones",
    "closed_comedones",
    "nodules",
    "papules",
    "pustules",
)


def _draw_acne(
    rng, img, mask, skin_ok, grade, look: Look, light, geo: FaceGeometry, forehead_top: float
) -> tuple[dict, list[str]]:
    """Acne of ``grade``: diffuse redness over the chosen zones (severe grades), then marks,
    then lesions. Returns how many of each kind found a place on the skin, and the zones."""
    recipe = GRADE_RECIPES[grade]
    zones = _acne_zones(rng, recipe)
    chosen = _Zones(zones, geo, forehead_top)
    counts = _lesion_counts(rng, recipe)
    everywhere = _Zones(ZONES, geo, forehead_top)
    painter = _LesionPainter(rng, img, mask, skin_ok, look, light, geo.half_width)
    if recipe.erythema > 0:
        for box in chosen.boxes:
            painter.erythema(box, recipe.erythema)
    placed = dict.fromkeys(counts, 0)
    for kind in DRAW_ORDER:
        # Marks are spread over the whole face; lesions keep to the chosen zones.
        area = chosen if kind not in MARK_TYPES and chosen.boxes else everywhere
        for _ in range(counts[kind]):
            spot = area.spot(rng, skin_ok)
            if spot is not None:
                painter.paint(kind, *spot)
                placed[kind] += 1
    return placed, zones


def _acne_zones(rng: np.random.Generator, recipe: GradeRecipe) -> list[str]:
    """The zones the lesions spread over, larger zones more often."""
    n_zones = int(rng.integers(recipe.zones[0], recipe.zones[1] + 1))
    if not n_zones:
        return []
    zone_p = np.array([ZONE_AREA[z] for z in ZONES])
    return list(rng.choice(ZONES, size=n_zones, replace=False, p=zone_p / zone_p.sum()))


def _lesion_counts(rng: np.random.Generator, recipe: GradeRecipe) -> dict[str, int]:
    n_com = int(rng.integers(recipe.comedones[0], recipe.comedones[1] + 1))
    n_infl = int(rng.integers(recipe.inflammatory[0], recipe.inflammatory[1] + 1))
    n_pust = int(rng.binomial(n_infl, _u(rng, 0.25, 0.5)))
    n_open = int(rng.binomial(n_com, 0.5))
    return {
        "open_comedones": n_open,
        "closed_comedones": n_com - n_open,
        "papules": n_infl - n_pust,
        "pustules": n_pust,
        "nodules": int(rng.integers(recipe.nodules[0], recipe.nodules[1] + 1)),
        # Marks appear at every grade with the same distribution: they must not predict the grade.
        "pih": int(rng.integers(0, 5)),
        "pie": int(rng.integers(0, 3)),
    }


class _Zones:
    """Face zones to place lesions in, each picked in proportion to its area."""

    def __init__(self, names, geo: FaceGeometry, forehead_top: float) -> None:
        self.boxes = [_zone_box(z, geo, forehead_top) for z in names]
        self.weights = np.array([ZONE_AREA[z] for z in names])

    def spot(self, rng: np.random.Generator, skin_ok: np.ndarray) -> tuple[float, float] | None:
        """A point on bare skin in one of the zones, or None after 30 misses."""
        for _ in range(30):
            x0, y0, x1, y1 = self.boxes[
                rng.choice(len(self.boxes), p=self.weights / self.weights.sum())
            ]
            x, y = _u(rng, x0, x1), _u(rng, y0, y1)
            if (
                0 <= int(y) < skin_ok.shape[0]
                and 0 <= int(x) < skin_ok.shape[1]
                and skin_ok[int(y), int(x)]
            ):
                return x, y
        return None


class _LesionPainter:
    """Paints each kind of lesion or mark at a point: sizes in proportion to the face, colours
    for the skin tone, raised lesions shaded by the light and as glossy as this skin would be.
    Active lesions are marked in the mask; marks and redness are not."""

    def __init__(self, rng, img, mask, skin_ok, look: Look, light, half_width: float) -> None:
        self.rng, self.img, self.mask, self.skin_ok = rng, img, mask, skin_ok
        self.light, self.half_width, self.skin = light, half_width, look.skin
        lum = float(look.skin @ np.array([0.3, 0.59, 0.11], np.float32))
        self.gloss = 0.25 * lum  # a highlight as bright as it would be on this skin
        if look.dark_skin:
            self.red = np.array([120, 45, 45], np.float32)
            self.deep = np.array([85, 30, 38], np.float32)
        else:
            self.red = np.array([218, 100, 96], np.float32)
            self.deep = np.array([175, 70, 85], np.float32)

    def paint(self, kind: str, x: float, y: float) -> None:
        painters = {
            "open_comedones": self.open_comedo,
            "closed_comedones": self.closed_comedo,
            "papules": self.papule,
            "pustules": self.pustule,
            "nodules": self.nodule,
            "pih": self.pih,
            "pie": self.pie,
        }
        painters[kind](x, y)

    def _radius(self, lo: float, hi: float) -> float:
        return self.half_width * _u(self.rng, lo, hi)

    def _disc(self, x, y, r, colour, opacity, *, raised=0, mark: bool, soft=False) -> None:
        _disc(
            self.img,
            self.mask,
            self.skin_ok,
            x,
            y,
            r,
            colour,
            opacity,
            raised=raised,
            light=self.light,
            mark=mark,
            soft=soft,
            gloss=self.gloss,
        )

    def open_comedo(self, x: float, y: float) -> None:
        self._disc(x, y, self._radius(0.022, 0.03), (38, 30, 26), 0.9, mark=True)

    def closed_comedo(self, x: float, y: float) -> None:
        r = self._radius(0.026, 0.036)
        self._disc(x, y, r, np.minimum(self.skin * 1.12 + 12, 255), 0.75, raised=0.5, mark=True)

    def papule(self, x: float, y: float) -> float:
        r = self._radius(0.035, 0.055)
        self._disc(x, y, r * 1.7, self.red, 0.25, mark=False)  # halo
        self._disc(x, y, r, self.red, 0.9, raised=1.0, mark=True)
        return r

    def pustule(self, x: float, y: float) -> None:
        r = self.papule(x, y)
        self._disc(x, y, r * 0.45, (245, 232, 170), 0.95, raised=0.3, mark=True)  # its head

    def nodule(self, x: float, y: float) -> None:
        r = self._radius(0.085, 0.13)
        self._disc(x, y, r * 1.5, self.red, 0.3, mark=False)  # halo
        self._disc(x, y, r, self.deep, 0.85, raised=1.6, mark=True)

    def pih(self, x: float, y: float) -> None:
        """Post-inflammatory hyperpigmentation: a flat brown mark."""
        colour = self.skin * np.array([0.72, 0.6, 0.55], np.float32)
        self._disc(x, y, self._radius(0.03, 0.055), colour, 0.45, mark=False)

    def pie(self, x: float, y: float) -> None:
        """Post-inflammatory erythema: a flat red mark."""
        colour = self.skin * np.array([1.0, 0.7, 0.7], np.float32)
        self._disc(x, y, self._radius(0.03, 0.05), colour, 0.3, mark=False)

    def erythema(self, box: tuple[float, float, float, float], strength: float) -> None:
        """Diffuse redness over a zone."""
        x0, y0, x1, y1 = box
        r = 0.5 * min(x1 - x0, y1 - y0) + 1
        self._disc((x0 + x1) / 2, (y0 + y1) / 2, r, self.red, strength, mark=False, soft=True)


def _disc(
    img, mask, skin_ok, x, y, r, colour, opacity, *, raised, light, mark, soft=False, gloss=50.0
) -> None:
    """A round lesion: coloured disc with soft edge, shaded as a bump when ``raised``."""
    S = img.shape[0]
    R = int(math.ceil(r + 2))
    x0, y0 = max(0, int(x) - R), max(0, int(y) - R)
    x1, y1 = min(S, int(x) + R + 1), min(S, int(y) + R + 1)
    if x1 <= x0 or y1 <= y0:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = (xx - x) / r, (yy - y) / r
    d = np.sqrt(dx * dx + dy * dy)
    if soft:
        alpha = np.exp(-2.5 * d * d)
    else:
        alpha = np.clip((1.0 - d) * r * 0.8 + 0.3, 0, 1)
    alpha *= skin_ok[y0:y1, x0:x1]
    region = img[y0:y1, x0:x1]
    region *= 1 - (alpha * opacity)[..., None]
    region += (alpha * opacity)[..., None] * np.asarray(colour, np.float32)
    if raised:
        # Lit on the light's side, shadowed on the other: a bump reads on every skin tone.
        bump = np.clip(-(dx * light[0] + dy * light[1]) * 0.9, -1, 1) * np.clip(1 - d, 0, 1)
        region *= (1 + 0.28 * raised * bump * alpha)[..., None]
        spec = np.exp(-((dx + 0.35 * light[0]) ** 2 + (dy + 0.35 * light[1]) ** 2) / 0.04) * alpha
        region += (spec * gloss * min(raised, 1.0))[..., None]
    if mark:
        mask[y0:y1, x0:x1][alpha > 0.35] = 255


def _render_to_disk(job: tuple[int, int, int, str, int, str]) -> dict:
    index, seed, grade, style, size, out_dir = job
    rng = np.random.default_rng([seed, list(STYLES).index(style), index])
    sample = render_selfie(rng, grade, size=size, style=style)
    name = f"{index:05d}"
    out = Path(out_dir)
    sample.image.save(out / "images" / f"{name}.jpg", quality=sample.attrs["jpeg_quality"])
    Image.fromarray(sample.mask).save(out / "masks" / f"{name}.png", optimize=False)
    row = {
        "path": f"images/{name}.jpg",
        "grade": grade,
        "gender": sample.attrs["gender"],
        "ethnicity": sample.attrs["ethnicity"],
        "mask": f"masks/{name}.png",
    }
    for key in (
        "style",
        *LESION_TYPES,
        *MARK_TYPES,
        "zones",
        "hair",
        "background",
        "roll",
        "light",
        "jpeg_quality",
    ):
        row[key] = sample.attrs[key]
    return row


def _init_worker() -> None:
    cv2.setNumThreads(1)


def generate(
    out_dir: str | Path,
    n: int,
    seed: int,
    *,
    style: str = "default",
    grades=None,
    size: int = 512,
    workers: int | None = None,
    progress: bool = True,
) -> Path:
    """Write ``n`` selfies balanced over ``grades`` (default: all GEA grades); returns the manifest.

    Image i depends only on (seed, style, i), so the output is identical whatever the number
    of worker processes.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if style not in STYLES:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {style!r}")
    grades = list(GRADES if grades is None else grades)
    if not grades or any(g not in GRADES for g in grades):
        raise ValueError(f"grades must be a non-empty subset of {GRADES}")
    out = Path(out_dir)
    (out / "images").mkdir(parents=True, exist_ok=True)
    (out / "masks").mkdir(parents=True, exist_ok=True)
    order = np.random.default_rng([seed, 7919]).permutation(np.resize(np.array(grades), n))
    jobs = [(i, seed, int(order[i]), style, size, str(out)) for i in range(n)]
    workers = workers or min(os.cpu_count() or 1, 2)
    start = time.monotonic()
    rows: list[dict] = []

    def report(done: int) -> None:
        if progress and (done == n or done % max(1, n // 10) == 0):
            rate = done / max(1e-6, time.monotonic() - start)
            print(f"synth: {done}/{n} images ({rate:.1f}/s)", file=sys.stderr, flush=True)

    if workers > 1 and n >= 8:
        # "spawn", not "fork": a fork after torch or OpenCV started their thread pools (a test
        # run, a worker process) can leave the children waiting forever on a copied lock.
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(workers, initializer=_init_worker) as pool:
            for row in pool.imap(_render_to_disk, jobs, chunksize=4):
                rows.append(row)
                report(len(rows))
    else:
        for job in jobs:
            rows.append(_render_to_disk(job))
            report(len(rows))
    manifest = out / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return manifest


def _cmd_synth(args: argparse.Namespace) -> int:
    grades = [int(g) for g in args.grades.split(",")] if args.grades else None
    manifest = generate(
        args.out,
        args.n,
        args.seed,
        style=args.style,
        grades=grades,
        size=args.size,
        workers=args.workers,
    )
    print(manifest)
    return 0


def add_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "synth", help="write synthetic selfies with acne, their masks and a manifest"
    )
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--n", type=int, required=True, help="number of images")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--style", choices=sorted(STYLES), default="default")
    p.add_argument("--size", type=int, default=512, help="image side in pixels")
    p.add_argument("--grades", help="comma-separated grades to draw (default: all)")
    p.add_argument("--workers", type=int, default=None, help="processes (default: up to 2)")
    p.set_defaults(func=_cmd_synth)
