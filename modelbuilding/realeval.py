"""Judging models on real photographs (finishing.py then finishes the shipped model).

Figures on the ACNE04 valid split (the split the shipped model is selected on: they are
VALIDATION figures): the four Hayashi levels beside Wu et al. (accuracy, MAE, Spearman between
level and score, recall per level), per skin-tone group (ITA, measured on the skin of each
photograph), lesion-free versions of the mild photographs, synthetic held-out sets, a
calibrated confidence and an out-of-distribution distance with the share answered against the
accuracy of what is answered, and the k-augmentation heatmap against the lesion boxes.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image

from diagnosis.ml import checkpoint as ckpt
from diagnosis.ml import explain as xai
from diagnosis.ml import lesions
from diagnosis.ml.contract import to_tensor
from diagnosis.ml.errors import AnalysisError
from diagnosis.ml.face import VIEWS, inside_photo, load_image, normalize_face
from diagnosis.ml.inference import Analyzer, ood_distance
from diagnosis.ml.zones import findings

from . import acne04, lesion_training, lookalike_checks
from .evaluate import evaluate_checkpoint, full_report, grades_by_rule
from .generated import HELDOUT_SEED, SHIFTED_SEED, generate_set

# ITA° bands (Chardon et al. 1991), lightest first.
ITA_BANDS = (
    ("very light", 55),
    ("light", 41),
    ("intermediate", 28),
    ("tan", 10),
    ("brown", -30),
    ("dark", -math.inf),
)
CONFIDENCE_CANDIDATES = (0.0, 0.6, 0.65, 0.7, 0.72, 0.74, 0.76, 0.78, 0.8, 0.85, 0.9)
# Out-of-distribution: share of the selection photographs allowed past the distance threshold.
OOD_QUANTILE = 0.99
OOD_COMPONENTS = 32
# The operating point keeps at least this share of the real selection photographs answered:
# a shopper told "we cannot grade this photo" one time in ten is the price of a surer answer.
MIN_ANSWERED = 0.90
LITERATURE = {
    "Wu et al. 2019 (ACNE04, LDL, ImageNet ResNet-50, 4 levels)": 0.841,
}


# ------------------------------------------------------------------ predictions and metrics


@torch.no_grad()
def predict_images(model, images: np.ndarray, mean, std, *, batch_size: int = 64) -> dict:
    """Outputs of ``model`` on normalized faces (N, S, S, 3) uint8."""
    model.eval()
    parts: dict[str, list[np.ndarray]] = {"regression": [], "logits": [], "features": []}
    for i in range(0, len(images), batch_size):
        out = model(to_tensor(images[i : i + batch_size], mean=mean, std=std))
        parts["regression"].append(out["regression"].float().numpy())
        parts["logits"].append(out["logits"].float().numpy())
        parts["features"].append(out["features"].float().numpy())
    result = {k: np.concatenate(v) if v else np.zeros((0,)) for k, v in parts.items()}
    result["probs"] = softmax(result["logits"])
    return result


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, np.float64) / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def rank(values: np.ndarray) -> np.ndarray:
    """Ranks with ties given their mean rank (what Spearman's rho needs)."""
    values = np.asarray(values, np.float64)
    order = np.argsort(values, kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    for v in np.unique(values):
        tied = values == v
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 2:
        return math.nan
    ra, rb = rank(a), rank(b)
    if ra.std() == 0 or rb.std() == 0:
        return math.nan
    return float(np.corrcoef(ra, rb)[0, 1])


def hayashi_report(levels: np.ndarray, scores: np.ndarray, grades: np.ndarray) -> dict[str, Any]:
    """The four-level figures of a model whose GEA ``grades`` and ``scores`` are read on the
    Hayashi scale (acne04.gea_to_hayashi)."""
    levels = np.asarray(levels, int)
    pred = acne04.gea_to_hayashi(grades)
    confusion = np.zeros((4, 4), int)
    np.add.at(confusion, (levels, pred), 1)
    support = confusion.sum(axis=1)
    return {
        "n": int(len(levels)),
        "accuracy": float((pred == levels).mean()) if len(levels) else math.nan,
        "mae": float(np.abs(pred - levels).mean()) if len(levels) else math.nan,
        "spearman_level_score": spearman(levels, scores),
        "per_level_recall": [
            float(confusion[i, i] / support[i]) if support[i] else None for i in range(4)
        ],
        "confusion": confusion.tolist(),
    }


def ita_degrees(face: np.ndarray) -> float:
    """Individual typology angle of the skin in a face crop: arctan((L* - 50) / b*), from the
    median L* and b* of the pixels whose chroma is skin's."""
    lab = cv2.cvtColor(np.ascontiguousarray(face), cv2.COLOR_RGB2LAB).astype(np.float64)
    ycrcb = cv2.cvtColor(np.ascontiguousarray(face), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycrcb[..., 1], ycrcb[..., 2]
    skin = (cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)
    if skin.sum() < 50:
        skin = np.ones_like(skin)
    lightness = np.median(lab[..., 0][skin]) * 100 / 255
    b = np.median(lab[..., 2][skin]) - 128
    return float(math.degrees(math.atan2(lightness - 50, max(b, 1e-6))))


def ita_group(face: np.ndarray) -> str:
    ita = ita_degrees(face)
    return next(name for name, low in ITA_BANDS if ita > low)


# ------------------------------------------------------------------ confidence and OOD


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Temperature scaling (Guo et al. 2017): the T that minimizes the negative log-likelihood."""
    z = torch.from_numpy(np.asarray(logits, np.float32))
    y = torch.from_numpy(np.asarray(labels, np.int64))
    log_t = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.1, max_iter=100)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp().clamp(0.05, 20.0))


def fit_ood(features: np.ndarray, components: int = OOD_COMPONENTS) -> dict[str, np.ndarray]:
    """A Gaussian of the training photographs' encoder features in their leading principal
    components: the distance of a new photo is its Mahalanobis distance there."""
    feats = np.asarray(features, np.float64)
    mean = feats.mean(axis=0)
    _, sing, vt = np.linalg.svd(feats - mean, full_matrices=False)
    k = min(components, len(sing))
    variances = sing[:k] ** 2 / max(len(feats) - 1, 1)
    return {
        "mean": mean.astype(np.float32),
        "components": vt[:k].astype(np.float32),
        "variances": np.maximum(variances, 1e-6).astype(np.float32),
    }


def ood_distances(features: np.ndarray, fit: dict[str, np.ndarray]) -> np.ndarray:
    """The worker's out-of-distribution distance (inference.ood_distance) of each row."""
    stats = {k: torch.from_numpy(np.asarray(v)) for k, v in fit.items()}
    return ood_distance(torch.from_numpy(np.asarray(features)), stats).numpy()


def answered_table(
    confidence: np.ndarray, correct: np.ndarray, familiar: np.ndarray
) -> list[dict[str, float]]:
    """Share answered and accuracy of what is answered, per confidence threshold."""
    rows = []
    for t in CONFIDENCE_CANDIDATES:
        answered = familiar & (confidence >= t)
        rows.append(
            {
                "threshold": t,
                "answered": float(answered.mean()),
                "accuracy_answered": float(correct[answered].mean())
                if answered.any()
                else math.nan,
            }
        )
    return rows


def choose_confidence(rows: list[dict[str, float]]) -> float:
    """The highest threshold that still answers MIN_ANSWERED of the photographs."""
    ok = [r["threshold"] for r in rows if r["answered"] >= MIN_ANSWERED]
    return max(ok) if ok else 0.0


# ------------------------------------------------------------------ heatmaps on lesion boxes


def box_mask(boxes: np.ndarray, size: int) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    for x0, y0, x1, y1 in np.asarray(boxes).reshape(-1, 4):
        mask[int(y0) : int(math.ceil(y1)), int(x0) : int(math.ceil(x1))] = True
    return mask


def heatmap_study(
    model, meta, images, boxes, *, layers, ks=(1, 10), limit: int = 60, log=print
) -> dict[str, Any]:
    """Pointing game (the map's peak inside a lesion box) and the share of the map's energy
    inside the boxes against the boxes' share of the face (chance), per layer and k."""
    chosen = [i for i, b in enumerate(boxes) if len(b)][:limit]
    size = images.shape[1]
    table: dict[str, Any] = {}
    maps_at: dict[tuple[str, int], list[np.ndarray]] = {}
    for layer in layers:
        for k in ks:
            hits, energy, chance = [], [], []
            maps = []
            for i in chosen:
                x = to_tensor(images[i], mean=meta["mean"], std=meta["std"])
                averaged = xai.explain_maps(model, x, k=k, seed=i, target=layer)[0].numpy()
                mask = box_mask(boxes[i], size)
                peak = np.unravel_index(int(np.argmax(averaged)), averaged.shape)
                hits.append(bool(mask[peak]))
                energy.append(float(averaged[mask].sum() / max(averaged.sum(), 1e-9)))
                chance.append(float(mask.mean()))
                maps.append(averaged)
            maps_at[(layer, k)] = maps
            table[f"{layer}|k={k}"] = {
                "layer": layer,
                "k": k,
                "n": len(chosen),
                "pointing": float(np.mean(hits)),
                "energy_in_boxes": float(np.mean(energy)),
                "boxes_share": float(np.mean(chance)),
            }
            log(f"heatmap {layer} k={k}: {table[f'{layer}|k={k}']}")
    return {"table": table, "maps": maps_at, "chosen": chosen}


# How the shop makes its heatmap (inference.Analyzer): copies padded as explain's default, the
# averaged map kept where the crop shows the photo.
SHOP_HEATMAP = ("as the shop makes it", xai.DEFAULT_PADDING, True)


def view_peaks(
    model, contract, layer: str, photos, ways=(SHOP_HEATMAP,)
) -> dict[str, list[tuple[str, bool, bool]]]:
    """Where the k=10 heatmap peaks on each photograph (anything with ``path`` and ``boxes``)
    whose lesion boxes reach its crop, normalized as the shop does: per way (name, padding,
    kept in the photo), one (view, peak in a box, peak in the crop's outer tenth) each."""
    size = contract.size
    found: dict[str, list] = {name: [] for name, _, _ in ways}
    for photo in photos:
        picture = load_image(photo.path)
        try:
            face = normalize_face(picture, size=size, margin=contract.margin)
        except AnalysisError:
            continue
        boxes = acne04.boxes_in_crop(photo.boxes, face.matrix, size)
        if not len(boxes):
            continue
        mask = box_mask(boxes, size)
        inside = inside_photo(face.matrix, picture.size, size)
        x = contract.tensor(face.image)
        maps = {
            padding: xai.explain_maps(model, x, k=10, seed=0, target=layer, padding=padding)[
                0
            ].numpy()
            for padding in {padding for _, padding, _ in ways}
        }
        for name, padding, in_photo in ways:
            heat = maps[padding] * inside if in_photo else maps[padding]
            y, x0 = np.unravel_index(int(np.argmax(heat)), heat.shape)
            edge = min(y, x0, size - 1 - y, size - 1 - x0) < size // 10
            found[name].append((face.view, bool(mask[y, x0]), bool(edge)))
    return found


def per_view(rows: list[tuple[str, bool, bool]]) -> dict[str, dict[str, float]]:
    """view_peaks' rows of one way, summed up per view: photographs, pointing, outer tenth."""
    out = {}
    for view in VIEWS:
        mine = [(hit, edge) for v, hit, edge in rows if v == view]
        if mine:
            out[view] = {
                "n": len(mine),
                "pointing": float(np.mean([h for h, _ in mine])),
                "outer_tenth": float(np.mean([e for _, e in mine])),
            }
    return out


def overlays_png(images, boxes, maps, chosen, threshold, path: Path, n: int = 4) -> Path:
    """A few heatmaps over their photographs, lesion boxes in green."""
    tiles = []
    for j, i in enumerate(chosen[:n]):
        shown = np.asarray(xai.overlay(images[i], xai.apply_threshold(maps[j], threshold)))
        shown = shown.copy()
        for x0, y0, x1, y1 in boxes[i]:
            cv2.rectangle(shown, (int(x0), int(y0)), (int(x1), int(y1)), (0, 255, 0), 1)
        tiles.append(np.hstack([images[i], shown]))
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.vstack(tiles)).save(path)
    return path


# ------------------------------------------------------------------ the whole judgement

# A candidate that reads clear skin (lesion-free photographs, look-alikes) as moderate or worse
# more often than this is not chosen while another candidate stays within it.
CLEAR_SKIN_TOLERANCE = 0.0


def clear_skin_misreads(report: dict[str, Any]) -> float:
    """The larger share of clear skin read moderate or worse: lesion-free photographs or
    look-alikes (NaN where a check was not made counts as none)."""
    shares = [
        report.get("lesion_free", {}).get("moderate_or_worse", math.nan),
        report.get("look_alikes", {}).get("all", {}).get("moderate_or_worse", math.nan),
    ]
    return max((x for x in shares if not math.isnan(x)), default=0.0)


def _hayashi_grading(report: dict[str, Any]) -> tuple[float, float]:
    h = report["hayashi"]
    return h["accuracy"], -h["mae"]


def choose_candidate(
    reports: dict[str, dict[str, Any]],
    rank: Callable[[dict[str, Any]], tuple[float, float]] = _hayashi_grading,
) -> str:
    """The candidate to ship: the best by ``rank`` (accuracy, then the lower MAE; ACNE04's
    4-level figures unless told) among those that read clear skin as moderate or worse no more
    than ``CLEAR_SKIN_TOLERANCE``; when none does, the one that misreads clear skin least (then
    rank). A better grader of acne that sells kits to beards is not the better model."""

    def grading(name: str) -> tuple[float, float]:
        return rank(reports[name])

    safe = [n for n in reports if clear_skin_misreads(reports[n]) <= CLEAR_SKIN_TOLERANCE]
    if safe:
        return max(safe, key=grading)
    return min(reports, key=lambda n: (clear_skin_misreads(reports[n]), *(-v for v in grading(n))))


def _look_alikes(model, meta, check) -> dict[str, Any]:
    if check is None or not len(check[0]):
        return {}
    kinds, images = check
    out = predict_images(model, images, meta["mean"], meta["std"])
    grades = grades_by_rule(out["regression"], out["probs"], meta["decision_rule"])
    return lookalike_checks.false_acne(kinds, grades)


def judge(path: Path, crops: acne04.Crops, look_alikes=None) -> dict[str, Any]:
    """A candidate's figures on the real valid split (photographs and lesion-free versions),
    and on the look-alike check set when given (``lookalike_checks.check_crops``: kinds, images)."""
    model, meta = ckpt.load_checkpoint(path)
    out = predict_images(model, crops.images, meta["mean"], meta["std"])
    grades = grades_by_rule(out["regression"], out["probs"], meta["decision_rule"])
    photo = crops.select("photo")
    free = crops.select("lesion-free")
    scores = np.clip(out["regression"], 0, 5)
    report = {
        "hayashi": hayashi_report(crops.levels[photo], scores[photo], grades[photo]),
        "gea": {
            k: v
            for k, v in full_report(
                regression=out["regression"][photo],
                probs=out["probs"][photo],
                true=crops.grades[photo],
                rule=meta["decision_rule"],
            ).items()
            if k not in ("per_group",)
        },
        "lesion_free": {
            "n": int(free.sum()),
            "clear_or_almost": float((grades[free] <= 1).mean()) if free.any() else math.nan,
            "moderate_or_worse": float((grades[free] >= 3).mean()) if free.any() else math.nan,
            "mean_score": float(scores[free].mean()) if free.any() else math.nan,
        },
        "look_alikes": _look_alikes(model, meta, look_alikes),
        **_candidate(meta),
        "per_ita_group": per_ita_group(
            crops.images[photo], crops.levels[photo], acne04.gea_to_hayashi(grades[photo])
        ),
    }
    return {"report": report, "outputs": out, "grades": grades, "model": model, "meta": meta}


def judge_gea(path: Path, crops: acne04.Crops, look_alikes=None) -> dict[str, Any]:
    """A candidate's figures on photos graded on GEA itself (the shop's valid split), and on
    the look-alike check set when given."""
    model, meta = ckpt.load_checkpoint(path)
    out = predict_images(model, crops.images, meta["mean"], meta["std"])
    grades = grades_by_rule(out["regression"], out["probs"], meta["decision_rule"])
    gea = full_report(
        regression=out["regression"],
        probs=out["probs"],
        true=crops.grades,
        rule=meta["decision_rule"],
    )
    report = {
        "gea": {k: v for k, v in gea.items() if k != "per_group"},
        "spearman_grade_score": spearman(crops.grades, np.clip(out["regression"], 0, 5)),
        "look_alikes": _look_alikes(model, meta, look_alikes),
        **_candidate(meta),
        "per_ita_group": per_ita_group(crops.images, crops.grades, grades),
    }
    return {"report": report, "outputs": out, "grades": grades, "model": model, "meta": meta}


def _candidate(meta: dict[str, Any]) -> dict[str, Any]:
    """How a candidate was trained, as its report lists it."""
    return {
        "encoder_init": meta.get("training", {}).get("encoder_init", ""),
        "arch": meta["arch"],
        "train_seconds": meta.get("training", {}).get("seconds"),
        "best_epoch": meta.get("metrics", {}).get("best_epoch"),
    }


def per_ita_group(images: np.ndarray, true: np.ndarray, pred: np.ndarray) -> dict[str, Any]:
    """Accuracy per skin-tone group (ITA measured on each face)."""
    groups = np.array([ita_group(im) for im in images])
    return {
        g: {
            "n": int((groups == g).sum()),
            "accuracy": float((pred[groups == g] == true[groups == g]).mean()),
        }
        for g, _ in ITA_BANDS
        if (groups == g).any()
    }


def selected_on(metrics: dict[str, Any]) -> str:
    """The source a model's metrics were selected on: "shop" or "acne04"."""
    return "shop" if "shop_valid" in metrics else "acne04"


def headline(report: dict[str, Any], kind: str) -> dict[str, float]:
    """The valid figures candidates and seeds are compared on."""
    if kind == "acne04":
        h = report["hayashi"]
        return {
            "4-level accuracy": h["accuracy"],
            "MAE (levels)": h["mae"],
            "Spearman": h["spearman_level_score"],
            "lesion-free read clear/almost clear": report["lesion_free"]["clear_or_almost"],
        }
    g = report["gea"]
    return {
        "accuracy": g["accuracy"],
        "MAE": g["mae"],
        "within one": g["within1"],
        "Spearman": report["spearman_grade_score"],
    }


HELD_OUT_SETS = {"heldout": (HELDOUT_SEED, "default"), "shifted": (SHIFTED_SEED, "shifted")}


def held_out_manifest(work: Path, key: str, n: int, log=print) -> Path:
    """The manifest of a synthetic held-out set (HELD_OUT_SETS), generated once into WORK."""
    seed, style = HELD_OUT_SETS[key]
    return generate_set(work / f"synth-{key}-{n}", n, seed, style, 384, log)


def synthetic_held_out(checkpoint: Path, work: Path, log=print, n: int = 600) -> dict[str, Any]:
    """The synthetic-only model's held-out sets (same seeds and sizes), for this model."""
    reports = {}
    for key in HELD_OUT_SETS:
        manifest = held_out_manifest(work, key, n, log)
        report, _ = evaluate_checkpoint(manifest, checkpoint=checkpoint)
        reports[f"synthetic_{key}"] = {k: v for k, v in report.items() if k != "confusion"}
        log(f"synthetic {key}: accuracy {report['accuracy']:.3f}, MAE {report['mae']:.3f}")
    return reports


def as_the_shop_reads(checkpoint: Path, manifest: Path, batch: int = 8) -> dict[str, Any]:
    """A generated set graded as the worker grades it (inference.Analyzer: the heads, or the
    heads and the lesion count together where the model grades jointly), without heatmaps:
    the share analysed, and the exact accuracy and MAE of the analysed."""
    analyzer = Analyzer.load(checkpoint)
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = [(manifest.parent / r["path"], int(r["grade"])) for r in csv.DictReader(fh)]
    read, true = [], []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        outcomes = analyzer.analyze_photos([(None, path) for path, _ in chunk], explain=False)
        for outcome, (_, grade) in zip(outcomes, chunk, strict=True):
            if outcome.error is None:
                read.append(outcome.result.grade)
                true.append(grade)
    read, true = np.array(read), np.array(true)
    return {
        "n": len(rows),
        "analysed": len(read) / max(len(rows), 1),
        "accuracy": float((read == true).mean()) if len(read) else math.nan,
        "mae": float(np.abs(read - true).mean()) if len(read) else math.nan,
    }


def count_report(counter: lesions.LesionCounter, model, meta: dict, crops: acne04.Crops) -> dict:
    """How well the counter counts on the photographs of ``crops`` (their boxes carried into the
    crop): the count's error and rank correlation, and how often the zone with the most counted
    lesions holds the most boxed ones (photos with lesions in two or more visible zones)."""
    photos = np.flatnonzero(crops.select("photo"))
    size = crops.images.shape[1]
    maps = lesion_training.crop_features(
        model, crops.images[photos], counter.layers, mean=meta["mean"], std=meta["std"]
    )
    with torch.inference_mode():
        densities = counter.head(maps.float()).numpy()
    counted = densities.sum(axis=(1, 2))
    boxed = np.array([len(crops.boxes[i]) for i in photos])
    hits = []
    for i, density in zip(photos, densities, strict=True):
        zones = crops.zone_map(i)
        truth = boxes_per_zone(zones, crops.boxes[i])
        if len(truth) < 2 or not sum(truth.values()):
            continue
        # The zone the shop would name first, ranked by the shop's own rule.
        named = findings(None, zones, score=1.0, density=lesions.upsample(density, size))[0]["zone"]
        hits.append(truth[named] == max(truth.values()))
    return {
        "photos": len(photos),
        "count_mae": float(np.abs(counted - boxed).mean()),
        "count_spearman": spearman(counted, boxed),
        "zone_photos": len(hits),
        "zone_named_first_holds_most": float(np.mean(hits)) if hits else None,
    }


def boxes_per_zone(zones, boxes: np.ndarray) -> dict[str, int]:
    """Boxed lesions per zone of a ZoneMap, by the zone under each box centre."""
    counts = {z: 0 for z in zones.names}
    for x0, y0, x1, y1 in np.asarray(boxes).reshape(-1, 4):
        zone = zones.zone_at((x0 + x1) / 2, (y0 + y1) / 2)
        if zone is not None:
            counts[zone] += 1
    return counts
