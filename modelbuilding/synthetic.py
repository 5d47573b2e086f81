"""``build-synthetic --out DIR``: the shipped synthetic model, rebuilt from the generator with
fixed seeds — generate, train, evaluate on held-out seeds and on a generator style never seen in
training, then write DIR/synthetic.pt and DIR/SYNTHETIC_MODEL_CARD.md and print the figures."""

import argparse
import json
import string
import time
from pathlib import Path
from typing import Any

import torch

from diagnosis.ml.checkpoint import load_checkpoint, save_checkpoint
from diagnosis.ml.scale import GEA

from .data import ManifestDataset
from .evaluate import evaluate_checkpoint, format_report, save_confusion_png
from .faithfulness import calibrate_threshold, lesion_faces
from .generated import (
    CALIBRATION_N,
    CALIBRATION_SEED,
    HELDOUT_SEED,
    SHIFTED_SEED,
    TRAIN_SEED,
    generate_set,
)
from .train import TrainConfig, save_curves_png, train_model

# The released model's name, which every diagnosis it graded records: kept as it was.
SYNTHETIC_NAME = "skinshop-demo"
SYNTHETIC_VERSION = "1"


def _held_out_sets(args: argparse.Namespace, log) -> dict[str, tuple[Path, dict[str, Any]]]:
    """The two held-out sets (generated once, then reused): manifest and generator settings."""
    sets = {
        "heldout": {"n": args.n_test, "seed": HELDOUT_SEED, "style": "default"},
        "shifted": {"n": args.n_test, "seed": SHIFTED_SEED, "style": args.shifted_style},
    }
    work = Path(args.work)
    return {
        key: (generate_set(work / key, g["n"], g["seed"], g["style"], args.synth_size, log), g)
        for key, g in sets.items()
    }


def build_synthetic(args: argparse.Namespace, log=print) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    if args.evaluate_only:
        return evaluate_synthetic(out / "synthetic.pt", _held_out_sets(args, log), log=log)
    config = TrainConfig(
        arch=args.arch,
        input_size=args.input_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        patience=args.patience,
        max_minutes=args.max_minutes,
        threads=args.threads,
    )
    t0 = time.monotonic()
    train_manifest = generate_set(
        Path(args.work) / "train", args.n_train, TRAIN_SEED, "default", args.synth_size, log
    )
    held_out = _held_out_sets(args, log)
    t_gen = time.monotonic() - t0

    t1 = time.monotonic()
    dataset = ManifestDataset(
        train_manifest, size=config.input_size, margin=config.face_margin, progress=True
    )
    log(
        f"normalized {len(dataset)} training faces in {time.monotonic() - t1:.0f}s; "
        f"skipped {len(dataset.failures)} without a usable face ({dataset.failure_summary()})"
    )
    t2 = time.monotonic()
    result = train_model(dataset, config, scale=GEA, quiet=args.quiet, log=log)
    t_train = time.monotonic() - t2
    result.meta.update(name=SYNTHETIC_NAME, version=SYNTHETIC_VERSION)
    result.meta["training"]["generator"] = {
        "train": {"n": args.n_train, "seed": TRAIN_SEED, "style": "default"}
    }
    result.meta["training"]["timings_s"] = {
        "generate": round(t_gen, 1),
        "normalize_faces": round(t2 - t1, 1),
        "train": round(t_train, 1),
    }
    checkpoint = out / "synthetic.pt"
    save_checkpoint(checkpoint, result.model, result.meta, half=True)
    save_curves_png(result.history, out / "synthetic.curves.png")
    meta = evaluate_synthetic(checkpoint, held_out, log=log)
    log(f"total {time.monotonic() - t0:.0f}s (generation {t_gen:.0f}s, training {t_train:.0f}s)")
    return meta


def evaluate_synthetic(
    checkpoint: Path, held_out: dict[str, tuple[Path, dict[str, Any]]], log=print
) -> dict[str, Any]:
    """Evaluates what ships (the float16 weights read back, through the same path as
    `evaluate`) on the held-out sets, stores the figures in the checkpoint and writes the
    confusion matrices and MODEL_CARD.md beside it."""
    out = checkpoint.parent
    reports = {}
    for key, (manifest, _) in held_out.items():
        report, _ = evaluate_checkpoint(manifest, checkpoint=checkpoint)
        reports[key] = report
        save_confusion_png(
            report["confusion"], GEA.labels, out / f"synthetic.confusion.{key}.png", title=key
        )
        log(f"--- held-out {key} ({manifest.parent.name}) ---\n{format_report(report)}")
    model, meta = load_checkpoint(checkpoint)
    faces, _ = lesion_faces(
        CALIBRATION_N,
        CALIBRATION_SEED,
        size=int(meta["input_size"]),
        margin=float(meta["face_margin"]),
    )
    threshold, candidates = calibrate_threshold(model, meta, faces)
    meta["heatmap_threshold"] = threshold
    meta["heatmap_calibration"] = {
        "seed": CALIBRATION_SEED,
        "n": len(faces),
        "candidates": {str(t): figures for t, figures in candidates.items()},
    }
    log(f"heatmap threshold {threshold} (best F1 on {len(faces)} calibration selfies)")
    meta["metrics"].update(
        {k: {m: v for m, v in r.items() if m != "confusion"} for k, r in reports.items()}
    )
    meta["training"].setdefault("generator", {}).update({k: g for k, (_, g) in held_out.items()})
    save_checkpoint(checkpoint, model, meta, half=True)
    card = out / "SYNTHETIC_MODEL_CARD.md"
    size_mb = checkpoint.stat().st_size / 1e6
    card.write_text(synthetic_card(meta, reports, checkpoint_mb=size_mb), encoding="utf-8")
    summary = {
        k: {m: reports[k][m] for m in ("n", "mae", "accuracy", "within1", "ece")}
        | {m: reports[k].get(m) for m in ("group_accuracy_gap", "group_largest_shortfall")}
        for k in reports
    }
    log(f"wrote {checkpoint} ({checkpoint.stat().st_size / 1e6:.1f} MB) and {card}")
    log(json.dumps(summary))
    return meta


def _calibration_n(meta: dict[str, Any]) -> str:
    return str(meta.get("heatmap_calibration", {}).get("n", "n/a"))


def _calibration_table(meta: dict[str, Any]) -> str:
    rows = [
        "| threshold | share of the face kept | lesions kept (recall) | precision | F1 |",
        "|---|---|---|---|---|",
    ]
    chosen = meta.get("heatmap_threshold")
    for t, m in meta.get("heatmap_calibration", {}).get("candidates", {}).items():
        mark = "**" if float(t) == chosen else ""
        rows.append(
            f"| {mark}{t}{mark} | {_pct(m['coverage'])} | {_pct(m['recall'])} | "
            f"{_pct(m['precision'])} | {mark}{_pct(m['f1'])}{mark} |"
        )
    return "\n".join(rows)


def _secs(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.0f} s"


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _metrics_table(reports: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| set | n | failures | MAE | RMSE | accuracy | within-1 | ECE |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for key, r in reports.items():
        rows.append(
            f"| {key} | {r['n']} | {r.get('failures', 0)} | {_pct(r['mae'])} | {_pct(r['rmse'])} | "
            f"{_pct(r['accuracy'])} | {_pct(r['within1'])} | {_pct(r['ece'])} |"
        )
    return "\n".join(rows)


def _recall_table(reports: dict[str, dict[str, Any]]) -> str:
    head = "| set | " + " | ".join(f"{g} {label}" for g, label in enumerate(GEA.labels)) + " |"
    rows = [head, "|---" * (GEA.num_grades + 1) + "|"]
    for key, r in reports.items():
        rows.append(f"| {key} | " + " | ".join(_pct(v) for v in r["per_grade_recall"]) + " |")
    return "\n".join(rows)


def _group_table(reports: dict[str, dict[str, Any]]) -> str:
    rows = [
        "| set | skin-tone group | n | accuracy | below the other groups | MAE | within-1 |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, r in reports.items():
        for group, m in r.get("per_group", {}).items():
            rows.append(
                f"| {key} | {group} | {m['n']} | {_pct(m['accuracy'])} | "
                f"{_pct(m.get('below_rest'))} | {_pct(m['mae'])} | {_pct(m['within1'])} |"
            )
        rows.append(
            f"| {key} | best minus worst group | | {_pct(r.get('group_accuracy_gap'))} | "
            f"largest: {_pct(r.get('group_largest_shortfall'))} | | |"
        )
    return "\n".join(rows)


def _minutes(timings: dict[str, float]) -> str:
    parts = [timings.get(k) for k in ("generate", "normalize_faces", "train")]
    return "n/a" if None in parts else f"{sum(parts) / 60:.0f}"


def _sizes(reports: dict[str, dict[str, Any]]) -> list[int]:
    return [m["n"] for r in reports.values() for m in r.get("per_group", {}).values()]


def _group_sizes(reports: dict[str, dict[str, Any]]) -> str:
    sizes = _sizes(reports) or [0]
    return f"{min(sizes)}" if min(sizes) == max(sizes) else f"{min(sizes)}–{max(sizes)}"


def _ci95(reports: dict[str, dict[str, Any]]) -> float:
    """Half-width of a normal 95 % interval for the smallest group at the held-out accuracy."""
    n, p = min(_sizes(reports), default=0), next(iter(reports.values()))["accuracy"]
    return 1.96 * (p * (1 - p) / n) ** 0.5 if n else float("nan")


def _weakest_grades(reports: dict[str, dict[str, Any]]) -> str:
    parts = []
    for key, r in reports.items():
        recall = r["per_grade_recall"]
        present = [g for g, v in enumerate(recall) if v is not None]
        if not present:
            continue
        grade = min(present, key=lambda g: recall[g])
        parts.append(f"{key}: {grade} {GEA.labels[grade]} ({recall[grade]:.2f})")
    return "; ".join(parts)


# The card's text, with ${name} placeholders that _card_values fills.
CARD_TEMPLATE = Path(__file__).parent / "cards" / "synthetic.md"
# Shown as the checkpoint's metadata (and its "training" part) hold them.
_CARD_META_KEYS = (
    "name version data_hash arch face_margin input_size mean std target_layer decision_rule"
).split()
_CARD_TRAINING_KEYS = (
    "train_images val_images skipped_no_face dropout lambda_mse lambda_ce lambda_aux lr "
    "weight_decay batch_size epochs patience threads"
).split()


def synthetic_card(
    meta: dict[str, Any], reports: dict[str, dict[str, Any]], *, checkpoint_mb: float = 0.0
) -> str:
    """SYNTHETIC_MODEL_CARD.md: the checkpoint's metadata and the held-out ``reports``."""
    template = string.Template(CARD_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(_card_values(meta, reports, checkpoint_mb))


def _card_values(
    meta: dict[str, Any], reports: dict[str, dict[str, Any]], checkpoint_mb: float
) -> dict[str, Any]:
    t = meta["training"]
    gen, timings = t["generator"], t.get("timings_s", {})
    return {
        **{k: meta[k] for k in _CARD_META_KEYS},
        **{k: t[k] for k in _CARD_TRAINING_KEYS},
        **{
            f"{s}_{f}": gen[s][f]
            for s in ("train", "heldout", "shifted")
            for f in ("n", "seed", "style")
        },
        "val_fraction": f"{t['val_fraction']:.0%}",
        "train_seconds": f"{t['seconds']:.0f}",
        "n_grades": len(meta["scale"]["labels"]),
        "grade_labels": ", ".join(meta["scale"]["labels"]),
        "aux_heads": ", ".join(f"`{k}` ({len(v)} classes)" for k, v in meta["aux_heads"].items())
        or "none",
        "heatmap_threshold": meta.get("heatmap_threshold", "n/a"),
        "best_epoch": meta["metrics"]["best_epoch"],
        "generate_time": _secs(timings.get("generate")),
        "normalize_time": _secs(timings.get("normalize_faces")),
        "build_minutes": _minutes(timings),
        "checkpoint_mb": f"{checkpoint_mb:.1f}",
        "calibration_n": _calibration_n(meta),
        "calibration_seed": meta.get("heatmap_calibration", {}).get("seed", "n/a"),
        "calibration_table": _calibration_table(meta),
        "rule_rows": _rule_rows(meta, reports),
        "metrics_table": _metrics_table(reports),
        "recall_table": _recall_table(reports),
        "group_table": _group_table(reports),
        "group_sizes": _group_sizes(reports),
        "ci95": f"{_ci95(reports):.2f}",
        "weakest_grades": _weakest_grades(reports),
    }


def _rule_rows(meta: dict[str, Any], reports: dict[str, dict[str, Any]]) -> str:
    """MAE of each decision rule on each held-out set and on validation."""
    rules = {k: r["rules"] for k, r in reports.items()} | {
        "validation": meta["metrics"]["validation"]["rules"]
    }
    return "\n".join(
        f"| {k} | " + " | ".join(_pct(v[r]) for r in ("round", "argmax", "expectation")) + " |"
        for k, v in rules.items()
    )


def _handle(args: argparse.Namespace) -> int:
    build_synthetic(args)
    return 0


def add_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "build-synthetic",
        aliases=["build-demo"],  # its former name
        help="rebuild the shipped synthetic model from synthetic data",
    )
    p.add_argument("--out", required=True, help="folder for synthetic.pt and its card")
    p.add_argument("--work", default="var/synthetic-data", help="folder for the generated images")
    p.add_argument("--n-train", type=int, default=4000)
    p.add_argument("--n-test", type=int, default=600, help="images in each held-out set")
    p.add_argument("--synth-size", type=int, default=384, help="side of the generated selfies")
    p.add_argument("--shifted-style", default="shifted", help="held-out generator style")
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--input-size", type=int, default=128)
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--patience", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--max-minutes", type=float, help="stop after the epoch that crosses this time budget"
    )
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quiet", action="store_true")
    p.add_argument(
        "--evaluate-only",
        action="store_true",
        help="no training: evaluate OUT/synthetic.pt again and rewrite its card",
    )
    p.set_defaults(func=_handle)
