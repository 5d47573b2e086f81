"""The model card of the shipped real-photograph model, written from its checkpoint's metadata
(so the card always shows the figures of the weights beside it)."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path
from typing import Any

from diagnosis.ml.checkpoint import commercial_use

from . import acne04
from .joint_training import FOLDS
from .lookalike_checks import CHECK_SEED
from .realeval import ITA_BANDS, headline, selected_on


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


def _candidates(metrics: dict[str, Any], chosen: str, kind: str = "acne04") -> str:
    rows, names = [], []
    for arch, r in metrics.get("candidates", {}).items():
        figures = headline(r, kind)
        names = list(figures)
        rows.append(
            [arch + (" (shipped)" if arch == chosen else ""), r.get("encoder_init", "")]
            + list(figures.values())
            + [r.get("best_epoch"), f"{(r.get('train_seconds') or 0) / 60:.0f} min"]
        )
    return _table(["encoder", "initialization", *names, "best epoch", "training"], rows)


def _seeds_section(metrics: dict[str, Any]) -> str:
    seeds = metrics.get("seeds")
    if not seeds or len(seeds["runs"]) < 2:
        return (
            "One training run (one seed): differences between encoders smaller than a seed's "
            "spread are not told apart here (`build-model --seeds N` shows it)."
        )
    names = list(seeds["spread"])
    rows = [[f"seed {s}", *figures.values()] for s, figures in seeds["runs"].items()]
    rows.append(
        [
            "**mean ± sd**",
            *(f"{seeds['spread'][n]['mean']:.3f} ± {seeds['spread'][n]['std']:.3f}" for n in names),
        ]
    )
    return (
        f"The shipped encoder (`{seeds['arch']}`) trained with {len(seeds['runs'])} seeds on the "
        "same data (the model shipped is the first seed's):\n\n"
        + _table(["run", *names], rows)
        + _against_candidates(metrics, seeds, names[0])
    )


def _against_candidates(metrics: dict[str, Any], seeds: dict[str, Any], name: str) -> str:
    """Whether the other encoders' lead or lag on the first figure exceeds the seeds' spread."""
    first = next(iter(seeds["runs"].values()))[name]
    sd = seeds["spread"][name]["std"]
    lines = []
    for arch, report in metrics.get("candidates", {}).items():
        if arch == seeds["arch"]:
            continue
        gap = abs(first - headline(report, selected_on(metrics))[name])
        verdict = "more" if gap > 2 * sd else "no more"
        lines.append(
            f"- `{arch}`: {name} {gap:.3f} apart, {verdict} than twice the seeds' spread "
            f"({2 * sd:.3f})" + ("" if verdict == "more" else ": one run does not tell them apart")
        )
    return "\n\n" + "\n".join(lines) if lines else ""


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


# The card's text, with ${name} placeholders that real_card fills.
CARD_TEMPLATE = Path(__file__).parent / "cards" / "real.md"


def real_card(meta: dict[str, Any], *, checkpoint_mb: float, overlays: str) -> str:
    """MODEL_CARD.md of the real-photograph model, from its checkpoint's metadata."""
    template = string.Template(CARD_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        _model_values(meta, checkpoint_mb, overlays)
        | _valid_values(meta["metrics"]["acne04_valid"])
        | _tables(meta)
        | {"lesions_section": _lesions_section(meta), "joint_section": _joint_section(meta)}
    )


def _model_values(meta: dict[str, Any], checkpoint_mb: float, overlays: str) -> dict[str, Any]:
    """The model, its operating points and its build."""
    training = meta.get("training", {})
    return {
        **_common_values(meta, checkpoint_mb),
        "target_layer": meta["target_layer"],
        "heatmap_threshold": meta["heatmap_threshold"],
        "acne04_refused": training.get("sources", {}).get("acne04_refused"),
        "almost_clear_max_lesions": acne04.ALMOST_CLEAR_MAX_LESIONS,
        "overlays": overlays,
    }


def _common_values(meta: dict[str, Any], checkpoint_mb: float) -> dict[str, Any]:
    """What every card says of the model: its name, network, operating points and build."""
    timings = meta.get("training", {}).get("timings_s", {})
    return {
        "name": meta.get("name"),
        "version": meta.get("version"),
        "arch": meta["arch"],
        "input_size": meta["input_size"],
        "decision_rule": meta["decision_rule"],
        "checkpoint_mb": f"{checkpoint_mb:.1f}",
        "temperature": f"{meta.get('temperature', 1):.2f}",
        "confidence_threshold": meta.get("confidence_threshold"),
        "ood_threshold": _f(meta.get("ood_threshold"), 2),
        "data_seconds": _f(timings.get("data"), 0),
        "train_seconds": _f(timings.get("train"), 0),
    }


def _valid_values(r: dict[str, Any]) -> dict[str, Any]:
    """The figures on the ACNE04 valid split (``r``: its report)."""
    h, free = r["hayashi"], r["lesion_free"]
    return {
        "valid_analysed": h["n"],
        "valid_total": h["n"] + sum(r.get("refused", {}).values()),
        "analysed_share": _f(r.get("analysed_share")),
        "refused": r.get("refused") or "none",
        "hayashi_accuracy": f"{h['accuracy']:.3f}",
        "hayashi_mae": f"{h['mae']:.3f}",
        "spearman": _f(h["spearman_level_score"]),
        "gea_accuracy": _f(r["gea"]["accuracy"]),
        "gea_mae": _f(r["gea"]["mae"]),
        "gea_within1": _f(r["gea"]["within1"]),
        "levels_table": _levels(h),
        "groups_table": _table(
            ["ITA group", "n", "4-level accuracy"],
            [
                [g, r["per_ita_group"][g]["n"], r["per_ita_group"][g]["accuracy"]]
                for g, _ in ITA_BANDS
                if g in r.get("per_ita_group", {})
            ],
        ),
        "lesion_free_n": free["n"],
        "lesion_free_clear": _f(free["clear_or_almost"]),
        "lesion_free_moderate": _f(free["moderate_or_worse"]),
        "lesion_free_mean_score": _f(free["mean_score"], 2),
    }


def _tables(meta: dict[str, Any]) -> dict[str, str]:
    m = meta["metrics"]
    return {
        "terms": _terms(meta),
        "data_table": _data_table(meta.get("training", {}).get("sources", {})),
        "candidates": _candidates(m, meta["arch"]),
        "seeds_section": _seeds_section(m),
        "literature": "\n".join(f"| {k} | {v:.3f} |" for k, v in m.get("literature", {}).items()),
        "synthetic_table": _table(
            ["set", "n", "exact accuracy", "MAE", "within one"],
            [
                [key, s["n"], s["accuracy"], s["mae"], s["within1"]]
                for key, s in m.items()
                if key.startswith("synthetic_")
            ],
        )
        + _shop_reading_line(m),
        "heads_or_joint": _heads_or_joint(meta),
        "extra_losses": _extra_losses(meta.get("training", {})),
        "look_alikes_section": _look_alikes_section(meta),
        "answered_source": "the grade and its confidence read jointly with the lesion count"
        if "joint" in meta
        else "the grading heads' grade and confidence",
        "answered_table": _table(
            ["confidence threshold", "answered", "4-level accuracy of the answered"],
            [
                [row["threshold"], row["answered"], row["accuracy_answered"]]
                for row in (m["joint"]["answered"] if "joint" in meta else m["answered"])
            ],
        ),
        "heatmaps_table": _table(
            ["layer", "k", "photographs", "pointing", "energy in boxes", "boxes' share"],
            [
                [v["layer"], v["k"], v["n"], v["pointing"], v["energy_in_boxes"], v["boxes_share"]]
                # In the network's order (a checkpoint's metadata comes back sorted by name).
                for v in sorted(m["heatmaps"].values(), key=_layer_order)
            ],
        ),
        "heatmap_views": _views_table(m.get("heatmap_views")),
        "thresholds_table": _table(
            ["threshold", "face kept", "lesion boxes kept", "kept on boxes", "F1"],
            [
                [float(t), v["coverage"], v["recall"], v["precision"], v["f1"]]
                for t, v in m["heatmap_thresholds"].items()
            ],
        ),
    }


def _extra_losses(training: dict[str, Any]) -> str:
    """The terms beside the patent's loss that the model was trained with, if any."""
    terms = []
    if training.get("lambda_ldl"):
        terms.append(f" + {training['lambda_ldl']:g}·KL (label distributions)")
    if training.get("lambda_count"):
        terms.append(
            f" + {training['lambda_count']:g}·count loss (a lesion head trained with the encoder "
            "on the boxed lesions)"
        )
    return "".join(terms)


def _look_alikes_section(meta: dict[str, Any]) -> str:
    looks = meta["metrics"].get("acne04_valid", {}).get("look_alikes")
    if not looks:
        return ""
    read = "as the shop reads it"
    if "joint" in meta:
        read = "read by the grading heads (read jointly, below)"
    return (
        f"The look-alike check set (clear synthetic faces of seed {CHECK_SEED}, plainly and under "
        f"each look-alike; `modelbuilding.lookalike_checks`), {read}. The training look-alikes, "
        "if any, come from the same generator with another seed, so this check is easier than "
        "real beards and freckles are:\n\n"
        + _table(
            ["look-alike", "n", "clear or almost clear", "moderate or worse"],
            [[k, v["n"], v["clear_or_almost"], v["moderate_or_worse"]] for k, v in looks.items()],
        )
    )


def _heads_or_joint(meta: dict[str, Any]) -> str:
    """Which reading the figures of the four levels are: the heads', or, for a model that grades
    jointly with its count, still the heads' (the joint figures are in their own section)."""
    if "joint" not in meta:
        return "The grade is read from the grading heads, as the shop reads it."
    j = meta["metrics"]["joint"]["valid"]["joint"]
    return (
        "These figures read the grading heads alone. **The shop grades jointly with the lesion "
        f'count** (below, "Joint grading and counting"): 4-level accuracy **{_f(j["accuracy"])}**'
        f", two-fold cross-validated "
        f"{_f(meta['metrics']['joint']['folds']['cross_validated_accuracy'])}."
    )


def _shop_reading_line(m: dict[str, Any]) -> str:
    r = m.get("shop_reading")
    if not r:
        return ""
    return (
        "\n\nGraded as the shop grades them, jointly with the lesion count: "
        + "; ".join(
            f"{key} exact accuracy **{_f(v['accuracy'])}**, MAE {_f(v['mae'])} "
            f"({_f(v['analysed'])} analysed)"
            for key, v in r.items()
        )
        + "."
    )


def _views_table(views: dict[str, Any] | None) -> str:
    if not views:
        return "The heatmap's figures per view were not measured for this model."
    return (
        "The target layer's heatmaps as the shop makes them (k=10, kept where the crop shows "
        "the photo), on every valid photograph with lesion boxes in its crop, per view (the "
        "crop's outer tenth is 36 % of its area):\n\n"
        + _table(
            ["view", "photographs", "pointing", "peak in the outer tenth"],
            [[view, v["n"], v["pointing"], v["outer_tenth"]] for view, v in views.items()],
        )
    )


def _lesions_section(meta: dict[str, Any], source: str = "ACNE04") -> str:
    spec, r = meta.get("lesion_head"), meta["metrics"].get("lesions")
    if not spec or not r:
        return "This model has no lesion counter: the face zones weigh the Grad-CAM heatmap."
    layers = " and ".join(f"`{name}`" for name in spec["layers"])
    crop = (
        f"on the face's crop drawn again at {spec['input_size']} pixels (the grading reads "
        f"{meta['input_size']}: a crowded face's papules merge there), in a forward of its own,"
        if spec.get("input_size")
        else "on the grading's own forward"
    )
    return f"""A lesion counter (`lesions.py`) reads the frozen encoder's {layers} {crop} and
predicts a density of lesions on a grid of one cell per {spec["stride"]} pixels of its crop (a
Gaussian per box centre, the dermatologists' boxes carried into the crop, so a side view is
taught the lesions it shows). It learned from the {r["train_crops"]} training crops ({source};
lesion-free versions included) and their mirror images (training and the figures below:
{r["train_seconds"]:.0f} s); the grading weights are unchanged. The face zones count the lesions
in each zone, and the zone with the most comes first.

On the {r["photos"]} {source} valid photographs (validation figures: the encoder was selected on
them; the counter's design was chosen on the training photographs):

- lesions in the crop: mean absolute error **{_f(r["count_mae"], 2)}**, Spearman with the
  boxed count **{_f(r["count_spearman"])}**;
- on the {r["zone_photos"]} photographs with boxed lesions in two or more visible zones, the
  zone with the most counted lesions holds the most boxed ones in
  **{_f(r["zone_named_first_holds_most"])}** of them (box centres in the crop; the shop's end to
  end figure is `bench/bench_zones.py`'s).{_with_encoder_line(r)}"""


def _with_encoder_line(r: dict[str, Any]) -> str:
    w = r.get("with_encoder")
    if not w:
        return ""
    return f"""

The encoder learned to count while it learned to grade (a lesion head trained with it,
`build-model --lambda-count`); that head, on the same photographs: mean absolute error
**{_f(w["count_mae"], 2)}**, Spearman **{_f(w["count_spearman"])}**. The counter above, fitted
afterwards on the encoder's frozen features, is the one shipped: the joint rule's training folds
refit that kind of counter, so its calibration describes it."""


SHIPPED = {
    True: "This model grades so.",
    False: "This model does not grade so: the rule's two-fold cross-validated accuracy (below) "
    "does not beat the heads alone, so the gain on the valid split is the choice's own luck. "
    "It grades with its heads alone, and the figures below are the study.",
    None: "This model does not grade so: no weight of the count reads clear skin no worse and "
    "refers the severe photographs as often as the heads alone do. It grades with its heads "
    "alone, and the figures below (the count's weight 0) are the study.",
}
JOINT_ROWS = (
    ("grading", "grading heads alone"),
    ("counting", "lesion count alone"),
    ("joint", "**joint**"),
)


def _joint_section(meta: dict[str, Any]) -> str:
    r = meta["metrics"].get("joint")
    if not r:
        return "This model grades with its grading heads alone."
    spec = r["rule"]
    cal, folds = r["folds"]["calibration"], r["folds"]
    rows = []
    for key, name in JOINT_ROWS:
        v = r["valid"][key]
        rows.append(
            [name, v["accuracy"], v["mae"], v["spearman_level_score"], *v["per_level_recall"]]
            + [v["referral_sensitivity"], v["false_referral"], v["lesion_free_clear_or_almost"]]
        )
    table = _table(
        ["grade read from", "4-level accuracy", "MAE", "Spearman", "recall mild", "moderate"]
        + ["severe", "very severe", "referred: severe+", "referred: mild/moderate"]
        + ["lesion-free clear/almost"],
        rows,
    )
    looks = r.get("look_alikes", {})
    look_table = _table(
        ["look-alike", "n", "clear or almost clear", "moderate or worse", "reliable mild+"],
        [
            [k, v["n"], v["clear_or_almost"], v["moderate_or_worse"], v["reliable_mild_or_worse"]]
            for k, v in looks.items()
        ],
    )
    fold_best = max(folds["pooling"], key=lambda x: (x["accuracy"], -x["mae"], -x["weight"]))
    heads_only = next(x for x in folds["pooling"] if x["weight"] == 0 and x["rule"] == spec["rule"])
    count_only = next(x for x in folds["pooling"] if x["weight"] == 1 and x["rule"] == spec["rule"])
    return f"""The Hayashi levels are lesion counts, and the grading heads do not see the count:
the grade is read from both (`diagnosis/ml/joint.py`, after Wu et al.'s joint grading and
counting). The lesion count becomes a distribution over the grades (the count recalibrated on
log(1 + count) as {_f(cal["slope"], 2)} · log(1 + count) + {_f(cal["intercept"], 2)}, spread
{_f(cal["spread"], 2)}, integrated over each grade's count band: GEA {
        ", ".join(f"{e:g}" for e in spec["edges"])
    }), pooled with the heads' calibrated distribution with
the count's weight **{spec["weight"]}**, and the grade is read by `{spec["rule"]}`.
**{SHIPPED[r["shipped"] if r.get("allowed", True) else None]}**

How its numbers were chosen. The calibration on {FOLDS} training folds: the counter trained
again on all folds but one of the {folds["crops"]} training crops (a photograph and its
lesion-free version in the same fold) counted the fold left out, and the line was fitted on the
{folds["photos"]} training photographs' counts against their boxes. The weight and the reading
rule could not be chosen on those folds: the heads learned from the training photographs, so
their probabilities there are in-sample (4-level accuracy {_f(heads_only["accuracy"])} on the
training photographs against {_f(r["valid"]["grading"]["accuracy"])} on valid as the shop reads
them; the folds' best
pooling, weight {fold_best["weight"]}, reaches {_f(fold_best["accuracy"])}, the count alone
{_f(count_only["accuracy"])}), and fold-wise heads would mean training the encoder once per fold.
They were chosen on the **valid** photographs instead, as the encoder and the thresholds were:
the best 4-level accuracy among the pairs that read clear skin (the lesion-free versions and the
look-alikes) as moderate or worse no more often than the heads alone, and refer the severe
photographs to a dermatologist at least as often as the heads alone. A two-fold
cross-validation over the valid photographs (each half graded by the pair the other half chose)
gives **{_f(folds["cross_validated_accuracy"])}**: what the choice is worth on photographs it
was not made on.

On the ACNE04 valid photographs (validation figures; "referred" is the shop's "see a
dermatologist" rule, GEA 4 and up; the heads alone are read as the shop reads them without the
rule, by the model's decision rule `{meta["decision_rule"]}` on their raw outputs):

{table}

On the look-alike check set (clear synthetic faces, `modelbuilding.lookalike_checks`), read
jointly, "reliable" at the pooled confidences' threshold ({r["confidence_threshold"]}):

{look_table}"""


def _layer_order(row: dict[str, Any]) -> tuple:
    """encoder.blocks.4 before encoder.blocks.10, then k."""
    parts = re.split(r"(\d+)", row["layer"])
    return (*(int(p) if p.isdigit() else p for p in parts), row["k"])


def _data_table(sources: dict[str, Any]) -> str:
    synthetic = sources.get("synthetic", {})
    return _table(
        ["source", "images", "GEA grades"],
        [
            ["ACNE04 train photographs", sources.get("acne04_train_photos"), "1-5"],
            [
                "the mild ones with their boxed lesions painted out",
                sources.get("acne04_lesion_free"),
                "0",
            ],
            [f"synthetic selfies (seed {synthetic.get('seed')})", synthetic.get("n"), "0-5"],
            *_look_alike_rows(sources),
        ],
    )


def _look_alike_rows(sources: dict[str, Any]) -> list[list[Any]]:
    looks = sources.get("look_alikes")
    if not looks:
        return []
    return [
        [
            f"clear synthetic faces, plain and under each look-alike (seed {looks['seed']})",
            looks["n"],
            "0",
        ]
    ]


SHOP_CARD_TEMPLATE = Path(__file__).parent / "cards" / "shop.md"


def use_notice(meta: dict[str, Any]) -> str:
    """The card's first word: may the model be used commercially (the strictest terms of its
    data decide), and which data say no."""
    if commercial_use(meta):
        names = ", ".join(s.get("name") for s in meta.get("training_data") or [])
        return f"> **Commercial use: allowed.** Every data set it learned from allows it: {names}."
    barred = [s.get("name") for s in meta.get("training_data") or [] if not s.get("commercial_use")]
    return (
        f"> **Academic use only: not cleared for commercial use.** It learned from "
        f"{', '.join(barred) or 'data whose terms are not known'}, whose terms do not allow it; "
        "`manage.py check --deploy` warns while it is loaded. Build without it for a shop open "
        "to the public."
    )


def shop_card(meta: dict[str, Any], *, checkpoint_mb: float, overlays: str) -> str:
    """SHOP_MODEL_CARD.md of a model built from the shop's own photos, from its metadata."""
    m, training = meta["metrics"], meta.get("training", {})
    r = m["shop_valid"]
    g = r["gea"]
    sources = training.get("sources", {})
    values = {
        **_common_values(meta, checkpoint_mb),
        "use_notice": use_notice(meta),
        "terms": _terms(meta),
        "data_table": _shop_data_table(sources),
        "refused_train": sources.get("shop_refused"),
        "candidates": _candidates(m, meta["arch"], "shop"),
        "seeds_section": _seeds_section(m),
        "valid_analysed": g["n"],
        "valid_total": g["n"] + sum(r.get("refused", {}).values()),
        "refused": r.get("refused") or "none",
        "accuracy": _f(g["accuracy"]),
        "mae": _f(g["mae"]),
        "within1": _f(g["within1"]),
        "spearman": _f(r.get("spearman_grade_score")),
        "grades_table": _grades_table(g),
        "groups_table": _table(
            ["ITA group", "n", "accuracy"],
            [[k, v["n"], v["accuracy"]] for k, v in r.get("per_ita_group", {}).items()],
        ),
        "answered_table": _table(
            ["confidence threshold", "answered", "accuracy of the answered"],
            [[x["threshold"], x["answered"], x["accuracy_answered"]] for x in m["answered"]],
        ),
        "heatmaps_section": _shop_heatmaps(meta, overlays),
        "lesions_section": _lesions_section(meta, source="the shop's")
        if "lesions" in m
        else (
            "No lesion counter: the training photos have no lesion marks; the face zones weigh "
            "the Grad-CAM heatmap."
        ),
        "synthetic_section": _synthetic_section(m),
    }
    return string.Template(SHOP_CARD_TEMPLATE.read_text(encoding="utf-8")).substitute(values)


def _shop_data_table(sources: dict[str, Any]) -> str:
    rows = [["the shop's photos (train split)", sources.get("shop_train_photos"), "0-5"]]
    if "acne04_train_photos" in sources:
        rows += [
            ["ACNE04 train photographs", sources["acne04_train_photos"], "1-5"],
            ["ACNE04 mild ones, lesions painted out", sources.get("acne04_lesion_free"), "0"],
        ]
    synthetic = sources.get("synthetic")
    if synthetic:
        rows.append([f"synthetic selfies (seed {synthetic['seed']})", synthetic["n"], "0-5"])
    rows += _look_alike_rows(sources)
    return _table(["source", "images", "GEA grades"], rows)


def _grades_table(g: dict[str, Any]) -> str:
    confusion = g.get("confusion") or []
    rows = [
        [grade, sum(confusion[grade]) if confusion else None, recall]
        + (list(confusion[grade]) if confusion else [])
        for grade, recall in enumerate(g.get("per_grade_recall") or [])
    ]
    reads = [f"read {i}" for i in range(len(confusion))]
    return _table(["GEA grade", "n", "recall", *reads], rows)


def _shop_heatmaps(meta: dict[str, Any], overlays: str) -> str:
    m = meta["metrics"]
    if "heatmaps" not in m:
        return "No valid photo has lesion marks: the heatmap keeps the engine's defaults."
    table = _table(
        ["layer", "k", "photos", "pointing", "energy in boxes", "boxes' share"],
        [
            [v["layer"], v["k"], v["n"], v["pointing"], v["energy_in_boxes"], v["boxes_share"]]
            for v in sorted(m["heatmaps"].values(), key=_layer_order)
        ],
    )
    return (
        "k-augmentation Grad-CAM against the dermatologists' lesion marks on valid photos "
        f"(pointing game and energy in the boxes):\n\n{table}\n\nTarget layer "
        f"**{meta['target_layer']}**, threshold **{meta['heatmap_threshold']}**. Overlays: "
        f"`{overlays}` (the shop's photos stay out of the repository)."
    )


def _synthetic_section(m: dict[str, Any]) -> str:
    rows = [
        [key, s["n"], s["accuracy"], s["mae"], s["within1"]]
        for key, s in m.items()
        if key.startswith("synthetic_")
    ]
    if not rows:
        return ""
    return "## Synthetic held-out sets\n\n" + _table(
        ["set", "n", "exact accuracy", "MAE", "within one"], rows
    )
