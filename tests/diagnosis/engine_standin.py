"""Until the engine's multi-view API lands: the agreed contract (Analyzer.analyze_views,
ViewOutcome, diagnosis.ml.combine) built from the single-photo engine, for tests only."""

import dataclasses
import sys
import types

from diagnosis.ml.errors import AnalysisError


@dataclasses.dataclass
class ViewOutcome:
    slot: str
    result: object
    error: AnalysisError | None


def _zones_for(result) -> list[dict]:
    x, y, w, h = result.face_box
    half = w / 2
    return [
        {
            "zone": "forehead",
            "label": "forehead",
            "share": 0.2,
            "severity": float(result.score),
            "outline": [[x, y], [x + w, y], [x + w, y + h / 3], [x, y + h / 3]],
        },
        {
            "zone": "left_cheek",
            "label": "left cheek",
            "share": 0.8,
            "severity": float(result.score) + 0.5,
            "outline": [[x, y + h / 3], [x + half, y + h / 3], [x + half, y + h], [x, y + h]],
        },
    ]


def analyze_views(analyzer, views, **options):
    outcomes = []
    for slot, data in views:
        try:
            result = analyzer.analyze(data, **options)
        except AnalysisError as error:
            outcomes.append(ViewOutcome(slot, None, error))
            continue
        result = dataclasses.replace(result)
        result.slot = slot
        result.zones = _zones_for(result)
        outcomes.append(ViewOutcome(slot, result, None))
    return outcomes


@dataclasses.dataclass
class CombinedResult:
    grade: int
    label: str
    score: float
    confidence: float
    probabilities: list
    slot: str
    rule: str
    zones: list


def combine_views(results):
    if not results:
        raise ValueError("nothing to combine")
    worst = max(results, key=lambda r: (r.grade, r.score))
    zones = sorted(
        (
            {"zone": z["zone"], "label": z["label"], "severity": z["severity"], "slot": r.slot}
            for r in results
            for z in r.zones
        ),
        key=lambda z: -z["severity"],
    )
    return CombinedResult(
        worst.grade,
        worst.label,
        worst.score,
        worst.confidence,
        list(worst.probabilities),
        worst.slot,
        "worst",
        zones,
    )


def describe_zones(zones) -> str:
    if not zones:
        return ""
    return f"Most signs are on the {zones[0]['label']}."


def install() -> None:
    """Puts the stand-ins where the real ones will be, unless the engine has them already."""
    from diagnosis.ml import inference

    if not hasattr(inference.Analyzer, "analyze_views"):
        inference.Analyzer.analyze_views = analyze_views
        inference.ViewOutcome = ViewOutcome
    if "diagnosis.ml.combine" not in sys.modules:
        try:
            import diagnosis.ml.combine  # noqa: F401
        except ImportError:
            module = types.ModuleType("diagnosis.ml.combine")
            module.combine_views = combine_views
            module.describe_zones = describe_zones
            module.CombinedResult = CombinedResult
            sys.modules["diagnosis.ml.combine"] = module
