"""What a larger encoder costs the worker: EfficientNet-Lite0, -Lite1 and -Lite2 at the shop's
input size, each held as the worker holds a model (eval, batch norms folded, channels last):
multiply-accumulates, the grading forward of one photo and its Grad-CAM (k copies through the
layer each variant is explained at, the end of its stage 5), per image, with ratios to Lite0.
The variants run in interleaved rounds in one process, so a load that changes during the run
moves them alike; the medians are printed.

    .venv/bin/python bench/bench_encoders.py [--rounds 5] [--k 10] [--threads 2]

No target: the figures decide whether a larger encoder could ship as it is, or only distilled
into Lite0's size. ``--smoke``: one round at 64 pixels, k=2.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import smoke  # noqa: E402
from diagnosis.ml import explain as xai  # noqa: E402
from diagnosis.ml.contract import INPUT_SIZE  # noqa: E402
from diagnosis.ml.encoders import EFFICIENTNETS, LITE_VARIANTS, fold_batchnorm  # noqa: E402
from diagnosis.ml.model import SkinNet  # noqa: E402
from modelbuilding.build import LITE_GRADCAM_STAGE  # noqa: E402

FORWARDS = 5  # grading forwards a round times (one is short against the clock's noise)


def macs(model: nn.Module, x: torch.Tensor) -> int:
    """Multiply-accumulates of the convolutions and linear layers of one forward of ``x``."""
    total = [0]

    def count(module, _inputs, out):
        weight = module.weight
        per_output = weight[0].numel() if isinstance(module, nn.Conv2d) else weight.shape[1]
        total[0] += out.numel() * per_output

    handles = [
        m.register_forward_hook(count)
        for m in model.modules()
        if isinstance(m, nn.Conv2d | nn.Linear)
    ]
    with torch.inference_mode():
        model(x)
    for handle in handles:
        handle.remove()
    return total[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--k", type=int, default=xai.DEFAULT_K, help="Grad-CAM copies")
    parser.add_argument("--size", type=int, default=INPUT_SIZE)
    parser.add_argument("--threads", type=int, default=2)
    smoke.add_argument(parser)
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.k, args.size = 1, 2, 64
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = {
        arch: fold_batchnorm(SkinNet(arch=arch, num_grades=6).eval()).to(
            memory_format=torch.channels_last
        )
        for arch in EFFICIENTNETS
    }
    layers = {arch: LITE_VARIANTS[arch].last_block(LITE_GRADCAM_STAGE) for arch in models}
    x = torch.randn(1, 3, args.size, args.size).contiguous(memory_format=torch.channels_last)
    forward = {arch: [] for arch in models}
    gradcam = {arch: [] for arch in models}

    def run(arch: str) -> None:
        started = time.perf_counter()
        with torch.inference_mode():
            for _ in range(FORWARDS):
                models[arch](x)
        forward[arch].append((time.perf_counter() - started) / FORWARDS)
        started = time.perf_counter()
        xai.explain_maps(models[arch], x, k=args.k, target=layers[arch])
        gradcam[arch].append(time.perf_counter() - started)

    for arch in models:  # warm-up
        run(arch)
        forward[arch].clear()
        gradcam[arch].clear()
    for _ in range(args.rounds):
        for arch in models:
            run(arch)
    print(
        f"{args.size}px, {args.threads} threads, k={args.k}, median of {args.rounds} rounds; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'encoder':20}{'params':>9}{'GMACs':>8}{'forward ms':>12}{'Grad-CAM ms':>13}  layer")
    base = EFFICIENTNETS[0]
    ref = {}
    for arch, model in models.items():
        row = (
            sum(p.numel() for p in model.encoder.parameters()) / 1e6,
            macs(model, x) / 1e9,
            statistics.median(forward[arch]) * 1e3,
            statistics.median(gradcam[arch]) * 1e3,
        )
        ref.setdefault(base, row)
        ratios = "  ".join(f"{v / r:.2f}x" for v, r in zip(row[1:], ref[base][1:], strict=True))
        print(
            f"{arch:20}{row[0]:>8.2f}M{row[1]:>8.3f}{row[2]:>12.0f}{row[3]:>13.0f}  "
            f"{layers[arch]}  ({ratios} of {base})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
