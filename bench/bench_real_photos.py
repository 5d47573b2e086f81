"""The shipped model on real photographs, end to end as the worker runs it (decode, normalize,
grade, k=10 heatmap), on an ACNE04 split given by its folder:

- share of photographs analysed (refused: by reason) and answered (withheld: by reason);
- four Hayashi levels: accuracy, MAE, Spearman(level, score), recall per level;
- the heatmap's peak inside a dermatologist's lesion box (pointing game);
- lesion-free versions of the mild photographs: share read clear or almost clear; the same
  faces with more and more painted lesions: Spearman(painted count, score);
- speed: one analysis with k=10 (target <= 1 s on 2 cores), and its ratio to a plain forward
  of the same face measured in the same rounds; memory: peak RSS of the process (target:
  worker under 1.5 GB).

    .venv/bin/python bench/bench_real_photos.py [--acne04 ../shared/data/acne04] [--split valid]

On the valid split these are validation figures (the shipped model was selected on it).
Without the data folder the bench says SKIP. ``--smoke``: two photographs of the folder given,
else of a tiny generated one (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml.errors import AnalysisError  # noqa: E402
from diagnosis.ml.inference import Analyzer  # noqa: E402
from modelbuilding import acne04, realeval  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def paint_lesions(rgb: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Red papules with a darker core, 4-9 px across on a 640 px photo, on the skin."""
    out = rgb.copy()
    h, w = out.shape[:2]
    ycrcb = cv2.cvtColor(out, cv2.COLOR_RGB2YCrCb)
    skin = np.argwhere((ycrcb[..., 1] >= 133) & (ycrcb[..., 1] <= 173) & (ycrcb[..., 2] <= 127))
    if not len(skin):
        return out
    for y, x in skin[rng.integers(0, len(skin), n)]:
        r = int(rng.integers(2, 5))
        layer = np.zeros((h, w), np.float32)
        cv2.circle(layer, (int(x), int(y)), r + 2, 1.0, -1)
        layer = cv2.GaussianBlur(layer, (0, 0), 1.5)[..., None]
        out = (out * (1 - 0.55 * layer) + np.array([190, 60, 60]) * 0.55 * layer).astype(np.uint8)
        cv2.circle(out, (int(x), int(y)), max(1, r // 2), (150, 40, 45), -1)
    return out


def independent_check(analyzer: Analyzer, rng: np.random.Generator) -> None:
    """scikit-image's astronaut (a real portrait without acne, never used for training or
    selection): its grade bare, then with more and more painted lesions."""
    try:
        from skimage import data
    except ImportError:
        print("independent check: SKIP (scikit-image not installed)")
        return
    face = np.ascontiguousarray(data.astronaut())
    row = []
    for count in (0, 10, 30, 80):
        try:
            r = analyzer.analyze(paint_lesions(face, count, rng) if count else face, explain=False)
        except AnalysisError as exc:
            row.append(f"{count}: refused ({exc.code})")
            continue
        note = "" if r.reliable else f", withheld: {r.abstain['code']}"
        row.append(f"{count}: grade {r.grade} ({r.label}), score {r.score:.2f}{note}")
    print("astronaut (independent check), painted lesions " + "; ".join(row))


@dataclass
class Readings:
    """What the analyzer said about each photograph, in the order analysed."""

    refused: dict[str, int] = field(default_factory=dict)  # per refusal code
    withheld: dict[str, int] = field(default_factory=dict)  # answered unreliable, per code
    levels: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    grades: list[int] = field(default_factory=list)
    answered: list[bool] = field(default_factory=list)
    hits: list[bool] = field(default_factory=list)  # heatmap peak in a lesion box
    seconds: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)  # analysis time / one plain forward


def read_photos(analyzer: Analyzer, photos) -> Readings:
    out = Readings()
    for i, photo in enumerate(photos):
        data = photo.path.read_bytes()
        started = time.perf_counter()
        try:
            result = analyzer.analyze(data, k=10, seed=0)
        except AnalysisError as exc:
            out.refused[exc.code] = out.refused.get(exc.code, 0) + 1
            continue
        out.seconds.append(time.perf_counter() - started)
        if i % 4 == 0:  # the baseline in the same rounds: one plain forward of the same face
            x = analyzer.contract.tensor(result.face)
            t = time.perf_counter()
            with torch.inference_mode():
                analyzer.model(x)
            out.ratios.append(out.seconds[-1] / (time.perf_counter() - t))
        out.levels.append(photo.level)
        out.scores.append(result.score)
        out.grades.append(result.grade)
        out.answered.append(result.reliable)
        if not result.reliable:
            code = result.abstain["code"]
            out.withheld[code] = out.withheld.get(code, 0) + 1
        boxes = acne04.boxes_in_crop(photo.boxes, result.face_matrix, analyzer.input_size)
        if len(boxes):
            peak = np.unravel_index(int(np.argmax(result.heatmap)), result.heatmap.shape)
            out.hits.append(bool(realeval.box_mask(boxes, analyzer.input_size)[peak]))
    return out


def print_grading(r: Readings, n: int) -> None:
    levels, scores, grades = np.array(r.levels), np.array(r.scores), np.array(r.grades)
    answered = np.array(r.answered, bool)
    report = realeval.hayashi_report(levels, scores, grades)
    answered_report = realeval.hayashi_report(levels[answered], scores[answered], grades[answered])
    print(
        f"analysed {len(levels)}/{n} = {len(levels) / n:.3f} (target >= 0.95); "
        f"refused {r.refused or 'none'}"
    )
    print(
        f"answered {answered.sum()}/{n} = {answered.sum() / n:.3f}; withheld {r.withheld or 'none'}"
    )
    print(
        f"4 levels, all analysed: accuracy {report['accuracy']:.3f} (target >= 0.65; Wu et al. "
        f"0.841), MAE {report['mae']:.3f}, Spearman(level, score) "
        f"{report['spearman_level_score']:.3f} (target >= 0.7), recall per level "
        f"{[round(r, 3) if r is not None else None for r in report['per_level_recall']]}"
    )
    print(
        f"4 levels, answered only: accuracy {answered_report['accuracy']:.3f}, "
        f"Spearman {answered_report['spearman_level_score']:.3f}"
    )
    print(
        "mean score per level:",
        [round(float(scores[levels == lv].mean()), 2) for lv in range(4) if (levels == lv).any()],
    )
    print(
        f"heatmap peak in a lesion box (k=10): {np.mean(r.hits):.3f} of {len(r.hits)} photographs"
    )


def lesion_free_check(analyzer: Analyzer, photos, rng: np.random.Generator) -> None:
    """Clear skin and painted lesions, on the mild photographs with their lesions erased."""
    from diagnosis.ml.face import load_image

    clear_grades, painted = [], []
    for photo in [p for p in photos if p.level == 0][:30]:
        bare = acne04.erase_lesions(np.asarray(load_image(photo.path)), photo.boxes)
        row = []
        for count in (0, 10, 30, 80):
            try:
                r = analyzer.analyze(paint_lesions(bare, count, rng), explain=False)
            except AnalysisError:
                break
            row.append((count, r.score))
            if count == 0:
                clear_grades.append(r.grade)
        if len(row) == 4:
            painted.append(row)
    if clear_grades:
        clear = np.array(clear_grades)
        print(
            f"lesion-free: {len(clear)} faces, read clear/almost clear {np.mean(clear <= 1):.3f}, "
            f"moderate or worse {np.mean(clear >= 3):.3f}"
        )
    if painted:
        counts = np.array([c for row in painted for c, _ in row])
        values = np.array([s for row in painted for _, s in row])
        means = [round(float(values[counts == c].mean()), 2) for c in (0, 10, 30, 80)]
        print(
            f"painted lesions 0/10/30/80: mean score {means}; Spearman(count, score) "
            f"{realeval.spearman(counts, values):.3f}"
        )


def main() -> int:
    parser = smoke.photos_parser(
        __doc__.splitlines()[0], checkpoint_help="default: the shipped real model"
    )
    args, _ = parser.parse_known_args()
    return smoke.on_acne04(args, measure)


def measure(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    photos = acne04.read_folder(args.acne04, args.split)
    if args.limit:
        photos = photos[: args.limit]
    analyzer = Analyzer.load(args.checkpoint)
    print(
        f"model {analyzer.model_info}; {len(photos)} {args.split} photographs; "
        f"RSS after loading {rss_mb():.0f} MB"
    )
    readings = read_photos(analyzer, photos)
    print_grading(readings, len(photos))
    rng = np.random.default_rng(0)
    lesion_free_check(analyzer, photos, rng)
    independent_check(analyzer, rng)

    s = np.array(readings.seconds)
    print(
        f"analysis with k=10: median {np.median(s):.3f} s, p90 {np.quantile(s, 0.9):.3f} s "
        f"(target <= 1 s); ratio to a plain forward: median {np.median(readings.ratios):.1f}x"
    )
    print(f"peak RSS {rss_mb():.0f} MB (target: worker < 1500 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
