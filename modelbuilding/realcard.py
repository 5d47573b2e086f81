"""The model card of the shipped real-photograph model, written from its checkpoint's metadata
(so the card always shows the figures of the weights beside it)."""

from __future__ import annotations

import math
import re
import string
from pathlib import Path
from typing import Any

from . import acne04
from .realeval import ITA_BANDS


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


# The card's text, with ${name} placeholders that real_card fills.
CARD_TEMPLATE = Path(__file__).parent / "cards" / "real.md"


def real_card(meta: dict[str, Any], *, checkpoint_mb: float, overlays: str) -> str:
    """MODEL_CARD.md of the real-photograph model, from its checkpoint's metadata."""
    template = string.Template(CARD_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        _model_values(meta, checkpoint_mb, overlays)
        | _valid_values(meta["metrics"]["acne04_valid"])
        | _tables(meta)
        | {"lesions_section": _lesions_section(meta)}
    )


def _model_values(meta: dict[str, Any], checkpoint_mb: float, overlays: str) -> dict[str, Any]:
    """The model, its operating points and its build."""
    training = meta.get("training", {})
    timings = training.get("timings_s", {})
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
        "target_layer": meta["target_layer"],
        "heatmap_threshold": meta["heatmap_threshold"],
        "acne04_refused": training.get("sources", {}).get("acne04_refused"),
        "almost_clear_max_lesions": acne04.ALMOST_CLEAR_MAX_LESIONS,
        "overlays": overlays,
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
        "literature": "\n".join(f"| {k} | {v:.3f} |" for k, v in m.get("literature", {}).items()),
        "synthetic_table": _table(
            ["set", "n", "exact accuracy", "MAE", "within one"],
            [
                [key, s["n"], s["accuracy"], s["mae"], s["within1"]]
                for key, s in m.items()
                if key.startswith("synthetic_")
            ],
        ),
        "answered_table": _table(
            ["confidence threshold", "answered", "4-level accuracy of the answered"],
            [
                [row["threshold"], row["answered"], row["accuracy_answered"]]
                for row in m["answered"]
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
        "thresholds_table": _table(
            ["threshold", "face kept", "lesion boxes kept", "kept on boxes", "F1"],
            [
                [float(t), v["coverage"], v["recall"], v["precision"], v["f1"]]
                for t, v in m["heatmap_thresholds"].items()
            ],
        ),
    }


def _lesions_section(meta: dict[str, Any]) -> str:
    spec, r = meta.get("lesion_head"), meta["metrics"].get("lesions")
    if not spec or not r:
        return "This model has no lesion counter: the face zones weigh the Grad-CAM heatmap."
    layers = " and ".join(f"`{name}`" for name in spec["layers"])
    return f"""A lesion counter (`lesions.py`) reads the frozen encoder's {layers} and predicts a
density of lesions on a grid of one cell per {spec["stride"]} pixels of the crop (a Gaussian per
box centre, the dermatologists' boxes carried into the crop, so a side view is taught the lesions
it shows). It learned from the {r["train_crops"]} ACNE04 training crops (lesion-free versions
included) and their mirror images (training and the figures below: {r["train_seconds"]:.0f} s);
the grading weights are unchanged. The face zones count the lesions in each zone, and the zone
with the most comes first.

On the {r["photos"]} ACNE04 valid photographs (validation figures: the encoder was selected on
them; the counter's design was chosen on the training photographs):

- lesions in the crop: mean absolute error **{_f(r["count_mae"], 2)}**, Spearman with the
  boxed count **{_f(r["count_spearman"])}**;
- on the {r["zone_photos"]} photographs with boxed lesions in two or more visible zones, the
  zone with the most counted lesions holds the most boxed ones in
  **{_f(r["zone_named_first_holds_most"])}** of them (box centres in the crop; the shop's end to
  end figure is `bench/bench_zones.py`'s)."""


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
        ],
    )
