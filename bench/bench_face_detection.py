"""One analysis with k=10 on real photographs, face detection as it was against as it is, in the
same process, photograph by photograph (interleaved, so a burst of load hits both alike):

- the detection as it was: every question to the profile cascade runs it in full (photo and
  mirror, down to half the smallest usable face), even to doubt a small frontal box whose only
  use is a profile face at least as wide;
- as it is: the profile cascade runs in full at most once per photo, and the doubt looks only
  at the sizes that can matter.

Prints the median and 90th percentile of both, their ratio, and how many photographs got the
same reading (view, box and crop's pixels) both ways: the crops the model was trained on must
not change.

    .venv/bin/python bench/bench_face_detection.py [--acne04 ../shared/data/acne04] [--split valid]

``--smoke``: two photographs of the folder given, else of a tiny generated one (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml import face  # noqa: E402
from diagnosis.ml.errors import AnalysisError  # noqa: E402
from diagnosis.ml.inference import Analyzer  # noqa: E402


class FullLookEveryTime(face._ProfileLook):
    """The profile look as it was: in full, each time it is asked."""

    def __call__(self, at_least: float | None = None) -> np.ndarray:
        return face._detect_profiles(self._gray, self._min_width)


def analyse(analyzer: Analyzer, data: bytes, *, as_before: bool):
    """(seconds, reading) of one analysis; the reading is the view, box and crop or the refusal."""
    look = FullLookEveryTime if as_before else face._ProfileLook
    saved, face._ProfileLook = face._ProfileLook, look
    started = time.perf_counter()
    try:
        result = analyzer.analyze(data, k=10, seed=0)
        reading = (result.view, tuple(result.face_box), result.face.tobytes())
    except AnalysisError as exc:
        reading = exc.code
    finally:
        face._ProfileLook = saved
    return time.perf_counter() - started, reading


def main() -> int:
    args = smoke.photos_parser(__doc__.splitlines()[0]).parse_args()
    return smoke.on_acne04(args, measure)


def measure(args: argparse.Namespace) -> int:
    photos, analyzer = smoke.photos_and_analyzer(args)
    analyse(analyzer, photos[0].path.read_bytes(), as_before=False)  # warm-up
    before, now, same = [], [], 0
    for i, photo in enumerate(photos):
        data = photo.path.read_bytes()
        order = (True, False) if i % 2 else (False, True)  # neither always goes first
        timed = {as_before: analyse(analyzer, data, as_before=as_before) for as_before in order}
        before.append(timed[True][0])
        now.append(timed[False][0])
        same += timed[True][1] == timed[False][1]
    b, n = np.array(before), np.array(now)
    print(f"model {analyzer.model_info}; {len(photos)} {args.split} photographs; k=10")
    print(f"{'':34}{'median':>8}{'p90':>8}")
    print(f"{'detection as it was':34}{np.median(b):8.3f}{np.quantile(b, 0.9):8.3f}")
    print(f"{'detection as it is':34}{np.median(n):8.3f}{np.quantile(n, 0.9):8.3f}")
    print(
        f"as it is / as it was: median {np.median(n) / np.median(b):.2f}, "
        f"p90 {np.quantile(n, 0.9) / np.quantile(b, 0.9):.2f} "
        f"(targets on 2 cores: median <= 0.8 s, p90 <= 1.2 s)"
    )
    print(f"same reading (view, box, crop pixels or refusal): {same} of {len(photos)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
