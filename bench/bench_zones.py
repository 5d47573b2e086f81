"""Benchmark of the face zones and of the three-view rule on real photographs (ACNE04). Prints:

1. Zones: for each photograph with lesion boxes, the analysis as the shop runs it
   (``Analyzer.analyze``, k=10), the zone the result page names first (``combine_photos``), and
   whether that zone holds the most lesions (box centres inside the zone outlines). Counted over
   photographs with two or more visible zones and at least one lesion inside them (a close-up
   has a single zone, or none). Target: >= 70 %. Against it: a zone picked at random among the
   visible ones, and the largest visible zone. With a model that counts lesions, also its count
   against the boxes carried into its crop.
2. The three-view rule, on checks simulated from the photographs the model stands behind: three
   photos of one Hayashi level (a face as bad on every side), and one photo of a level with two
   of a lower level (one worse side; Hayashi grades the worse half of the face). For each rule
   (the worst view, the mean of the views' scores, the view the model is surest of): the share
   of checks given the true level, and the share graded too high.

These photographs chose the shipped model and its thresholds: the figures are validation
figures, not a test of the model. Not a test: a missed target is marked MISS.

Run: .venv/bin/python bench/bench_zones.py --acne04 ../shared/data/acne04 [--split valid]
[--limit N] [--checkpoint PT] [--json OUT]; ``--smoke``: four photographs of the folder given,
else of a tiny generated one (bench/smoke.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402

TARGET_NAMED_FIRST = 0.70
RULES = ("worst_view", "mean_score", "surest_view")


def lesions_per_zone(zones: list[dict], boxes: np.ndarray) -> dict[str, int]:
    """Lesion boxes (x0, y0, x1, y1, picture pixels) counted in the zone whose outline holds
    their centre (a lesion whose centre is outside the analysed crop is in no zone)."""
    import cv2

    from diagnosis.ml.zones import ZONES

    counts = {z["zone"]: 0 for z in zones}
    # In the engine's order, the later zone taking a shared edge (as its zone map does), so
    # that the order the page names them in cannot favour the zone named first.
    outlines = {
        z["zone"]: np.asarray(z["outline"], np.float32)
        for z in sorted(zones, key=lambda z: ZONES.index(z["zone"]))
    }
    for x0, y0, x1, y1 in boxes:
        centre = (float(x0 + x1) / 2, float(y0 + y1) / 2)
        inside = [z for z, o in outlines.items() if cv2.pointPolygonTest(o, centre, False) >= 0]
        if inside:
            counts[inside[-1]] += 1
    return counts


def zone_study(analyzer, photos, log=print) -> dict:
    from diagnosis.ml.combine import combine_photos
    from diagnosis.ml.errors import AnalysisError
    from modelbuilding.acne04 import boxes_in_crop

    rows, counted = [], []
    for n, photo in enumerate(photos):
        try:
            result = analyzer.analyze(photo.path.read_bytes(), k=10, seed=0)
        except AnalysisError:
            continue
        if result.lesions is not None:
            in_crop = boxes_in_crop(photo.boxes, result.face_matrix, analyzer.input_size)
            counted.append((result.lesions, len(in_crop)))
        counts = lesions_per_zone(result.zones, photo.boxes)
        if len(counts) < 2 or not sum(counts.values()):
            rows.append({"view": result.view, "usable": False})
            continue
        named = combine_photos([result]).zones[0]["zone"]
        most = max(counts.values())
        largest = max(result.zones, key=lambda z: _area(z["outline"]))["zone"]
        rows.append(
            {
                "view": result.view,
                "usable": True,
                "hit": counts[named] == most,
                "random": float(np.mean([c == most for c in counts.values()])),
                "largest": counts[largest] == most,
            }
        )
        if n % 25 == 0:
            log(f"  {n}/{len(photos)} photographs", flush=True)
    usable = [r for r in rows if r["usable"]]
    by_view = {}
    for view in sorted({r["view"] for r in usable}):
        hits = [r["hit"] for r in usable if r["view"] == view]
        by_view[view] = {"n": len(hits), "named_first_holds_most": float(np.mean(hits))}
    return {
        "analysed": len(rows),
        "counts": _count_figures(counted),
        "usable": len(usable),
        "named_first_holds_most": float(np.mean([r["hit"] for r in usable])) if usable else None,
        "random_zone": float(np.mean([r["random"] for r in usable])) if usable else None,
        "largest_zone": float(np.mean([r["largest"] for r in usable])) if usable else None,
        "by_view": by_view,
    }


def _count_figures(counted: list[tuple[float, int]]) -> dict | None:
    """The model's lesion count against the boxes in its crop (None: no lesion counter)."""
    if not counted:
        return None
    from modelbuilding.realeval import spearman

    model, boxed = (np.array(column) for column in zip(*counted, strict=True))
    return {
        "photos": len(counted),
        "mae": float(np.abs(model - boxed).mean()),
        "spearman": spearman(model, boxed),
        "mean_boxed": float(boxed.mean()),
    }


def _area(outline) -> float:
    import cv2

    return float(cv2.contourArea(np.asarray(outline, np.float32)))


def _graded(analyzer, photos) -> list[tuple]:
    """(level, grade, score, confidence) of each photograph the model grades reliably."""
    from diagnosis.ml.errors import AnalysisError

    graded = []
    for photo in photos:
        try:
            result = analyzer.analyze(photo.path.read_bytes(), explain=False)
        except AnalysisError:
            continue
        if result.reliable:
            graded.append((photo.level, result.grade, result.score, result.confidence))
    return graded


def rule_study(analyzer, photos, checks: int = 3000, seed: int = 7) -> dict:
    """Simulated checks from single photographs' grades (see the module's docstring)."""
    from modelbuilding.acne04 import gea_to_hayashi

    graded = _graded(analyzer, photos)
    if not graded:
        return {"photos": 0, "skipped": "no photograph graded reliably"}
    levels, grades, scores, confidences = (np.array(column) for column in zip(*graded, strict=True))
    by_level = {level: np.flatnonzero(levels == level) for level in range(4)}
    if not all(len(ix) for ix in by_level.values()):
        return {"photos": len(graded), "skipped": "a Hayashi level has no graded photograph"}
    rng = np.random.default_rng(seed)

    def decide(ix: np.ndarray) -> dict[str, int]:
        worst = ix[np.lexsort((scores[ix], grades[ix]))[-1]]
        mean = int(np.clip(np.rint(scores[ix].mean()), 0, 5))
        surest = ix[np.argmax(confidences[ix])]
        as_hayashi = gea_to_hayashi(np.array([grades[worst], mean, grades[surest]]))
        return dict(zip(RULES, (int(v) for v in as_hayashi), strict=True))

    out: dict = {"photos": len(graded)}
    for scenario in ("same_level", "one_worse_side"):
        exact = {rule: 0 for rule in RULES}
        over = {rule: 0 for rule in RULES}
        for _ in range(checks):
            if scenario == "same_level":
                level = int(rng.integers(0, 4))
                ix = rng.choice(by_level[level], 3)
            else:
                level = int(rng.integers(1, 4))
                lower = int(rng.integers(0, level))
                ix = np.r_[rng.choice(by_level[level], 1), rng.choice(by_level[lower], 2)]
            for rule, decided in decide(ix).items():
                exact[rule] += decided == level
                over[rule] += decided > level
        out[scenario] = {
            rule: {"exact": exact[rule] / checks, "too_high": over[rule] / checks} for rule in RULES
        }
    single = gea_to_hayashi(grades) == levels
    out["single_photo_exact"] = float(single.mean())
    return out


def main() -> int:
    parser = smoke.photos_parser(__doc__.split("\n")[0])
    parser.add_argument("--json", help="write the figures here too")
    return smoke.on_acne04(parser.parse_args(), measure, smoke_limit=4)


def measure(args: argparse.Namespace) -> int:
    photos, analyzer = smoke.photos_and_analyzer(args)
    print(f"ACNE04 {args.split}: {len(photos)} photographs, model {analyzer.model_info}")
    zones = zone_study(analyzer, photos)
    share = zones["named_first_holds_most"]
    if share is None:
        print(f"zones: none of {zones['analysed']} analysed photographs has lesions in two zones")
    else:
        verdict = "ok" if share >= TARGET_NAMED_FIRST else "MISS"
        print(
            f"zones: {zones['usable']} of {zones['analysed']} analysed photographs have lesions "
            f"in two or more visible zones; the zone named first holds the most lesions in "
            f"{share:.3f} of them (target >= {TARGET_NAMED_FIRST}) {verdict}; a random visible "
            f"zone {zones['random_zone']:.3f}, the largest zone {zones['largest_zone']:.3f}"
        )
    for view, figures in zones["by_view"].items():
        print(f"  {view}: {figures['n']} photographs, {figures['named_first_holds_most']:.3f}")
    if zones["counts"]:
        c = zones["counts"]
        print(
            f"lesions counted per photograph against the boxes in its crop ({c['photos']} "
            f"photographs, {c['mean_boxed']:.1f} boxed on average): mean absolute error "
            f"{c['mae']:.2f}, Spearman {c['spearman']:.3f}"
        )
    rules = rule_study(analyzer, photos)
    if "skipped" in rules:
        print(f"three-view rules: skipped ({rules['skipped']})")
        return 0
    print(
        f"three-view rules, {rules['photos']} photographs the model stands behind "
        f"(one photo alone: {rules['single_photo_exact']:.3f} exact):"
    )
    for scenario in ("same_level", "one_worse_side"):
        cells = ", ".join(
            f"{rule} {v['exact']:.3f} exact / {v['too_high']:.3f} too high"
            for rule, v in rules[scenario].items()
        )
        print(f"  {scenario}: {cells}")
    if args.json:
        Path(args.json).write_text(json.dumps({"zones": zones, "rules": rules}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
