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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACNE04 = ROOT.parent / "shared" / "data" / "acne04"
HELP = "run at a tiny size in a few seconds (the figures mean nothing; the test suite runs this)"


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--smoke", action="store_true", help=HELP)


def photos_parser(description: str, *, checkpoint_help: str = "default: the shipped model"):
    """The arguments of a bench over the ACNE04 photographs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--acne04", help=f"default: {ACNE04}")
    parser.add_argument("--split", default="valid")
    parser.add_argument("--checkpoint", default=None, help=checkpoint_help)
    parser.add_argument("--limit", type=int, default=0, help="first N photographs only")
    parser.add_argument("--threads", type=int, default=2)
    add_argument(parser)
    return parser


def on_acne04(
    args: argparse.Namespace, measure: Callable[[argparse.Namespace], int], smoke_limit: int = 2
) -> int:
    """``measure(args)`` with ``args.acne04`` the folder to read (``acne04_folder``; in smoke
    mode its first ``smoke_limit`` photographs); SKIP when there is none."""
    if args.smoke:
        args.limit = args.limit or smoke_limit
    with acne04_folder(args.acne04, args.smoke) as args.acne04:
        if not (Path(args.acne04) / "manifest.csv").is_file():
            print(f"SKIP: no ACNE04 folder at {args.acne04} (give --acne04 PATH)")
            return 0
        return measure(args)


def photos_and_analyzer(args: argparse.Namespace):
    """The photographs ``on_acne04`` gives a bench (the first ``args.limit`` of ``args.split``)
    and the model that reads them (``args.checkpoint``), torch on ``args.threads`` threads."""
    import torch

    from diagnosis.ml.inference import Analyzer
    from modelbuilding import acne04

    torch.set_num_threads(args.threads)
    photos = acne04.read_folder(args.acne04, args.split)[: args.limit or None]
    return photos, Analyzer.load(args.checkpoint)


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
