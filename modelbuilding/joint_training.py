"""Choosing the joint grading-and-counting rule (diagnosis.ml.joint) on training folds.

The counter is trained again on all folds but one and counts the photographs of the fold left
out, so every training photograph gets a count from a counter that never saw it. On those
counts the rule's numbers are fitted: the count's recalibration against the dermatologists'
boxes (a line on log(1 + count)), its spread (the recalibrated count's residual error), and the
count's weight in the pooled distribution (the weight whose grades agree most often with the
dermatologists'). A photograph and its lesion-free version stay in the same fold.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch
from torch import Tensor

from diagnosis.ml.joint import POOLED_RULES, JointRule
from diagnosis.ml.lesions import LesionCounter
from diagnosis.ml.model import (
    confidence_within_one,
    decide_grade,
    grade_score,
    grades_by_rule,
    probability_mean,
    score_by_rule,
)

from . import acne04, lesion_training, lookalike_checks
from .realeval import answered_table, choose_confidence, hayashi_report, predict_images, softmax

# The most lesions each Hayashi level but the last allows (mild 0-5, moderate 6-20, severe 21-50):
# ACNE04's definition (see acne04's docstring), which its boxed counts follow.
HAYASHI_MAX_LESIONS = (5, 20, 50)
# Referred to a dermatologist from GEA 4 (severe) up, the shop's default rule; Hayashi severe.
REFER_FROM_GRADE = 4
REFER_FROM_LEVEL = 2
FOLDS = 3
WEIGHTS = tuple(np.round(np.linspace(0.0, 1.0, 21), 2))
MIN_SPREAD = 0.05


def gea_count_edges() -> tuple[float, ...]:
    """The lesion counts between neighbouring GEA grades by acne04.gea_grade's definitions: no
    lesion clear, up to ALMOST_CLEAR_MAX_LESIONS almost clear, then Hayashi's bands."""
    bounds = (0, acne04.ALMOST_CLEAR_MAX_LESIONS, *HAYASHI_MAX_LESIONS)
    return tuple(b + 0.5 for b in bounds)


def folds_of(paths: list[str], k: int = FOLDS, seed: int = 0) -> np.ndarray:
    """A fold per crop, the crops of one photograph (its lesion-free version) in the same one."""
    unique = sorted(set(paths))
    order = np.random.default_rng(seed).permutation(len(unique))
    fold = {path: int(order[i] % k) for i, path in enumerate(unique)}
    return np.array([fold[p] for p in paths])


def out_of_fold_counts(
    x: Tensor, y: Tensor, folds: np.ndarray, *, seed: int = 0, log=print
) -> np.ndarray:
    """The count of every crop by a counter trained on the other folds. ``x``/``y``: the crops'
    feature maps and densities (counter_data; mirror images left out: on 2 cores the folds
    then cost about what the shipped counter's training does)."""
    counts = np.zeros(len(folds))
    names = sorted(set(folds.tolist()))
    for f in names:
        rest, held = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        head = lesion_training.fit(x[rest], y[rest], seed=seed, log=lambda *_: None)
        with torch.inference_mode():
            counts[held] = head(x[held].float()).sum(dim=(1, 2)).numpy()
        log(f"  lesion counter fold {f + 1}/{len(names)}: {len(held)} crops counted")
    return counts


def fit_calibration(counted: np.ndarray, boxed: np.ndarray) -> tuple[float, float, float]:
    """slope, intercept and spread of log1p(boxed) ≈ slope · log1p(counted) + intercept."""
    a, b = np.log1p(np.clip(counted, 0, None)), np.log1p(boxed)
    slope, intercept = np.polyfit(a, b, 1)
    if not slope > 0:  # a counter that tells nothing: keep the count as it is
        slope, intercept = 1.0, 0.0
    spread = float(np.std(b - (slope * a + intercept)))
    return float(slope), float(intercept), max(spread, MIN_SPREAD)


def levels_of(grades: np.ndarray) -> np.ndarray:
    return acne04.gea_to_hayashi(grades)


def grading_figures(probs: np.ndarray, levels: np.ndarray, rule: str) -> dict[str, float]:
    """4-level accuracy and MAE of the grades ``rule`` reads from ``probs`` (N, G)."""
    p = torch.from_numpy(np.asarray(probs, np.float64))
    grades = grades_by_rule(probability_mean(p), p, rule, p.shape[1]).numpy()
    predicted = levels_of(grades)
    return {
        "accuracy": float((predicted == levels).mean()),
        "mae": float(np.abs(predicted - levels).mean()),
        "referral_sensitivity": referral_figures(levels, grades)["referral_sensitivity"],
    }


def choose_pooling(
    grading: np.ndarray, counts: np.ndarray, levels: np.ndarray, base: JointRule
) -> tuple[JointRule, list[dict[str, Any]]]:
    """The count's weight and the reading rule whose pooled grades agree most often with
    ``levels`` (then the smaller MAE, then the smaller weight), and every pair's figures."""
    g = torch.from_numpy(np.asarray(grading, np.float32))
    c = torch.from_numpy(np.asarray(counts, np.float64))
    rows = []
    for rule in POOLED_RULES:
        for w in WEIGHTS:
            pooled = _with(base, weight=float(w), rule=rule).probabilities(g, c).numpy()
            rows.append({"rule": rule, "weight": float(w), **grading_figures(pooled, levels, rule)})
    best = max(rows, key=lambda r: (r["accuracy"], -r["mae"], -r["weight"]))
    return _with(base, weight=best["weight"], rule=best["rule"]), rows


def _with(joint: JointRule, **changes) -> JointRule:
    return dataclasses.replace(joint, **changes)


def fit_rule(
    grading: np.ndarray,
    counts: np.ndarray,
    boxed: np.ndarray,
    levels: np.ndarray,
    *,
    edges: tuple[float, ...],
) -> tuple[JointRule, dict[str, Any]]:
    """The count's calibration fitted on the training photographs' out-of-fold ``counts``
    against their ``boxed`` lesions (``levels`` >= 0: the lesion-free versions, all zeros,
    would pull the line to the clear end), and the pooling those folds would choose with the
    heads' calibrated probabilities ``grading`` (reported: the heads learned from these
    photographs, so their probabilities here are in-sample)."""
    photo = levels >= 0
    slope, intercept, spread = fit_calibration(counts[photo], boxed[photo])
    base = JointRule(edges=edges, slope=slope, intercept=intercept, spread=spread, weight=1.0)
    rule, rows = choose_pooling(grading[photo], counts[photo], levels[photo], base)
    return rule, {
        "crops": int(len(counts)),
        "photos": int(photo.sum()),
        "calibration": {"slope": slope, "intercept": intercept, "spread": spread},
        "pooling": rows,
    }


def choose_on_valid(
    base: JointRule,
    grading: np.ndarray,
    counts: np.ndarray,
    levels: np.ndarray,
    paths: list[str],
    clear_misreads: dict[tuple[str, float], float],
    heads_misread: float | None = None,
    heads_grades: np.ndarray | None = None,
) -> tuple[JointRule | None, dict[str, Any]]:
    """The weight and reading rule chosen on the valid photographs: the best 4-level accuracy
    (then MAE, then the smaller weight) among the pairs that read clear skin (``clear_misreads``:
    the share of clear skin read moderate or worse per pair) as moderate or worse no more often
    than the heads alone do (``heads_misread``: as the shop reads them without a joint rule;
    by default the pooled reading at weight 0) and, given the heads' grades as the shop reads
    them (``heads_grades``), refer the severe photographs to a dermatologist at least as often
    as they do: accuracy bought with missed referrals is not taken. None when no pair is
    allowed. With it, the accuracy of a two-fold cross-validation over those photographs (each
    half graded by the pair the other half chose, or by the heads alone where it chose none):
    what the choice is worth on photographs it was not made on."""
    heads_alone = (
        min(clear_misreads[(r, 0.0)] for r in POOLED_RULES)
        if heads_misread is None
        else heads_misread
    )
    safe = {pair for pair, share in clear_misreads.items() if share <= heads_alone + 1e-9}

    def choose(index: np.ndarray) -> JointRule | None:
        _, rows = choose_pooling(grading[index], counts[index], levels[index], base)
        rows = [r for r in rows if (r["rule"], r["weight"]) in safe]
        if heads_grades is not None:
            floor = referral_figures(levels[index], heads_grades[index])["referral_sensitivity"]
            rows = [r for r in rows if not r["referral_sensitivity"] < floor - 1e-9]
        if not rows:
            return None
        best = max(rows, key=lambda r: (r["accuracy"], -r["mae"], -r["weight"]))
        return _with(base, weight=best["weight"], rule=best["rule"])

    halves = folds_of(paths, k=2)
    hits = []
    for half in (0, 1):
        chosen = choose(np.flatnonzero(halves != half))
        held = np.flatnonzero(halves == half)
        if chosen is None and heads_grades is not None:
            grades = heads_grades[held]
        else:
            pooled = chosen or _with(base, weight=0.0)
            grades = read_pooled(pooled, grading[held], counts[held])["grades"]
        hits.append(acne04.gea_to_hayashi(grades) == levels[held])
    return choose(np.arange(len(levels))), {
        "cross_validated_accuracy": float(np.concatenate(hits).mean())
    }


def referral_figures(levels: np.ndarray, grades: np.ndarray) -> dict[str, float]:
    """The "see a dermatologist" rule (GEA REFER_FROM_GRADE up, recommendations.services.routine)
    on the Hayashi levels: the share of severe or worse photographs referred (sensitivity) and
    the share of mild or moderate ones referred (false referrals)."""
    severe = levels >= REFER_FROM_LEVEL
    referred = np.asarray(grades) >= REFER_FROM_GRADE
    return {
        "referral_sensitivity": float(referred[severe].mean()) if severe.any() else float("nan"),
        "false_referral": float(referred[~severe].mean()) if (~severe).any() else float("nan"),
    }


def read_pooled(rule: JointRule, grading: np.ndarray, counts: np.ndarray) -> dict[str, np.ndarray]:
    """The grades, scores, probabilities and confidences the shop reads with ``rule``."""
    g = torch.from_numpy(np.asarray(grading, np.float32))
    pooled = rule.probabilities(g, torch.from_numpy(np.asarray(counts, np.float64)))
    grades = grades_by_rule(probability_mean(pooled), pooled, rule.rule, pooled.shape[1])
    scores = score_by_rule(probability_mean(pooled), pooled, rule.rule, pooled.shape[1])
    return {
        "grades": grades.numpy(),
        "scores": scores.numpy(),
        "probs": pooled.numpy(),
        "confidence": confidence_within_one(pooled, grades).numpy(),
    }


def heads_as_read(model, meta: dict[str, Any], images: np.ndarray) -> tuple[np.ndarray, ...]:
    """Grades and scores as the shop reads the grading heads without a joint rule: the model's
    decision rule on its raw outputs (the temperature calibrates only the confidence)."""
    out = predict_images(model, images, meta["mean"], meta["std"])
    outputs = {k: torch.from_numpy(out[k]) for k in ("regression", "logits")}
    rule, n = meta["decision_rule"], out["logits"].shape[1]
    return decide_grade(outputs, rule, n).numpy(), grade_score(outputs, rule, n).numpy()


def clear_misread(free_grades: np.ndarray, look_grades: np.ndarray | None, check) -> float:
    """The larger share of clear skin read moderate or worse: the lesion-free versions, and the
    look-alike check set's faces under a look-alike (``check``: kinds, images) when read."""
    shares = [(np.asarray(free_grades) >= 3).mean()]
    if look_grades is not None:
        shares.append((np.asarray(look_grades)[check[0] != lookalike_checks.CONTROL] >= 3).mean())
    return float(max(shares))


def joint_grading(
    model,
    meta: dict[str, Any],
    counter: LesionCounter,
    train: acne04.Crops,
    valid: acne04.Crops,
    *,
    data: tuple[Tensor, Tensor],
    familiar: np.ndarray,
    check=None,
    counting: lesion_training.CountingCrops | None = None,
    log=print,
) -> tuple[JointRule | None, dict[str, Any]]:
    """The joint rule of a model with a lesion counter (None when it does not hold up): the
    count's calibration fitted on training folds (``data``: the training crops' counter_data,
    mirror images or not), the count's weight and the reading rule chosen on the valid split
    (``choose_on_valid``), and its figures on the valid split beside the heads alone and the
    count alone: the four levels, referrals, lesion-free versions, the share answered against
    accuracy (``familiar``: the valid crops within the out-of-distribution threshold), the
    confidence threshold it picks, and the look-alike check set (``check``: kinds, images).
    ``counting``: the same photographs and faces as the counter reads them, when it reads crops
    of its own size (``data`` is then theirs)."""
    if counting is None:
        counting = lesion_training.CountingCrops(train, valid, None if check is None else check[1])
    temperature = float(meta.get("temperature", 1.0))

    def heads(images: np.ndarray) -> np.ndarray:
        logits = predict_images(model, images, meta["mean"], meta["std"])["logits"]
        return softmax(logits, temperature)

    def count(images: np.ndarray) -> np.ndarray:
        maps = lesion_training.crop_features(
            model, images, counter.layers, mean=meta["mean"], std=meta["std"]
        )
        with torch.inference_mode():
            return counter.head(maps.float()).sum(dim=(1, 2)).numpy()

    folds = folds_of(train.paths)
    n = len(train.kinds)
    train_counts = out_of_fold_counts(data[0][:n], data[1][:n], folds, log=log)
    boxed = np.array([len(b) for b in counting.train.boxes])
    on_folds, fitted = fit_rule(
        heads(train.images), train_counts, boxed, train.levels, edges=gea_count_edges()
    )
    log(
        f"count calibration on {FOLDS} training folds: slope {on_folds.slope:.2f}, intercept "
        f"{on_folds.intercept:.2f}, spread {on_folds.spread:.2f}; the folds' own pooling "
        f"(in-sample heads): weight {on_folds.weight}"
    )
    grading, counts = heads(valid.images), count(counting.valid.images)
    photo, free = valid.select("photo"), valid.select("lesion-free")
    levels = valid.levels[photo]
    looks = (
        (heads(check[1]), count(counting.check)) if check is not None and len(check[0]) else None
    )
    plain_grades, plain_scores = heads_as_read(model, meta, valid.images)
    heads_misread = clear_misread(
        plain_grades[free], heads_as_read(model, meta, check[1])[0] if looks else None, check
    )
    misreads = {}
    for pair in [(r, float(w)) for r in POOLED_RULES for w in WEIGHTS]:
        pooled = _with(on_folds, rule=pair[0], weight=pair[1])
        misreads[pair] = clear_misread(
            read_pooled(pooled, grading[free], counts[free])["grades"],
            read_pooled(pooled, *looks)["grades"] if looks else None,
            check,
        )
    rule, chosen = choose_on_valid(
        on_folds,
        grading[photo],
        counts[photo],
        levels,
        list(np.array(valid.paths)[photo]),
        misreads,
        heads_misread=heads_misread,
        heads_grades=plain_grades[photo],
    )
    fitted.update(chosen)
    found = rule is not None
    rule = rule or _with(on_folds, weight=0.0)  # reported as the study's weight 0
    log(
        f"joint rule chosen on the valid split: count weight {rule.weight}, read by {rule.rule}; "
        f"two-fold cross-validated 4-level accuracy {chosen['cross_validated_accuracy']:.3f}"
    )
    rows = {}
    for name, weight in (("grading", None), ("counting", 1.0), ("joint", rule.weight)):
        read = (
            {"grades": plain_grades, "scores": plain_scores}
            if weight is None  # the heads as the shop reads them without the rule
            else read_pooled(_with(rule, weight=weight), grading, counts)
        )
        rows[name] = {
            **hayashi_report(levels, read["scores"][photo], read["grades"][photo]),
            **referral_figures(levels, read["grades"][photo]),
            "lesion_free_clear_or_almost": float((read["grades"][free] <= 1).mean()),
            "lesion_free_moderate_or_worse": float((read["grades"][free] >= 3).mean()),
        }
    read = read_pooled(rule, grading, counts)
    correct = acne04.gea_to_hayashi(read["grades"]) == valid.levels
    answered = answered_table(read["confidence"][photo], correct[photo], familiar[photo])
    threshold = choose_confidence(answered)
    # Shipped only when the choice holds on photographs it was not made on: the cross-validated
    # accuracy must beat the heads alone's (which needs no choice).
    shipped = found and fitted["cross_validated_accuracy"] > rows["grading"]["accuracy"]
    report = {"folds": fitted, "valid": rows, "answered": answered, "rule": rule.to_meta()}
    report.update(confidence_threshold=threshold, shipped=bool(shipped), allowed=found)
    if looks is not None:
        seen = read_pooled(rule, *looks)
        reliable = seen["confidence"] >= threshold
        report["look_alikes"] = lookalike_checks.false_acne(check[0], seen["grades"], reliable)
    j = rows["joint"]
    log(
        f"joint grading on the valid split: 4-level accuracy {j['accuracy']:.3f} (heads alone "
        f"{rows['grading']['accuracy']:.3f}, count alone {rows['counting']['accuracy']:.3f}), "
        f"referral sensitivity {j['referral_sensitivity']:.3f}, false referrals "
        f"{j['false_referral']:.3f}; confidence >= {threshold}; "
        + ("shipped" if shipped else "not shipped: it does not beat the heads alone on the halves")
    )
    return (rule if shipped else None), report
