"""Finishing the shipped real-photograph model: judge the candidates on the valid split, keep
the best, calibrate its confidence, fit its out-of-distribution statistics, choose its heatmap
layer and threshold, train its lesion counter, and write real.pt (shop.pt, from the shop's
photos) with its card."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from diagnosis.ml import checkpoint as ckpt
from diagnosis.ml import lesions
from diagnosis.ml.contract import InputContract
from diagnosis.ml.encoders import LITE_VARIANTS
from diagnosis.ml.model import confidence_within_one

from . import acne04, joint_training, lesion_training, lookalike_checks, realeval, shopdata
from .data import ManifestDataset
from .faithfulness import choose_threshold
from .generated import REAL_SELECTION_SEED, REAL_TRAIN_SEED
from .progress import stage
from .realcard import real_card, shop_card
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
    headline,
    heatmap_study,
    judge,
    judge_gea,
    ood_distances,
    overlays_png,
    predict_images,
    selected_on,
    softmax,
    synthetic_held_out,
)
from .sources import real_sources, splits

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
    work: Path,
    out: Path,
    acne04_root: Path | None = None,
    shop_root: Path | None = None,
    log=print,
    threads: int = 2,
    synthetic_n: int = 600,
    heatmap_limit: int = 60,
    retrain: Callable[[str, int], Path] | None = None,
    seeds: Sequence[int] = (),
    look_alike_faces: int = LOOK_ALIKE_FACES,
    counter_size: int | None = lesion_training.COUNTER_SIZE,
) -> dict[str, Any]:
    """Judge the candidates on the selection split (the shop's valid split, else ACNE04's),
    keep the best, show the spread of its figures over ``seeds`` (``retrain(arch, seed)``
    trains it again), calibrate its confidence, fit its out-of-distribution statistics,
    choose its heatmap layer and threshold, train its lesion counter on crops of ``counter_size``
    (None: the grading crops), and write the model and its card (OUT/real.pt and MODEL_CARD.md;
    from shop data OUT/shop.pt and SHOP_MODEL_CARD.md)."""
    torch.set_num_threads(threads)
    started = time.monotonic()
    first_meta = ckpt.read_meta(next(iter(candidates.values())))
    size, margin = int(first_meta["input_size"]), float(first_meta["face_margin"])
    sources = real_sources(
        shop_root=shop_root, acne04_root=acne04_root, size=size, margin=margin, work=work, log=log
    )
    kind, valid = sources[0].name, sources[0].valid
    train = acne04.Crops.concat([s.train for s in sources])
    check = lookalike_checks.check_crops(look_alike_faces, size=size, margin=margin)
    with stage(f"judging {len(candidates)} candidate(s) on the {kind} valid split", log):
        judged = _judge_candidates(candidates, valid, kind, log, check)
    best = choose_candidate(
        {a: j["report"] for a, j in judged.items()}, rank=lambda r: _rank(r, kind)
    )
    chosen = judged[best]
    model, meta = chosen["model"], chosen["meta"]
    first_seed = int(meta.get("training", {}).get("seed", 0))
    spread = seed_spread(chosen["report"], best, first_seed, kind, valid, retrain, seeds, log)
    with stage("confidence and out-of-distribution thresholds", log):
        abstention, fit = _abstention(chosen, valid, train, kind, work, size, margin, log)
    familiar = abstention["familiar"]
    meta = dict(meta)
    meta.update(
        temperature=abstention["temperature"],
        confidence_threshold=abstention["confidence_threshold"],
        ood_threshold=abstention["ood_threshold"],
    )
    metrics = {
        f"{kind}_valid": chosen["report"],
        "candidates": {a: j["report"] for a, j in judged.items()},
        "answered": abstention["rows"],
        "seeds": spread,
    }
    extra = {f"ood.{k}": torch.from_numpy(v) for k, v in fit.items()}
    if any(len(b) for b in valid.boxes):
        with stage("heatmaps against the lesion boxes", log):
            photos = (shopdata if kind == "shop" else acne04).read_folder(
                shop_root if kind == "shop" else acne04_root, "valid"
            )
            heatmaps = _heatmaps(model, meta, valid, photos, work, kind, heatmap_limit, log)
        meta.update(target_layer=heatmaps["layer"], heatmap_threshold=heatmaps["threshold"])
        metrics.update(
            heatmaps=heatmaps["table"],
            heatmap_thresholds=heatmaps["thresholds"],
            heatmap_views=heatmaps["views"],
        )
    if any(len(b) for b in train.boxes):
        with stage("lesion counter", log):
            counting = counting_crops(
                train,
                valid,
                check,
                counter_size=counter_size,
                margin=margin,
                look_alike_faces=look_alike_faces,
                roots=(shop_root, acne04_root),
                work=work,
                log=log,
            )
            counter, metrics["lesions"], data = lesion_counter(
                model, meta, counting, log, candidate=candidates[best], grading_valid=valid
            )
        meta["lesion_head"] = counter.to_meta()
        extra |= counter.to_extra()
    # The joint rule is chosen and judged on Hayashi levels: ACNE04's photographs.
    if "lesion_head" in meta and kind == "acne04":
        with stage("joint grading and counting, chosen on training folds", log):
            rule, metrics["joint"] = joint_training.joint_grading(
                model,
                meta,
                counter,
                train,
                valid,
                data=data,
                familiar=familiar,
                check=check,
                counting=counting,
                log=log,
            )
        if rule is not None:
            # The shop grades with the pooled distribution: its confidence threshold is the one
            # chosen on the pooled confidences.
            meta.update(
                joint=rule.to_meta(), confidence_threshold=metrics["joint"]["confidence_threshold"]
            )
    if synthetic_n:
        with stage("synthetic held-out sets", log):
            metrics.update(synthetic_held_out(candidates[best], work, log, n=synthetic_n))
    if kind == "acne04":
        metrics["literature"] = LITERATURE
    meta["metrics"] = {**meta.get("metrics", {}), **metrics}
    with stage("writing the model and its card", log):
        final, card = _write_read_as_the_shop(out, work, model, meta, extra, kind, synthetic_n, log)
    log(f"chose {best}; wrote {final} and {card} in {time.monotonic() - started:.0f}s")
    log(summary(meta))
    return meta


def _write_read_as_the_shop(
    out: Path, work: Path, model, meta: dict[str, Any], extra, kind: str, n: int, log
) -> tuple[Path, Path]:
    """The model and its card written; for a model that grades jointly with its lesion count,
    the ``n``-selfie synthetic held-out sets then graded as the worker grades them with the
    written model, and both written again with those figures (the card's synthetic table reads
    the heads alone, and the shop reads its selfies jointly)."""
    meta["metrics"].pop("shop_reading", None)  # a previous build's, when rewritten
    final, card = _write_model(out, work, model, meta, extra, kind=kind)
    if "joint" not in meta or not n:
        return final, card
    read = {}
    for key in realeval.HELD_OUT_SETS:
        manifest = realeval.held_out_manifest(work, key, n, log)
        read[f"synthetic_{key}"] = r = realeval.as_the_shop_reads(final, manifest)
        log(f"synthetic {key} as the shop reads it: accuracy {r['accuracy']:.3f}")
    meta["metrics"]["shop_reading"] = read
    return _write_model(out, work, model, meta, extra, kind=kind)


def _judge_candidates(
    candidates: dict[str, Path], valid: acne04.Crops, kind: str, log, check=None
) -> dict[str, dict[str, Any]]:
    """Each candidate judged on the valid split, with the share of it the normalization took,
    and on the look-alike check set ``check`` when given."""
    judged = {arch: _judge(Path(p), valid, kind, check) for arch, p in candidates.items()}
    for arch, j in judged.items():
        log(
            f"{arch}: {_figures_line(headline(j['report'], kind))}; clear skin read moderate "
            f"or worse {clear_skin_misreads(j['report']):.3f}"
        )
    return judged


def _judge(path: Path, valid: acne04.Crops, kind: str, check=None) -> dict[str, Any]:
    judged = judge(path, valid, check) if kind == "acne04" else judge_gea(path, valid, check)
    n_valid = int(valid.select("photo").sum()) + len(valid.failures)
    judged["report"]["refused"] = acne04.refusal_counts(valid.failures)
    judged["report"]["analysed_share"] = int(valid.select("photo").sum()) / max(n_valid, 1)
    return judged


def _rank(report: dict[str, Any], kind: str) -> tuple[float, float]:
    """Best accuracy first, then the smaller MAE."""
    figures = list(headline(report, kind).values())
    return (_or_low(figures[0]), -_or_high(figures[1]))


def _or_low(x: float) -> float:
    return -math.inf if math.isnan(x) else x


def _or_high(x: float) -> float:
    return math.inf if math.isnan(x) else x


def _figures_line(figures: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.3f}" for k, v in figures.items())


def seed_spread(
    report: dict[str, Any],
    arch: str,
    first: int,
    kind: str,
    valid: acne04.Crops,
    retrain: Callable[[str, int], Path] | None,
    seeds: Sequence[int],
    log,
) -> dict[str, Any]:
    """The chosen encoder's valid figures with its own seed and ``seeds`` more: each run's,
    their mean and standard deviation (one run is not enough to tell close candidates apart)."""
    runs = {first: headline(report, kind)}
    if retrain is not None:
        for seed in seeds:
            with stage(f"seed {seed} of {arch}", log):
                runs[seed] = headline(_judge(retrain(arch, seed), valid, kind)["report"], kind)
            log(f"{arch} seed {seed}: {_figures_line(runs[seed])}")
    spread = {name: _mean_sd([r[name] for r in runs.values()]) for name in runs[first]}
    if len(runs) > 1:
        log(
            f"{arch} over {len(runs)} seeds: "
            + ", ".join(f"{k} {v['mean']:.3f} ± {v['std']:.3f}" for k, v in spread.items())
        )
    return {"arch": arch, "runs": {str(s): r for s, r in runs.items()}, "spread": spread}


def _mean_sd(values: list[float]) -> dict[str, float]:
    """Mean and (population) standard deviation of the figures that exist (NaN: none do)."""
    known = np.array([v for v in values if v is not None and not math.isnan(v)], np.float64)
    if not len(known):
        return {"mean": math.nan, "std": math.nan}
    return {"mean": float(known.mean()), "std": float(known.std())}


def _abstention(
    chosen: dict[str, Any],
    valid: acne04.Crops,
    train: acne04.Crops,
    kind: str,
    work: Path,
    size: int,
    margin: float,
    log,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """When the chosen model should not answer: its temperature, out-of-distribution fit and
    thresholds, and the share answered against accuracy (rows). Returns those and the fit.
    Accuracy: on the four Hayashi levels for ACNE04, the exact GEA grade for the shop's photos."""
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
    if kind == "acne04":
        correct = acne04.gea_to_hayashi(grades) == valid.levels
    else:
        correct = np.asarray(grades) == valid.grades
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
        "familiar": familiar,
    }
    return figures, fit


def _heatmaps(
    model,
    meta: dict[str, Any],
    valid: acne04.Crops,
    photos: list,
    work: Path,
    kind: str,
    limit: int,
    log,
) -> dict[str, Any]:
    """The heatmaps against the lesion boxes: the layer that points best, its threshold, the
    study's table, overlays of a few photographs in WORK, and the chosen layer's heatmaps as the
    shop makes them on every valid photograph (``photos``), per view: a side view's crop often
    passes the photo's edge, and its figure is not the frontal one's."""
    arch = meta["arch"]
    layers = (
        # the ends of stages 3 to 6: strides 8, 16, 16 and 32
        [LITE_VARIANTS[arch].last_block(stage) for stage in (3, 4, 5, 6)]
        if arch in LITE_VARIANTS
        else ["encoder.layer2", "encoder.layer3", "encoder.layer4"]
    )
    photo_idx = np.flatnonzero(valid.select("photo"))
    images, boxes = valid.images[photo_idx], [valid.boxes[i] for i in photo_idx]
    study = heatmap_study(model, meta, images, boxes, layers=layers, limit=limit, log=log)
    best_layer = max(layers, key=lambda layer: study["table"][f"{layer}|k=10"]["pointing"])
    maps = study["maps"][(best_layer, 10)]
    masks = [box_mask(boxes[i], valid.images.shape[1]) for i in study["chosen"]]
    threshold, threshold_table = choose_threshold(maps, masks)
    overlays_png(
        images, boxes, maps, study["chosen"], threshold, work / f"overlays.{kind}-valid.png"
    )
    shop_way = realeval.SHOP_HEATMAP[0]
    peaks = realeval.view_peaks(model, InputContract.of(meta), best_layer, photos)[shop_way]
    views = realeval.per_view(peaks)
    log(f"heatmap peaks per view ({best_layer}, k=10, as the shop makes them): {views}")
    return {
        "layer": best_layer,
        "threshold": threshold,
        "table": study["table"],
        "thresholds": {str(k): v for k, v in threshold_table.items()},
        "views": views,
    }


def counting_crops(
    train: acne04.Crops,
    valid: acne04.Crops,
    check,
    *,
    counter_size: int | None,
    margin: float,
    look_alike_faces: int,
    roots: tuple[Path | None, Path | None],
    work: Path,
    log,
) -> lesion_training.CountingCrops:
    """The crops the lesion counter learns from and is judged on: the grading crops (and the
    look-alike ``check`` set's faces) themselves, or the same photographs drawn at
    ``counter_size`` (``roots``: the shop's export and ACNE04's folder, as real_sources reads
    them)."""
    size = train.images.shape[1]
    looks = None if check is None else check[1]
    if not counter_size or counter_size == size:
        return lesion_training.CountingCrops(train, valid, looks)
    shop_root, acne04_root = roots
    sources = real_sources(
        shop_root=shop_root,
        acne04_root=acne04_root,
        size=counter_size,
        margin=margin,
        work=work,
        log=log,
    )
    counting = lesion_training.CountingCrops(
        acne04.Crops.concat([s.train for s in sources]), sources[0].valid
    )
    lesion_training.same_photos(train, counting.train)
    lesion_training.same_photos(valid, counting.valid)
    if check is not None:
        kinds, counting.check = lookalike_checks.check_crops(
            look_alike_faces, size=counter_size, margin=margin
        )
        if kinds.tolist() != check[0].tolist():
            raise ValueError("the counter's look-alike faces are not the check set's")
    return counting


def lesion_counter(
    model,
    meta: dict[str, Any],
    counting: lesion_training.CountingCrops,
    log,
    *,
    candidate: Path | None = None,
    grading_valid: acne04.Crops | None = None,
) -> tuple[lesions.LesionCounter, dict[str, Any], tuple]:
    """The chosen model's lesion counter (lesions.py), trained on the ``counting`` training
    crops, its figures on their valid split (validation figures: the counter's design was chosen
    on the training photographs, but the model it reads was selected on these), beside those of
    the counter the ``candidate`` checkpoint learned with its encoder on the ``grading_valid``
    crops if any, and the training crops' counter_data (the joint rule's folds train on them
    again)."""
    started = time.monotonic()
    train, valid = counting.train, counting.valid
    layers = lesions.layers_for(meta["arch"])
    data = lesion_training.counter_data(model, meta, train, layers)
    counter = lesion_training.train_counter(model, meta, train, layers=layers, log=log, data=data)
    report = count_report(counter, model, meta, valid)
    report["train_crops"] = len(train.kinds)
    report["input_size"] = int(train.images.shape[1])
    report["train_seconds"] = round(time.monotonic() - started, 1)  # with this report
    log(
        f"lesion counter: valid count MAE {report['count_mae']:.2f}, Spearman "
        f"{report['count_spearman']:.3f}; the zone with the most counted lesions holds the most "
        f"boxed ones in {report['zone_named_first_holds_most']} of {report['zone_photos']} "
        "photographs"
    )
    with_encoder = (
        _with_encoder(candidate, model, meta, grading_valid or valid, log) if candidate else None
    )
    if with_encoder is not None:
        report["with_encoder"] = with_encoder
    return counter, report, data


def _with_encoder(
    candidate: Path, model, meta: dict[str, Any], valid: acne04.Crops, log
) -> dict[str, Any] | None:
    """The valid figures of the counter a candidate learned with its encoder
    (train.TrainConfig.lambda_count), if it has one. The shipped counter is the one fitted
    afterwards on the encoder's frozen features: the joint rule's training folds refit that
    kind of counter, so its calibration describes the counter that ships."""
    _, candidate_meta, extra = ckpt.load_checkpoint_with_extra(candidate)
    counter = lesions.LesionCounter.from_checkpoint(candidate_meta, extra)
    if counter is None:
        return None
    report = count_report(counter, model, meta, valid)
    log(
        f"lesion counter trained with the encoder: valid count MAE {report['count_mae']:.2f}, "
        f"Spearman {report['count_spearman']:.3f}"
    )
    return report


def add_lesion_counter(
    checkpoint: Path,
    acne04_root: Path,
    work: Path,
    out: Path,
    log=print,
    threads: int = 2,
    *,
    keep_counter: bool = False,
    synthetic_n: int = 600,
    counter_size: int | None = lesion_training.COUNTER_SIZE,
) -> dict[str, Any]:
    """Train a lesion counter for an already built model, on crops of ``counter_size``
    (``keep_counter``: keep the one it has, on its own crops), choose its joint grading rule,
    and write the model again with them (its weights unchanged), and its card: the counting
    steps of ``finish`` on their own."""
    torch.set_num_threads(threads)
    model, meta, extra = ckpt.load_checkpoint_with_extra(checkpoint)
    size, margin = int(meta["input_size"]), float(meta["face_margin"])
    train, valid = splits(acne04, acne04_root, size=size, margin=margin, work=work, log=log)
    counter = lesions.LesionCounter.from_checkpoint(meta, extra) if keep_counter else None
    if counter is not None:
        counter_size = counter.input_size  # the kept counter reads the crops it learned on
    check = lookalike_checks.check_crops(LOOK_ALIKE_FACES, size=size, margin=margin)
    counting = counting_crops(
        train,
        valid,
        check,
        counter_size=counter_size,
        margin=margin,
        look_alike_faces=LOOK_ALIKE_FACES,
        roots=(None, acne04_root),
        work=work,
        log=log,
    )
    if counter is None:
        # The figures of the head the encoder learned with stay: training made them, not this.
        learned = meta["metrics"].get("lesions", {}).get("with_encoder")
        counter, meta["metrics"]["lesions"], data = lesion_counter(
            model, meta, counting, log, grading_valid=valid
        )
        if learned:
            meta["metrics"]["lesions"]["with_encoder"] = learned
    else:
        data = lesion_training.counter_data(
            model, meta, counting.train, counter.layers, mirror=False
        )
    ood = {k[4:]: v.float().numpy() for k, v in extra.items() if k.startswith("ood.")}
    features = predict_images(model, valid.images, meta["mean"], meta["std"])["features"]
    familiar = ood_distances(features, ood) <= float(meta["ood_threshold"])
    rule, joint = joint_training.joint_grading(
        model,
        meta,
        counter,
        train,
        valid,
        data=data,
        familiar=familiar,
        check=check,
        counting=counting,
        log=log,
    )
    meta = dict(meta, lesion_head=counter.to_meta())
    meta.pop("joint", None)
    # The threshold goes with the confidences the shop reads: the pooled ones, or the heads'.
    meta["confidence_threshold"] = (
        joint["confidence_threshold"]
        if rule is not None
        else choose_confidence(meta["metrics"]["answered"])
    )
    if rule is not None:
        meta["joint"] = rule.to_meta()
    meta["metrics"] = {**meta["metrics"], "joint": joint}
    kept = {k: v for k, v in extra.items() if not k.startswith(lesions.EXTRA_PREFIX)}
    final, card = _write_read_as_the_shop(
        out, work, model, meta, kept | counter.to_extra(), "acne04", synthetic_n, log
    )
    log(f"wrote {final} and {card}")
    return meta


# What a build writes, by the source it was selected on: the checkpoint, the card, its writer.
OUTPUTS = {
    "acne04": ("real.pt", "MODEL_CARD.md", real_card),
    "shop": ("shop.pt", "SHOP_MODEL_CARD.md", shop_card),
}


def _write_model(
    out: Path,
    work: Path,
    model,
    meta: dict[str, Any],
    extra: dict[str, torch.Tensor],
    *,
    kind: str = "acne04",
) -> tuple[Path, Path]:
    """The checkpoint (float16, with its extra tensors: the OOD statistics and the lesion
    head), WORK/<name>-metrics.json and the card; returns the checkpoint and the card."""
    name, card_name, write_card = OUTPUTS[kind]
    final = out / name
    ckpt.save_checkpoint(final, model, meta, half=True, extra=extra)
    (work / f"{final.stem}-metrics.json").write_text(
        json.dumps(meta["metrics"], indent=1, default=str)
    )
    card = out / card_name
    card.write_text(
        write_card(
            meta,
            checkpoint_mb=final.stat().st_size / 1e6,
            overlays=str(work / f"overlays.{kind}-valid.png"),
        ),
        encoding="utf-8",
    )
    return final, card


def summary(meta: dict[str, Any]) -> str:
    """The card's headline figures, printed at the end of a build."""
    m = meta["metrics"]
    kind = selected_on(m)
    r = m[f"{kind}_valid"]
    lines = [
        f"{kind} valid (validation figures): analysed {r.get('analysed_share', math.nan):.3f}, "
        + _figures_line(headline(r, kind)),
        *(
            f"{key}: accuracy {v['accuracy']:.3f}, MAE {v['mae']:.3f}"
            for key, v in m.items()
            if key.startswith("synthetic_")
        ),
        f"confidence >= {meta['confidence_threshold']}, distance <= {meta['ood_threshold']:.2f}; "
        f"heatmap layer {meta.get('target_layer')}, threshold {meta.get('heatmap_threshold')}",
        "commercial use: " + ("allowed" if ckpt.commercial_use(meta) else "NOT allowed"),
    ]
    return "\n".join(lines)
