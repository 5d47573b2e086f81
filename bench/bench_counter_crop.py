"""What the lesion counter's own crop costs the worker: the shipped model as it ships (its counter
reads the face's crop drawn again at 448 px, in a forward of its own) against the same model
with its counter reading the grading forward's 224 px feature maps (what it did before; the
counts then mean nothing, the time is what is measured). Each photograph is analysed as the
worker does (``Analyzer.analyze(bytes, k=10)``) by both, one after the other, so a load that
changes during the run moves them alike. Printed: the median and p90 of a whole analysis and
of its grading step ("predict", where the counter's forward runs), and their ratios.

    .venv/bin/python bench/bench_counter_crop.py [--acne04 ../shared/data/acne04] [--limit N]

Targets (issue 21): one analysis with k=10, median <= 0.8 s and p90 <= 1.2 s on 2 cores.
``--smoke``: two photographs of the folder given, else of a tiny generated one.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml import checkpoint as ckpt  # noqa: E402
from diagnosis.ml.errors import AnalysisError  # noqa: E402
from diagnosis.ml.inference import Analyzer  # noqa: E402


def main() -> int:
    args = smoke.photos_parser(__doc__.splitlines()[0]).parse_args()
    return smoke.on_acne04(args, measure)


def measure(args: argparse.Namespace) -> int:
    photos, shipped = smoke.photos_and_analyzer(args)
    path = Path(args.checkpoint) if args.checkpoint else ckpt.shipped_checkpoint()
    model, meta, extra = ckpt.load_checkpoint_with_extra(path)
    shared = Analyzer(model, meta, extra)
    if shipped.counter is None:
        print(f"SKIP: {path.name} has no lesion counter")
        return 0
    shared.counter = dataclasses.replace(shipped.counter, input_size=None)
    own = shipped.counter.reads_its_own_crop(shipped.input_size)
    print(
        f"model {shipped.model_info}: its counter reads "
        + (f"its own {shipped.counter.input_size} px crop" if own else "the grading forward")
        + f" (against the grading forward's maps); {len(photos)} {args.split} photographs, k=10"
    )
    times = {"as shipped": [], "on the grading forward": []}
    for photo in photos:
        data = Path(photo.path).read_bytes()
        try:
            for name, analyzer in (("as shipped", shipped), ("on the grading forward", shared)):
                timings = analyzer.analyze(data, k=10).timings
                times[name].append((timings["total"], timings["predict"]))
        except AnalysisError:
            continue
    if not times["as shipped"]:
        print("no photograph was analysed")
        return 0
    print(f"{'counter':24}{'analyses':>9}{'median s':>10}{'p90 s':>8}{'predict median s':>18}")
    figures = {}
    for name, rows in times.items():
        total, predict = np.array(rows).T
        figures[name] = (np.median(total), np.percentile(total, 90), np.median(predict))
        print(
            f"{name:24}{len(rows):>9}"
            + "".join(f"{v:>{w}.3f}" for v, w in zip(figures[name], (10, 8, 18), strict=True))
        )
    own, base = figures["as shipped"], figures["on the grading forward"]
    print(
        f"as shipped / on the grading forward: analysis median {own[0] / base[0]:.2f}x, p90 "
        f"{own[1] / base[1]:.2f}x, grading step median {own[2] / base[2]:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
