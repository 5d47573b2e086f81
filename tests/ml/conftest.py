"""Shared fixtures for the ML engine's tests: tiny images and manifests written to tmp_path.

The images are plain squares whose number of red spots is the grade, so a tiny model can learn
them in a few steps; ``resize_normalizer`` stands in for face detection (tested in test_face)."""

import csv
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from diagnosis.ml.errors import NoFaceFound
from diagnosis.ml.face import normalize_face
from modelbuilding import synth
from tests.ml.factories import SIZE

torch.set_num_threads(2)


def spotted_image(rng: np.random.Generator, grade: int, size: int = 64) -> Image.Image:
    skin = rng.integers(150, 230)
    image = np.zeros((size, size, 3), np.uint8)
    image[:] = (skin, int(skin * 0.8), int(skin * 0.7))
    for _ in range(grade * 3):
        y, x = rng.integers(4, size - 4, size=2)
        image[y - 3 : y + 3, x - 3 : x + 3] = (200, 30, 40)
    return Image.fromarray(image)


def resize_normalizer(path: Path, size: int, margin: float):
    """Stand-in for face normalization: the whole image, resized. 'missing' files fail."""
    if not Path(path).is_file():
        return None, "missing_file"
    with Image.open(path) as img:
        return np.asarray(img.convert("RGB").resize((size, size))), ""


def write_manifest(folder: Path, n: int, *, seed: int = 0, grades: int = 6, size: int = 64) -> Path:
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        grade = i % grades
        name = f"images/{i:04d}.png"
        spotted_image(rng, grade, size).save(folder / name)
        gender = ["female", "male", ""][i % 3]
        rows.append(
            {"path": name, "grade": grade, "gender": gender, "ethnicity": "IV" if i % 2 else "II"}
        )
    manifest = folder / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "grade", "gender", "ethnicity"])
        writer.writeheader()
        writer.writerows(rows)
    return manifest


@pytest.fixture
def tiny_manifest(tmp_path: Path) -> Path:
    return write_manifest(tmp_path / "data", 36)


@pytest.fixture(name="resize_normalizer")
def _resize_normalizer():
    return resize_normalizer


@pytest.fixture
def make_manifest():
    return write_manifest


@pytest.fixture(scope="module")
def selfie(tmp_path_factory) -> Path:
    """A synthetic selfie whose face the detector finds, saved losslessly."""
    rng = np.random.default_rng(21)
    for attempt in range(10):
        sample = synth.render_selfie(rng, 3, size=256)
        try:
            normalize_face(sample.image, size=SIZE)
        except NoFaceFound:
            continue
        path = tmp_path_factory.mktemp("selfie") / f"selfie{attempt}.png"
        sample.image.save(path)
        return path
    pytest.fail("the synthetic generator gave no detectable face in 10 tries")
