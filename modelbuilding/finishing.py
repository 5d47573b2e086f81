"""Finishing the shipped real-photograph model: judge the candidates on the valid split, keep
the best, calibrate its confidence, fit its out-of-distribution statistics, choose its heatmap
layer and threshold, train its lesion counter, and write real.pt with its card."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from diagnosis.ml import checkpoint as ckpt
from diagnosis.ml import lesions
from diagnosis.ml.model import confidence_within_one

from . import acne04, lesion_training, lookalikes
from .data import ManifestDataset
from .faithfulness import choose_threshold
from .generated import REAL_SELECTION_SEED, REAL_TRAIN_SEED
from .realcard import real_card
from .realeval import (
    LITERATURE,
    OOD_QUANTILE,
    answered_table,
    box_mask,
    choose_candidate,
    choose_confidence,
    clear_skin_misreads,
    count_report,
    fit_ood,
    fit_temperature,
    heatmap_study,
    judge,
    ood_distances,
    overlays_png,
    predict_images,
    softmax,
    synthetic_held_out,
)

# Clear faces in the look-alike check set the candidates are chosen with (each drawn plainly
# and with each look-alike).
LOOK_ALIKE_FACES = 20


def _synthetic_faces(work: Path, seed: int, size: int, margin: float) -> list[np.ndarray]:
    """The synthetic faces build-model generated with ``seed`` (none if it did not)."""
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
    look_alike_faces: int = LOOK_ALIKE_FACES,
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
    check = lookalikes.check_crops(look_alike_faces, size=size, margin=margin)
    judged = _judge_candidates(candidates, valid, log, check)
    best = choose_candidate({a: j["report"] for a, j in judged.items()})
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
    candidates: dict[str, Path], valid: acne04.Crops, log, check=None
) -> dict[str, dict[str, Any]]:
    """Each candidate judged on the valid split, with the share of it the normalization took,
    and on the look-alike check set ``check`` when given."""
    judged = {arch: judge(Path(p), valid, check) for arch, p in candidates.items()}
    n_valid = int(valid.select("photo").sum()) + len(valid.failures)
    for j in judged.values():
        j["report"]["refused"] = acne04.refusal_counts(valid.failures)
        j["report"]["analysed_share"] = int(valid.select("photo").sum()) / max(n_valid, 1)
    for arch, j in judged.items():
        h = j["report"]["hayashi"]
        log(
            f"{arch}: valid 4-level accuracy {h['accuracy']:.3f}, MAE {h['mae']:.3f}, "
            f"Spearman {h['spearman_level_score']:.3f}; lesion-free clear/almost "
            f"{j['report']['lesion_free']['clear_or_almost']:.3f}; clear skin read moderate "
            f"or worse {clear_skin_misreads(j['report']):.3f}"
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
    seen = [train.images, *_synthetic_faces(work, REAL_TRAIN_SEED, size, margin)]
    fit = fit_ood(np.concatenate([features(x) for x in seen]))
    distances = ood_distances(valid_out["features"], fit)
    selection_faces = _synthetic_faces(work, REAL_SELECTION_SEED, size, margin)
    selection = [distances] + [ood_distances(features(x), fit) for x in selection_faces]
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
    final = out / "real.pt"
    ckpt.save_checkpoint(final, model, meta, half=True, extra=extra)
    (work / "real-metrics.json").write_text(json.dumps(meta["metrics"], indent=1, default=str))
    card = out / "MODEL_CARD.md"
    card.write_text(
        real_card(
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
