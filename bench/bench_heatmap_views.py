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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml.face import VIEWS  # noqa: E402
from modelbuilding import realeval  # noqa: E402

WAYS = (
    ("zero-padded copies", "zeros", False),
    ("zero-padded copies, in the photo", "zeros", True),
    ("edge-padded copies", "border", False),
    ("edge-padded copies, in the photo", "border", True),
)


def main() -> int:
    args = smoke.photos_parser(__doc__.splitlines()[0]).parse_args()
    return smoke.on_acne04(args, measure)


def measure(args: argparse.Namespace) -> int:
    photos, analyzer = smoke.photos_and_analyzer(args)
    found = realeval.view_peaks(
        analyzer.model, analyzer.contract, analyzer.target_layer, photos, ways=WAYS
    )
    print(
        f"model {analyzer.model_info}, layer {analyzer.target_layer}, k=10; "
        f"{len(photos)} {args.split} photographs"
    )
    print(f"{'heatmap':36}" + "".join(f"{v:>26}" for v in VIEWS))
    print(f"{'':36}" + "".join(f"{'n  pointing  outer tenth':>26}" for _ in VIEWS))
    for name, rows in found.items():
        views = realeval.per_view(rows)
        nan = {"n": 0, "pointing": float("nan"), "outer_tenth": float("nan")}
        cells = [
            "{n:>6}{pointing:>10.3f}{outer_tenth:>10.3f}".format(**views.get(view, nan))
            for view in VIEWS
        ]
        print(f"{name:36}" + "".join(f"{c:>26}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
