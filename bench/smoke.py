"""The benches' smoke mode: ``python bench/bench_<name>.py --smoke`` runs the bench's own code at
a tiny size in a few seconds and prints its figures (meaningless at that size), so that the test
suite (tests/bench/test_smoke.py) turns red when a bench no longer runs.

A bench that reads the ACNE04 folder reads, in smoke mode, the folder it is given or else a tiny
one generated in ACNE04's layout (synthetic selfies from the engine's generator, their lesions
as the boxes): a fresh clone without ../shared smoke-runs too.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACNE04 = ROOT.parent / "shared" / "data" / "acne04"
HELP = "run at a tiny size in a few seconds (the figures mean nothing; the test suite runs this)"


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke", action="store_true", help=HELP)


@contextmanager
def acne04_folder(given: str | None, smoke: bool) -> Iterator[str]:
    """The ACNE04 folder a bench reads: the one given; else the shared data set, or in smoke
    mode a tiny generated one (removed afterwards)."""
    if given or not smoke:
        yield given or str(ACNE04)
        return
    with tempfile.TemporaryDirectory(prefix="bench-smoke-acne04-") as folder:
        yield str(write_tiny_acne04(Path(folder)))


def write_tiny_acne04(root: Path, *, per_level: int = 1, size: int = 384) -> Path:
    """``per_level`` photos of each Hayashi level (0-3) in each split, named as ACNE04's are."""
    import numpy as np

    from modelbuilding.synth import render_selfie
    from tests.ml.factories import write_acne04_folder

    rng = np.random.default_rng(0)
    photos = []
    for split in ("train", "valid"):
        for level in range(4):
            for n in range(per_level):
                sample = render_selfie(rng, level + 2, size=size)  # mild (2) to very severe (5)
                boxes = _lesion_boxes(sample.mask)
                image = np.asarray(sample.image.convert("RGB"))
                photos.append((split, f"levle{level}_{split}{n}", level, boxes, image))
    return write_acne04_folder(root, photos)


def _lesion_boxes(mask) -> list[tuple[int, int, int, int]]:
    """One box (x0, y0, x1, y1) per connected lesion of the generator's mask."""
    import cv2

    count, _, stats, _ = cv2.connectedComponentsWithStats((mask > 0).astype("uint8"))
    return [(int(x), int(y), int(x + w), int(y + h)) for x, y, w, h, _ in stats[1:count]]
