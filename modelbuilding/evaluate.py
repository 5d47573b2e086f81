"""Evaluation: MAE, RMSE, exact and within-1 accuracy, recall per grade, expected calibration
error, the same per skin-tone group, a confusion matrix (PNG) and a JSON report.

The metric functions take plain numpy arrays so they can be checked on hand-made numbers."""

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader

from diagnosis.ml.checkpoint import load_checkpoint, scale_of, shipped_checkpoint
from diagnosis.ml.contract import InputContract
from diagnosis.ml.model import DECISION_RULES, SkinNet
from diagnosis.ml.model import grades_by_rule as model_rules

from .data import open_dataset

# ---------------------------------------------------------------- metrics on arrays


def mae(pred: np.ndarray, true: np.ndarray) -> float:
    return (
        float(np.mean(np.abs(np.asarray(pred, float) - np.asarray(true, float))))
        if len(true)
        else math.nan
    )


def rmse(pred: np.ndarray, true: np.ndarray) -> float:
    diff = np.asarray(pred, float) - np.asarray(true, float)
    return float(np.sqrt(np.mean(diff**2))) if len(true) else math.nan


def accuracy(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.mean(np.asarray(pred) == np.asarray(true))) if len(true) else math.nan


def within1(pred: np.ndarray, true: np.ndarray) -> float:
    diff = np.abs(np.asarray(pred, int) - np.asarray(true, int))
    return float(np.mean(diff <= 1)) if len(true) else math.nan


def confusion_matrix(pred: np.ndarray, true: np.ndarray, num_grades: int) -> np.ndarray:
    """Rows: true grade; columns: predicted grade."""
    cm = np.zeros((num_grades, num_grades), dtype=np.int64)
    np.add.at(cm, (np.asarray(true, int), np.asarray(pred, int)), 1)
    return cm


def per_grade_recall(pred: np.ndarray, true: np.ndarray, num_grades: int) -> list[float | None]:
    """Recall of each grade; None for a grade absent from ``true``."""
    cm = confusion_matrix(pred, true, num_grades)
    support = cm.sum(axis=1)
    return [float(cm[g, g] / support[g]) if support[g] else None for g in range(num_grades)]


def expected_calibration_error(probs: np.ndarray, true: np.ndarray, n_bins: int = 10) -> float:
    """ECE of the classifier: |accuracy - confidence| per confidence bin, weighted by bin size.

    Confidence is the top softmax probability; a sample is correct when its argmax is the grade.
    """
    probs = np.asarray(probs, float)
    if len(probs) == 0:
        return math.nan
    confidence = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == np.asarray(true)).astype(float)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Bins are (lo, hi]; a confidence of exactly 0 cannot happen with a softmax.
    bins = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        in_bin = bins == b
        if in_bin.any():
            ece += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(ece)


def grades_by_rule(regression: np.ndarray, probs: np.ndarray, rule: str) -> np.ndarray:
    """The worker's rule (model.grades_by_rule) on predictions already collected."""
    probs = np.asarray(probs)
    grades = model_rules(
        torch.from_numpy(np.asarray(regression)), torch.from_numpy(probs), rule, probs.shape[1]
    )
    return grades.numpy().astype(int)


def choose_rule(
    regression: np.ndarray, probs: np.ndarray, true: np.ndarray
) -> tuple[str, dict[str, float]]:
    """The rule with the lowest MAE (ties: the first in DECISION_RULES), and every rule's MAE."""
    maes = {rule: mae(grades_by_rule(regression, probs, rule), true) for rule in DECISION_RULES}
    best = min(DECISION_RULES, key=lambda r: (maes[r], DECISION_RULES.index(r)))
    return best, maes


def summary(
    pred: np.ndarray, true: np.ndarray, probs: np.ndarray, num_grades: int
) -> dict[str, Any]:
    return {
        "n": int(len(true)),
        "mae": mae(pred, true),
        "rmse": rmse(pred, true),
        "accuracy": accuracy(pred, true),
        "within1": within1(pred, true),
        "ece": expected_calibration_error(probs, true),
        "per_grade_recall": per_grade_recall(pred, true, num_grades),
    }


def full_report(
    *,
    regression: np.ndarray,
    probs: np.ndarray,
    true: np.ndarray,
    rule: str,
    groups: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Overall metrics with ``rule``, the MAE of all three rules, and metrics per group."""
    num_grades = probs.shape[1]
    pred = grades_by_rule(regression, probs, rule)
    report = summary(pred, true, probs, num_grades)
    report["rule"] = rule
    report["rules"] = {r: mae(grades_by_rule(regression, probs, r), true) for r in DECISION_RULES}
    report["confusion"] = confusion_matrix(pred, true, num_grades).tolist()
    per_group: dict[str, Any] = {}
    if groups is not None:
        groups = np.asarray(groups)
        hits = pred == true
        for group in sorted({g for g in groups if g}):
            sel = groups == group
            per_group[group] = summary(pred[sel], true[sel], probs[sel], num_grades)
            # How far this group falls below everyone else pooled (the fairness target's reading);
            # the max-min gap below is the stricter figure.
            rest = hits[(groups != group) & (groups != "")]
            if len(rest):
                per_group[group]["below_rest"] = float(rest.mean() - hits[sel].mean())
        accs = [m["accuracy"] for m in per_group.values()]
        if accs:
            report["group_accuracy_gap"] = float(max(accs) - min(accs))
        shortfalls = [m["below_rest"] for m in per_group.values() if "below_rest" in m]
        if shortfalls:
            report["group_largest_shortfall"] = float(max(shortfalls))
    report["per_group"] = per_group
    return report


# ---------------------------------------------------------------- running a model


@torch.no_grad()
def predict_dataset(model: SkinNet, dataset, *, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Regression outputs, class probabilities and true grades of a whole data set."""
    model.eval()
    regression, probs, grades = [], [], []
    for x, targets in DataLoader(dataset, batch_size=batch_size, shuffle=False):
        out = model(x)
        regression.append(out["regression"].float().numpy())
        probs.append(torch.softmax(out["logits"].float(), dim=1).numpy())
        grades.append(targets["grade"].numpy())
    num_grades = model.num_grades
    if not regression:
        return {
            "regression": np.zeros(0),
            "probs": np.zeros((0, num_grades)),
            "grades": np.zeros(0, int),
        }
    return {
        "regression": np.concatenate(regression),
        "probs": np.concatenate(probs),
        "grades": np.concatenate(grades),
    }


def save_confusion_png(
    cm: np.ndarray | list, labels: Sequence[str], path: str | Path, title: str = ""
) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(cm, cmap="Blues")
    ticks = [f"{i}\n{label}" for i, label in enumerate(labels)]
    ax.set_xticks(range(len(labels)), ticks, fontsize=7)
    ax.set_yticks(
        range(len(labels)), [f"{i} {label}" for i, label in enumerate(labels)], fontsize=7
    )
    ax.set_xlabel("predicted grade")
    ax.set_ylabel("true grade")
    peak = cm.max() if cm.size else 0
    for (i, j), v in np.ndenumerate(cm):
        ax.text(j, i, str(v), ha="center", va="center", color="white" if v > peak / 2 else "black")
    ax.set_title(title or "confusion matrix")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def evaluate_checkpoint(
    data: str | Path,
    *,
    checkpoint: str | Path | None = None,
    images: str | Path | None = None,
    rule: str | None = None,
    group_column: str = "ethnicity",
    batch_size: int = 64,
    progress: bool = False,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Evaluate a checkpoint (default: the default shipped model) on a manifest or ACNE04 split.

    Returns (report, meta). Images without a usable face count as failures.
    """

    model, meta = load_checkpoint(checkpoint or shipped_checkpoint())
    dataset = open_dataset(
        data,
        images=images,
        contract=InputContract.of(meta),
        aux_vocab=meta["aux_heads"],
        progress=progress,
    )
    out = predict_dataset(model, dataset, batch_size=batch_size)
    groups = [dataset.group_of(i, group_column) for i in range(len(dataset))]
    report = full_report(
        regression=out["regression"],
        probs=out["probs"],
        true=out["grades"],
        rule=rule or meta["decision_rule"],
        groups=groups,
    )
    total = len(dataset) + len(dataset.failures)
    report["failures"] = len(dataset.failures)
    report["failure_rate"] = len(dataset.failures) / total if total else 0.0
    report["failure_reasons"] = dataset.failure_summary()
    report["scale"] = scale_of(meta).to_dict()
    report["model"] = {"name": meta.get("name"), "version": meta.get("version")}
    return report, meta


def _fmt(value: Any) -> str:
    return (
        "n/a"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.3f}"
    )


def format_report(report: dict[str, Any]) -> str:
    lines = [
        f"n={report['n']} (failures: {report.get('failures', 0)})  rule={report['rule']}",
        f"MAE {_fmt(report['mae'])}  RMSE {_fmt(report['rmse'])}  "
        f"accuracy {_fmt(report['accuracy'])}  "
        f"within-1 {_fmt(report['within1'])}  ECE {_fmt(report['ece'])}",
        "MAE by rule: " + ", ".join(f"{r} {_fmt(v)}" for r, v in report["rules"].items()),
        "recall per grade: " + ", ".join(_fmt(v) for v in report["per_grade_recall"]),
    ]
    for group, m in report.get("per_group", {}).items():
        lines.append(
            f"  group {group}: n={m['n']} accuracy {_fmt(m['accuracy'])} MAE {_fmt(m['mae'])}"
        )
    return "\n".join(lines)


def _handle(args: argparse.Namespace) -> int:
    torch.set_num_threads(args.threads)
    try:
        report, meta = evaluate_checkpoint(
            args.data,
            checkpoint=args.checkpoint,
            images=args.images,
            rule=args.rule,
            group_column=args.group_column,
            progress=not args.json,
        )
    except ValueError as exc:  # a malformed manifest or split file: say where, on one line
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.confusion:
        labels = meta["scale"]["labels"]
        save_confusion_png(
            report["confusion"], labels, args.confusion, title=f"{Path(args.data).name}"
        )
    if args.report:
        Path(args.report).parent.mkdir(parents=True, exist_ok=True)
        Path(args.report).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if report["n"] == 0:
        print(
            f"error: no image with a usable face in {args.data} ({report['failure_reasons']})",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        print(format_report(report))
    return 0


def add_cli(subparsers) -> None:
    p = subparsers.add_parser("evaluate", help="evaluate a checkpoint on a labelled data set")
    p.add_argument(
        "--data",
        required=True,
        help="CSV manifest (path,grade[,gender][,ethnicity]) or ACNE04 split file",
    )
    p.add_argument("--images", help="image folder: read --data as an ACNE04 split file")
    p.add_argument("--checkpoint", help="checkpoint (default: the shipped demo model)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--rule", choices=DECISION_RULES, help="decision rule (default: the checkpoint's)"
    )
    p.add_argument(
        "--group-column", default="ethnicity", help="manifest column for per-group metrics"
    )
    p.add_argument("--confusion", help="write the confusion matrix as a PNG here")
    p.add_argument("--report", help="also write the JSON report to this file")
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=_handle)
