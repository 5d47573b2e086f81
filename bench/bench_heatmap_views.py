"""Where the shipped model's k=10 heatmap peaks, per view (frontal, profile, close-up), on an
ACNE04 split: the pointing game (the peak inside a dermatologist's lesion box) and the share of
peaks in the crop's outer tenth (a band that is 36 % of the crop's area), for the ways the
heatmap can be made, on the same crops and the same random copies:

- ``zero-padded copies``: each augmented copy shows the mean colour where its move uncovers the
  frame (how the heatmaps were made before);
- ``edge-padded copies``: the copy repeats the frame's edge pixel there instead;
- ``... , in the photo``: the map kept only where the crop shows the photo (a face near the
  photo's edge is cropped past it; those pixels only repeat the edge).

    .venv/bin/python bench/bench_heatmap_views.py [--acne04 ../shared/data/acne04] [--split valid]

On the valid split these are validation figures. ``--smoke``: two photographs of the folder
given, else of a tiny generated one (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml import explain as xai  # noqa: E402
from diagnosis.ml.errors import AnalysisError  # noqa: E402
from diagnosis.ml.face import VIEWS, inside_photo, load_image, normalize_face  # noqa: E402
from diagnosis.ml.inference import Analyzer  # noqa: E402
from modelbuilding import acne04, realeval  # noqa: E402

WAYS = (
    ("zero-padded copies", "zeros", False),
    ("zero-padded copies, in the photo", "zeros", True),
    ("edge-padded copies", "border", False),
    ("edge-padded copies, in the photo", "border", True),
)


def peaks(analyzer: Analyzer, photos) -> dict[str, dict[str, list]]:
    """Per way: per photograph with lesion boxes in its crop, (view, hit, peak in outer tenth)."""
    size = analyzer.input_size
    found: dict[str, list] = {name: [] for name, _, _ in WAYS}
    for photo in photos:
        picture = load_image(photo.path)
        try:
            face = normalize_face(picture, size=size, margin=analyzer.contract.margin)
        except AnalysisError:
            continue
        boxes = acne04.boxes_in_crop(photo.boxes, face.matrix, size)
        if not len(boxes):
            continue
        lesions = realeval.box_mask(boxes, size)
        inside = inside_photo(face.matrix, picture.size, size)
        x = analyzer.contract.tensor(face.image)
        maps = {
            padding: xai.explain_maps(
                analyzer.model, x, k=10, seed=0, target=analyzer.target_layer, padding=padding
            )[0].numpy()
            for padding in ("zeros", "border")
        }
        for name, padding, in_photo in WAYS:
            heat = maps[padding] * inside if in_photo else maps[padding]
            y, x0 = np.unravel_index(int(np.argmax(heat)), heat.shape)
            band = size // 10
            edge = min(y, x0, size - 1 - y, size - 1 - x0) < band
            found[name].append((face.view, bool(lesions[y, x0]), bool(edge)))
    return found


def main() -> int:
    args = smoke.photos_parser(__doc__.splitlines()[0]).parse_args()
    return smoke.on_acne04(args, measure)


def measure(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    photos = acne04.read_folder(args.acne04, args.split)[: args.limit or None]
    analyzer = Analyzer.load(args.checkpoint)
    found = peaks(analyzer, photos)
    print(
        f"model {analyzer.model_info}, layer {analyzer.target_layer}, k=10; "
        f"{len(photos)} {args.split} photographs"
    )
    print(f"{'heatmap':36}" + "".join(f"{v:>26}" for v in VIEWS))
    print(f"{'':36}" + "".join(f"{'n  pointing  outer tenth':>26}" for _ in VIEWS))
    for name, rows in found.items():
        cells = []
        for view in VIEWS:
            mine = [(hit, edge) for v, hit, edge in rows if v == view]
            hits = np.mean([h for h, _ in mine]) if mine else float("nan")
            edges = np.mean([e for _, e in mine]) if mine else float("nan")
            cells.append(f"{len(mine):>6}{hits:>10.3f}{edges:>10.3f}")
        print(f"{name:36}" + "".join(f"{c:>26}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
