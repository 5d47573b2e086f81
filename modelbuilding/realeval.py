"""Judging models on real photographs, and finishing the shipped model.

Figures on the ACNE04 valid split (the split the shipped model is selected on: they are
VALIDATION figures): the four Hayashi levels beside Wu et al. (accuracy, MAE, Spearman between
level and score, recall per level), per skin-tone group (ITA, measured on the skin of each
photograph), lesion-free versions of the mild photographs, synthetic held-out sets, a
calibrated confidence and an out-of-distribution distance with the share answered against the
accuracy of what is answered, and the k-augmentation heatmap against the lesion boxes.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch

from diagnosis.ml import checkpoint as ckpt
from diagnosis.ml import explain as xai
from diagnosis.ml import lesions
from diagnosis.ml.model import confidence_within_one
from diagnosis.ml.zones import findings

from . import acne04, lesion_training
from .evaluate import full_report, grades_by_rule
from .faithfulness import choose_threshold

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
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    parts: dict[str, list[np.ndarray]] = {"regression": [], "logits": [], "features": []}
    for i in range(0, len(images), batch_size):
        x = torch.from_numpy(images[i : i + batch_size]).permute(0, 3, 1, 2).float() / 255.0
        out = model((x - m) / s)
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


def ood_distance(features: np.ndarray, fit: dict[str, np.ndarray]) -> np.ndarray:
    z = (np.asarray(features, np.float64) - fit["mean"]) @ fit["components"].T.astype(np.float64)
    return np.sqrt((z**2 / fit["variances"]).sum(axis=1) / len(fit["variances"]))


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
                x = xai.to_tensor(images[i], mean=meta["mean"], std=meta["std"])
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


def overlays_png(images, boxes, maps, chosen, threshold, path: Path, n: int = 4) -> Path:
    """A few heatmaps over their photographs, lesion boxes in green."""
    tiles = []
    for j, i in enumerate(chosen[:n]):
        shown = np.asarray(xai.overlay(images[i], xai.apply_threshold(maps[j], threshold)))
        shown = shown.copy()
        for x0, y0, x1, y1 in boxes[i]:
            cv2.rectangle(shown, (int(x0), int(y0)), (int(x1), int(y1)), (0, 255, 0), 1)
        tiles.append(np.hstack([images[i], shown]))
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.vstack(tiles)).save(path)
    return path


# ------------------------------------------------------------------ the whole judgement


def judge(path: Path, crops: acne04.Crops) -> dict[str, Any]:
    """A candidate's figures on the real valid split (photographs and lesion-free versions)."""
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
        "encoder_init": meta.get("training", {}).get("encoder_init", ""),
        "arch": meta["arch"],
        "train_seconds": meta.get("training", {}).get("seconds"),
        "best_epoch": meta.get("metrics", {}).get("best_epoch"),
    }
    groups = np.array([ita_group(im) for im in crops.images[photo]])
    levels, pred = crops.levels[photo], acne04.gea_to_hayashi(grades[photo])
    report["per_ita_group"] = {
        g: {
            "n": int((groups == g).sum()),
            "accuracy": float((pred[groups == g] == levels[groups == g]).mean()),
        }
        for g, _ in ITA_BANDS
        if (groups == g).any()
    }
    return {"report": report, "outputs": out, "grades": grades, "model": model, "meta": meta}


def synthetic_held_out(checkpoint: Path, work: Path, log=print, n: int = 600) -> dict[str, Any]:
    """The synthetic-only model's held-out sets (same seeds and sizes), for this model."""
    from .demo import HELDOUT_SEED, SHIFTED_SEED, _generate
    from .evaluate import evaluate_checkpoint

    reports = {}
    for key, seed, style in (
        ("heldout", HELDOUT_SEED, "default"),
        ("shifted", SHIFTED_SEED, "shifted"),
    ):
        manifest = _generate(work / f"synth-{key}-{n}", n, seed, style, 384, log)
        report, _ = evaluate_checkpoint(manifest, checkpoint=checkpoint)
        reports[f"synthetic_{key}"] = {k: v for k, v in report.items() if k != "confusion"}
        log(f"synthetic {key}: accuracy {report['accuracy']:.3f}, MAE {report['mae']:.3f}")
    return reports


def _synthetic_faces(work: Path, seed: int, size: int, margin: float) -> list[np.ndarray]:
    """The synthetic faces build-model generated with ``seed`` (none if it did not)."""
    from .data import ManifestDataset

    manifest = work / f"synth-{seed}" / "manifest.csv"
    if not manifest.is_file():
        return []
    return [ManifestDataset(manifest, size=size, margin=margin).images]


def finish(
    *,
    candidates: dict[str, Path],
    acne04_root: Path,
    work: Path,
    out: Path,
    log=print,
    threads: int = 2,
    synthetic_n: int = 600,
    heatmap_limit: int = 60,
) -> dict[str, Any]:
    """Judge the candidates on the valid split, keep the best, calibrate its confidence, fit
    its out-of-distribution statistics, choose its heatmap layer and threshold, and write
    OUT/real.pt and OUT/MODEL_CARD.md."""
    torch.set_num_threads(threads)
    started = time.monotonic()
    first_meta = ckpt.read_meta(next(iter(candidates.values())))
    size, margin = int(first_meta["input_size"]), float(first_meta["face_margin"])
    valid = acne04.prepare(
        acne04.read_folder(acne04_root, "valid"), size=size, margin=margin, cache_dir=work, log=log
    )
    train = acne04.prepare(
        acne04.read_folder(acne04_root, "train"), size=size, margin=margin, cache_dir=work, log=log
    )
    judged = _judge_candidates(candidates, valid, log)
    best = max(
        judged,
        key=lambda a: (
            judged[a]["report"]["hayashi"]["accuracy"],
            -judged[a]["report"]["hayashi"]["mae"],
        ),
    )
    chosen = judged[best]
    model, meta = chosen["model"], chosen["meta"]
    abstention, fit = _abstention(chosen, valid, train, work, size, margin, log)
    heatmaps = _heatmaps(model, meta, valid, work, size, heatmap_limit, log)
    counter, counting = lesion_counter(model, meta, train, valid, log)
    synthetic = synthetic_held_out(candidates[best], work, log, n=synthetic_n)

    meta = dict(meta)
    meta.update(
        target_layer=heatmaps["layer"],
        heatmap_threshold=heatmaps["threshold"],
        temperature=abstention["temperature"],
        confidence_threshold=abstention["confidence_threshold"],
        ood_threshold=abstention["ood_threshold"],
        lesion_head=counter.to_meta(),
    )
    meta["metrics"] = {
        **meta.get("metrics", {}),
        "acne04_valid": chosen["report"],
        "candidates": {a: j["report"] for a, j in judged.items()},
        "answered": abstention["rows"],
        "heatmaps": heatmaps["table"],
        "heatmap_thresholds": heatmaps["thresholds"],
        "literature": LITERATURE,
        "lesions": counting,
        **synthetic,
    }
    extra = {f"ood.{k}": torch.from_numpy(v) for k, v in fit.items()} | counter.to_extra()
    final, card = _write_model(out, work, model, meta, extra)
    log(f"chose {best}; wrote {final} and {card} in {time.monotonic() - started:.0f}s")
    log(summary(meta))
    return meta


def _judge_candidates(
    candidates: dict[str, Path], valid: acne04.Crops, log
) -> dict[str, dict[str, Any]]:
    """Each candidate judged on the valid split, with the share of it the normalization took."""
    judged = {arch: judge(Path(p), valid) for arch, p in candidates.items()}
    n_valid = int(valid.select("photo").sum()) + len(valid.failures)
    for j in judged.values():
        j["report"]["refused"] = acne04.refusal_counts(valid.failures)
        j["report"]["analysed_share"] = int(valid.select("photo").sum()) / max(n_valid, 1)
    for arch, j in judged.items():
        h = j["report"]["hayashi"]
        log(
            f"{arch}: valid 4-level accuracy {h['accuracy']:.3f}, MAE {h['mae']:.3f}, "
            f"Spearman {h['spearman_level_score']:.3f}; lesion-free clear/almost "
            f"{j['report']['lesion_free']['clear_or_almost']:.3f}"
        )
    return judged


def _abstention(
    chosen: dict[str, Any],
    valid: acne04.Crops,
    train: acne04.Crops,
    work: Path,
    size: int,
    margin: float,
    log,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """When the chosen model should not answer: its temperature, out-of-distribution fit and
    thresholds, and the share answered against accuracy (rows). Returns those and the fit."""
    from .build import SYNTH_TRAIN_SEED, SYNTH_VAL_SEED

    model, meta, valid_out = chosen["model"], chosen["meta"], chosen["outputs"]
    photo = valid.select("photo")

    def features(images: np.ndarray) -> np.ndarray:
        return predict_images(model, images, meta["mean"], meta["std"])["features"]

    # Confidence: temperature-scaled probability of the decided grade or a neighbour.
    temperature = fit_temperature(valid_out["logits"], valid.grades)
    probs = softmax(valid_out["logits"], temperature)
    grades = chosen["grades"]
    confidence = confidence_within_one(
        torch.from_numpy(probs), torch.from_numpy(np.asarray(grades))
    ).numpy()
    # Out of distribution: distance to the features of everything it learned from (real and
    # synthetic); the threshold lets through all but 1 % of the selection images.
    seen = [train.images, *_synthetic_faces(work, SYNTH_TRAIN_SEED, size, margin)]
    fit = fit_ood(np.concatenate([features(x) for x in seen]))
    distances = ood_distance(valid_out["features"], fit)
    selection = [distances] + [
        ood_distance(features(x), fit) for x in _synthetic_faces(work, SYNTH_VAL_SEED, size, margin)
    ]
    ood_threshold = float(np.quantile(np.concatenate(selection), OOD_QUANTILE))
    familiar = distances <= ood_threshold
    correct = acne04.gea_to_hayashi(grades) == valid.levels
    rows = answered_table(confidence[photo], correct[photo], familiar[photo])
    confidence_threshold = choose_confidence(rows)
    log(
        f"temperature {temperature:.2f}; OOD threshold {ood_threshold:.2f}; "
        f"confidence >= {confidence_threshold}"
    )
    figures = {
        "temperature": temperature,
        "ood_threshold": ood_threshold,
        "confidence_threshold": confidence_threshold,
        "rows": rows,
    }
    return figures, fit


def _heatmaps(
    model, meta: dict[str, Any], valid: acne04.Crops, work: Path, size: int, limit: int, log
) -> dict[str, Any]:
    """The heatmaps against the lesion boxes: the layer that points best, its threshold, the
    study's table, and overlays of a few photographs in WORK."""
    layers = (
        ["encoder.blocks.4", "encoder.blocks.7", "encoder.blocks.10", "encoder.blocks.15"]
        if meta["arch"].startswith("efficientnet")
        else ["encoder.layer2", "encoder.layer3", "encoder.layer4"]
    )
    photo_idx = np.flatnonzero(valid.select("photo"))
    images, boxes = valid.images[photo_idx], [valid.boxes[i] for i in photo_idx]
    study = heatmap_study(model, meta, images, boxes, layers=layers, limit=limit, log=log)
    best_layer = max(layers, key=lambda layer: study["table"][f"{layer}|k=10"]["pointing"])
    maps = study["maps"][(best_layer, 10)]
    masks = [box_mask(boxes[i], size) for i in study["chosen"]]
    threshold, threshold_table = choose_threshold(maps, masks)
    overlays_png(
        images, boxes, maps, study["chosen"], threshold, work / "overlays.acne04-valid.png"
    )
    return {
        "layer": best_layer,
        "threshold": threshold,
        "table": study["table"],
        "thresholds": {str(k): v for k, v in threshold_table.items()},
    }


def lesion_counter(
    model, meta: dict[str, Any], train: acne04.Crops, valid: acne04.Crops, log
) -> tuple[lesions.LesionCounter, dict[str, Any]]:
    """The chosen model's lesion counter (lesions.py), trained on the training crops, and its
    figures on the valid split (validation figures: the counter's design was chosen on the
    training photographs, but the model it reads was selected on these)."""
    started = time.monotonic()
    counter = lesion_training.train_counter(model, meta, train, log=log)
    report = count_report(counter, model, meta, valid)
    report["train_crops"] = len(train.kinds)
    report["train_seconds"] = round(time.monotonic() - started, 1)  # with this report
    log(
        f"lesion counter: valid count MAE {report['count_mae']:.2f}, Spearman "
        f"{report['count_spearman']:.3f}; the zone with the most counted lesions holds the most "
        f"boxed ones in {report['zone_named_first_holds_most']} of {report['zone_photos']} "
        "photographs"
    )
    return counter, report


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


def add_lesion_counter(
    checkpoint: Path, acne04_root: Path, work: Path, out: Path, log=print, threads: int = 2
) -> dict[str, Any]:
    """Train a lesion counter for an already built model and write the model again with it
    (its weights unchanged), and its card: the lesion step of ``finish`` on its own."""
    torch.set_num_threads(threads)
    model, meta, extra = ckpt.load_checkpoint_with_extra(checkpoint)
    size, margin = int(meta["input_size"]), float(meta["face_margin"])
    train, valid = (
        acne04.prepare(
            acne04.read_folder(acne04_root, split),
            size=size,
            margin=margin,
            cache_dir=work,
            log=log,
        )
        for split in ("train", "valid")
    )
    counter, counting = lesion_counter(model, meta, train, valid, log)
    meta = dict(meta, lesion_head=counter.to_meta())
    meta["metrics"] = {**meta.get("metrics", {}), "lesions": counting}
    kept = {k: v for k, v in extra.items() if not k.startswith(lesions.EXTRA_PREFIX)}
    final, card = _write_model(out, work, model, meta, kept | counter.to_extra())
    log(f"wrote {final} and {card}")
    return meta


def _write_model(
    out: Path, work: Path, model, meta: dict[str, Any], extra: dict[str, torch.Tensor]
) -> tuple[Path, Path]:
    """OUT/real.pt (float16, with its extra tensors: the OOD statistics and the lesion head),
    WORK/real-metrics.json and OUT/MODEL_CARD.md; returns the checkpoint and the card."""
    from .realcard import model_card

    final = out / "real.pt"
    ckpt.save_checkpoint(final, model, meta, half=True, extra=extra)
    (work / "real-metrics.json").write_text(json.dumps(meta["metrics"], indent=1, default=str))
    card = out / "MODEL_CARD.md"
    card.write_text(
        model_card(
            meta,
            checkpoint_mb=final.stat().st_size / 1e6,
            overlays=str(work / "overlays.acne04-valid.png"),
        ),
        encoding="utf-8",
    )
    return final, card


def summary(meta: dict[str, Any]) -> str:
    """The card's headline figures, printed at the end of a build."""
    m = meta["metrics"]
    r = m["acne04_valid"]
    h = r["hayashi"]
    lines = [
        f"ACNE04 valid (validation figures): analysed {r.get('analysed_share', math.nan):.3f}, "
        f"4-level accuracy {h['accuracy']:.3f}, MAE {h['mae']:.3f}, "
        f"Spearman(level, score) {h['spearman_level_score']:.3f}",
        "lesion-free versions read clear or almost clear "
        f"{r['lesion_free']['clear_or_almost']:.3f}",
        *(
            f"{key}: accuracy {v['accuracy']:.3f}, MAE {v['mae']:.3f}"
            for key, v in m.items()
            if key.startswith("synthetic_")
        ),
        f"confidence >= {meta['confidence_threshold']}, distance <= {meta['ood_threshold']:.2f}; "
        f"heatmap layer {meta['target_layer']}, threshold {meta['heatmap_threshold']}",
    ]
    return "\n".join(lines)
