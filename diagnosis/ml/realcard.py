"""The model card of the shipped real-photograph model, written from its checkpoint's metadata
(so the card always shows the figures of the weights beside it)."""

from __future__ import annotations

import math
from typing import Any

from . import acne04


def _f(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _terms(meta: dict[str, Any]) -> str:
    rows = [
        [s.get("name"), s.get("licence"), "yes" if s.get("commercial_use") else "**no**"]
        for s in meta.get("training_data") or []
    ]
    return _table(["data", "terms", "commercial use"], rows)


def _candidates(metrics: dict[str, Any], chosen: str) -> str:
    rows = []
    for arch, r in metrics.get("candidates", {}).items():
        h = r["hayashi"]
        rows.append(
            [
                arch + (" (shipped)" if arch == chosen else ""),
                r.get("encoder_init", ""),
                h["accuracy"],
                h["mae"],
                h["spearman_level_score"],
                r["lesion_free"]["clear_or_almost"],
                r.get("best_epoch"),
                f"{(r.get('train_seconds') or 0) / 60:.0f} min",
            ]
        )
    return _table(
        [
            "encoder",
            "initialization",
            "4-level accuracy",
            "MAE (levels)",
            "Spearman",
            "lesion-free read clear/almost clear",
            "best epoch",
            "training",
        ],
        rows,
    )


def _levels(h: dict[str, Any]) -> str:
    rows = [
        [acne04.HAYASHI_LEVELS[i], sum(h["confusion"][i]), h["per_level_recall"][i]]
        + h["confusion"][i]
        for i in range(4)
    ]
    return _table(
        ["level", "n", "recall", "read mild", "read moderate", "read severe", "read very severe"],
        rows,
    )


def model_card(meta: dict[str, Any], *, checkpoint_mb: float, overlays: str) -> str:
    m = meta["metrics"]
    r = m["acne04_valid"]
    h = r["hayashi"]
    free = r["lesion_free"]
    training = meta.get("training", {})
    sources = training.get("sources", {})
    literature = "\n".join(f"| {k} | {v:.3f} |" for k, v in m.get("literature", {}).items())
    answered = _table(
        ["confidence threshold", "answered", "4-level accuracy of the answered"],
        [[row["threshold"], row["answered"], row["accuracy_answered"]] for row in m["answered"]],
    )
    heat_rows = [
        [v["layer"], v["k"], v["n"], v["pointing"], v["energy_in_boxes"], v["boxes_share"]]
        for v in m["heatmaps"].values()
    ]
    thresholds = _table(
        ["threshold", "face kept", "lesion boxes kept", "kept on boxes", "F1"],
        [
            [float(t), v["coverage"], v["recall"], v["precision"], v["f1"]]
            for t, v in m["heatmap_thresholds"].items()
        ],
    )
    groups = _table(
        ["ITA group", "n", "4-level accuracy"],
        [[g, v["n"], v["accuracy"]] for g, v in r.get("per_ita_group", {}).items()],
    )
    synth = _table(
        ["set", "n", "exact accuracy", "MAE", "within one"],
        [
            [key, s["n"], s["accuracy"], s["mae"], s["within1"]]
            for key, s in m.items()
            if key.startswith("synthetic_")
        ],
    )
    timings = training.get("timings_s", {})
    synthetic = sources.get("synthetic", {})
    data_table = _table(
        ["source", "images", "GEA grades"],
        [
            ["ACNE04 train photographs", sources.get("acne04_train_photos"), "1-5"],
            [
                "the mild ones with their boxed lesions painted out",
                sources.get("acne04_lesion_free"),
                "0",
            ],
            [f"synthetic selfies (seed {synthetic.get('seed')})", synthetic.get("n"), "0-5"],
        ],
    )
    total = h["n"] + sum(r.get("refused", {}).values())
    refused = r.get("refused") or "none"
    heatmaps = _table(
        ["layer", "k", "photographs", "pointing", "energy in boxes", "boxes' share"], heat_rows
    )
    return f"""# Model card: {meta.get("name")} {meta.get("version")} (real photographs)

> **Academic use only.** This model learned from ACNE04 (Wu et al., ICCV 2019), which is
> free for academic use; any other use needs the authors' permission. It is **not cleared for
> commercial use**: `manage.py check --deploy` warns while it is loaded. A shop open to the
> public sets `DIAGNOSIS_MODEL=synthetic` (the model trained on generated faces only, see
> `SYNTHETIC_MODEL_CARD.md`) or uses a model whose data it may use commercially.
>
> **Not a medical device.** It estimates acne severity from a photo; it does not replace a
> dermatologist.

{_terms(meta)}

## What it is

- Task: acne severity on the GEA scale (0 clear … 5 very severe) from one photo: a frontal
  selfie, a left or right side view, or a close-up of the skin (`face.normalize_face` says
  which: `view` in every result).
- Network (the patent's): a residual CNN encoder (`{meta["arch"]}`), global average pooling,
  a regression head and a classification head over the six grades, trained together with
  auxiliary gender and skin-tone heads (known for the synthetic faces only); combined loss
  λmse·MSE + λce·CE + λaux·CE. Input {meta["input_size"]} px, decision rule
  `{meta["decision_rule"]}`. File: {checkpoint_mb:.1f} MB (float16).
- Knows when not to answer: a calibrated confidence (temperature {meta.get("temperature", 1):.2f};
  the probability that the true grade is within one of the shown grade) and an
  out-of-distribution distance on the encoder's features; below confidence
  {meta.get("confidence_threshold")} or past distance {_f(meta.get("ood_threshold"), 2)} the
  shop says it cannot grade the photo reliably, with what to try instead, and sells nothing.

## Training data and the scale

{data_table}

ACNE04 train photographs the normalization refused: {sources.get("acne04_refused")}.

**Hayashi → GEA.** Hayashi counts lesions on half the face (mild 0-5, moderate 6-20, severe
21-50, very severe over 50); GEA's mild, moderate, severe and very severe describe the same ranks,
so level L is GEA L + 2. GEA 1 ("almost clear: rare lesions") has no Hayashi level: a mild
photograph with at most {acne04.ALMOST_CLEAR_MAX_LESIONS} boxed lesion is GEA 1 (the boxes are
the dermatologists' lesion count, as in Wu et al.'s joint grading and counting). GEA 0 has no
real photograph at all: the mild photographs with their boxes inpainted (every lesion of a mild
photo is boxed) are real skin without acne. Lesion counts are not a separate training target:
the crop of a side view or close-up does not hold every counted lesion, so a count regressed on
the crop would be taught wrong numbers; the patent's heads are kept as they are.

## Encoders compared on the ACNE04 valid split

The same training data and the same selection on the valid split (validation figures); each
ran the epochs its time on 2 CPU cores allowed (the best epoch is listed):

{_candidates(m, meta["arch"])}

## ACNE04 valid split: the four Hayashi levels

Validation figures: the shipped weights were selected on this split (best epoch, encoder,
temperature, thresholds). The held-out split that judges the model is kept apart from this work.

| model | 4-level accuracy |
|---|---|
| **this model** (valid split, {h["n"]} of {total} photographs analysed) | **{h["accuracy"]:.3f}** |
{literature}

- Analysed {_f(r.get("analysed_share"))} of the valid photographs (refused: {refused}).
- MAE on the levels {h["mae"]:.3f}; Spearman(level, score) **{_f(h["spearman_level_score"])}**.
- GEA figures against the mapped grades: exact accuracy {_f(r["gea"]["accuracy"])}, MAE
  {_f(r["gea"]["mae"])}, within one {_f(r["gea"]["within1"])}.

{_levels(h)}

Per skin tone: ACNE04 has no skin-type labels, so each photograph's ITA° (individual
typology angle, Chardon et al. 1991) is measured on its skin pixels. On uncalibrated clinic
photographs ITA mixes tone with lighting (warm light lowers it), so these groups are not
Fitzpatrick types; ACNE04's patients are mostly East Asian, and this model is **not shown to
work equally on dark skin** by these data (the synthetic sets cover types I-VI).

{groups}

## Clear skin

The lesion-free versions of the {free["n"]} mild valid photographs: read clear or almost clear
**{_f(free["clear_or_almost"])}**, moderate or worse {_f(free["moderate_or_worse"])}, mean score
{_f(free["mean_score"], 2)}.

## Synthetic held-out sets (the synthetic-only model's sets: seeds 2002 and 3003, 600 each)

{synth}

## Knowing when not to answer

On the ACNE04 valid photographs (validation figures), share answered against the 4-level
accuracy of what is answered, with the distance check on:

{answered}

Operating point: confidence ≥ **{meta.get("confidence_threshold")}**, the highest threshold that
still answers at least 90 % of these photographs; distance threshold
{_f(meta.get("ood_threshold"), 2)}, the 99th percentile of the distances of the selection images
(valid photographs and synthetic selection selfies) from the training images' features.

## Heatmaps on real lesions

k-augmentation Grad-CAM (patent claims 23-31) on valid photographs with lesion boxes in their
crop: the pointing game (the map's peak falls in a box) and the share of the map's energy inside
the boxes, against the boxes' share of the face (chance).

{heatmaps}

Target layer: **{meta["target_layer"]}** (best pointing at k=10). Threshold
**{meta["heatmap_threshold"]}** (best mean F1 between the kept region and the boxes):

{thresholds}

Overlays: `{overlays}` is written by `make model` beside its caches (ACNE04 photographs are not
redistributed in this repository).

## Limitations

- Real photographs from one source (ACNE04: clinic photographs, mostly East Asian patients,
  stretched to 640×640); real clear skin only as inpainted versions of mild acne.
- Validation figures only here: the data it was selected on flatter it.
- Not a medical device.

## Build

`make model` (`python -m diagnosis.ml build-model --acne04 PATH`) on 2 CPU cores: data
{_f(timings.get("data"), 0)} s from cached crops (a first run also normalizes the 1,274
photographs: about 12 minutes), training of the shipped encoder {_f(timings.get("train"), 0)} s,
then the ResNet-18 candidate (about 17 minutes) and the evaluation (about 4 minutes).
"""
