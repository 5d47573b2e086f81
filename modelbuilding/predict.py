"""``predict`` and ``explain``: grade one selfie from the command line, as the worker would
(diagnosis.ml.inference.Analyzer), and write its heatmap."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from diagnosis.ml import explain as xai
from diagnosis.ml.inference import DEFAULT_ALPHA, AnalysisResult, Analyzer


def _print_result(result: AnalysisResult, payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(payload, indent=2))
        return
    probs = ", ".join(f"{p:.2f}" for p in result.probabilities)
    print(
        f"grade {result.grade} ({result.label}), score {result.score:.2f}; probabilities [{probs}]"
    )
    print(f"view {result.view}, confidence {result.confidence:.2f}")
    if not result.reliable:
        print(f"not reliable: {result.abstain['message']}")
    for note in result.notes:
        print(f"note: {note}")
    if "heatmap" in payload and "path" in payload["heatmap"]:
        print(f"heatmap written to {payload['heatmap']['path']}")


def _predict(args: argparse.Namespace) -> int:
    analyzer = Analyzer.load(args.checkpoint)
    result = analyzer.analyze(args.image, explain=False)
    payload = result.to_dict()
    _print_result(result, payload, args.json)
    return 0


def _explain(args: argparse.Namespace) -> int:
    analyzer = Analyzer.load(args.checkpoint)
    try:
        result = analyzer.analyze(
            args.image,
            explain=True,
            k=args.k,
            threshold=args.threshold,
            seed=args.seed,
            target_layer=args.target_layer,
            alpha=args.alpha,
        )
    except ValueError as exc:  # an option that does not fit this model, e.g. --target-layer
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = xai.save_png(result.overlay, args.out)
    payload = result.to_dict()
    payload["heatmap"] = {"path": str(out), **payload["heatmap"]}
    payload["heatmap"]["k"] = args.k
    payload["heatmap"]["threshold"] = (
        analyzer.heatmap_threshold if args.threshold is None else args.threshold
    )
    payload["heatmap"]["target_layer"] = args.target_layer or analyzer.target_layer
    _print_result(result, payload, args.json)
    return 0


def _k_arg(text: str) -> int:
    try:
        return xai.check_k(int(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _threshold_arg(text: str) -> float:
    try:
        return xai.check_threshold(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("image", help="a selfie (JPEG, PNG, ...)")
    common.add_argument("--checkpoint", help="a checkpoint file (default: the shipped demo model)")
    common.add_argument("--json", action="store_true", help="print the result as JSON")

    p = subparsers.add_parser("predict", parents=[common], help="grade the acne on a selfie")
    p.set_defaults(func=_predict)

    e = subparsers.add_parser(
        "explain",
        parents=[common],
        help="grade a selfie and write a k-augmentation Grad-CAM heatmap",
    )
    e.add_argument(
        "--k",
        type=_k_arg,
        default=xai.DEFAULT_K,
        help=f"augmented copies, {xai.K_MIN}-{xai.K_MAX} (1: plain Grad-CAM); "
        f"default {xai.DEFAULT_K}",
    )
    e.add_argument(
        "--out", required=True, help="the PNG to write (heatmap over the normalized face)"
    )
    e.add_argument(
        "--threshold",
        type=_threshold_arg,
        default=None,
        help="drop heatmap values below this, in [0, 1); default: the checkpoint's "
        f"(heatmap_threshold; {xai.DEFAULT_THRESHOLD} if it has none)",
    )
    e.add_argument("--seed", type=int, default=0, help="seed of the random augmentations")
    e.add_argument(
        "--target-layer",
        default=None,
        help="Grad-CAM layer, e.g. encoder.layer3 (default: the checkpoint's)",
    )
    e.add_argument("--alpha", type=float, default=DEFAULT_ALPHA, help="heatmap opacity, 0-1")
    e.set_defaults(func=_explain)
