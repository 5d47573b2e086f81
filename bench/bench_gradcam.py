"""Benchmark of the k-augmentation Grad-CAM (diagnosis.ml.explain). Prints three tables:

1. Agreement: our k=1 map vs pytorch-grad-cam's GradCAM on the same model, weights, layer,
   input and target (the regression output), before any threshold: Pearson r (target >= 0.99).
2. Speed, in one run: our k=10 explanation / one batched forward of the same 10 images (target
   <= 1.3); time per augmentation, ours vs pytorch-grad-cam with aug_smooth=True (target: ours
   >= 3x faster); end-to-end `explain` latency with k=10 on the default model (target <= 1 s).
   Medians of several runs after a warm-up.
3. Faithfulness on held-out synthetic selfies (a seed the demo never saw) against the generator's
   lesion masks warped into the normalized-face frame: pointing game and share of heatmap energy
   inside the (dilated) mask, for k=1 and k=10 and each candidate target layer.

Run: .venv/bin/python bench/bench_gradcam.py [--checkpoint C] [--n 60] [--json OUT]
By default it measures what ships: the shipped model as the worker holds it (Analyzer: batch
norms folded, channels-last) and the target layer its checkpoint names (``--layers`` adds
others to tables 1 and 3). (``--smoke``: 4 selfies, the first layer, one repeat and two rounds.)
Not a test: it prints figures; the targets are marked ok / MISS.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import smoke  # noqa: E402
from diagnosis.ml import checkpoint as ckpt  # noqa: E402
from diagnosis.ml import explain as xai  # noqa: E402
from diagnosis.ml.contract import to_tensor  # noqa: E402
from diagnosis.ml.errors import AnalysisError  # noqa: E402
from diagnosis.ml.scale import GEA  # noqa: E402
from modelbuilding import faithfulness as faith  # noqa: E402

# The demo uses seeds 1001 (train), 2002 (held-out) and 3003 (shifted style): this one is new.
FAITHFULNESS_SEED = 4004


def median_time(fn: Callable[[], object], repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_times(
    fns: dict[str, Callable[[], object]], repeats: int, warmup: int = 2
) -> dict[str, list[float]]:
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def encoded(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=90)
    return buffer.getvalue()


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a.ravel().astype(np.float64) - a.mean()
    b = b.ravel().astype(np.float64) - b.mean()
    return float((a @ b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12))


def _quartiles(values: list[float]) -> str:
    """The spread of per-round ratios: how much the machine's noise moves the median."""
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"{q1:.2f}-{q3:.2f}"


def ok(flag: bool) -> str:
    return "ok" if flag else "MISS"


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in row] for row in [headers, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class RegressionOnly(nn.Module):
    """SkinNet's regression output as a (B, 1) tensor: the form pytorch-grad-cam expects."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)["regression"].unsqueeze(1)


def load_model(path: str | None) -> tuple[nn.Module, dict, str]:
    """The model as the worker runs it (the Analyzer's), its metadata and where it came from."""
    from diagnosis.ml.inference import Analyzer

    target = Path(path) if path else ckpt.shipped_checkpoint()
    if target.is_file():
        analyzer = Analyzer.load(target)
        return analyzer.model, analyzer.meta, str(target)
    if path:
        raise SystemExit(f"checkpoint not found: {target}")
    from diagnosis.ml.model import SkinNet

    torch.manual_seed(0)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades).eval()
    meta = {**ckpt.DEFAULT_META, "scale": GEA.to_dict()}
    return model, meta, "UNTRAINED resnet18 (no demo checkpoint yet: faithfulness is meaningless)"


def agreement(
    model: nn.Module, inputs: list[torch.Tensor], layers: tuple[str, ...]
) -> list[list[object]]:
    """Pearson r per layer over several inputs. A pair of maps that are both flat (ReLU left
    nothing: the layer sees no evidence of a higher severity) has no correlation to measure;
    it is counted apart, as agreeing exactly when the two maps are equal."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    rows = []
    wrapped = RegressionOnly(model).eval()
    for layer in layers:
        rs, diffs, flat = [], [], 0
        with GradCAM(model=wrapped, target_layers=[model.get_layer(layer)]) as cam:
            for x in inputs:
                ours = xai.explain_maps(model, x, k=1, target=layer)[0].numpy()
                theirs = cam(input_tensor=x, targets=[ClassifierOutputTarget(0)])[0]
                diffs.append(float(np.abs(ours - theirs).max()))
                if ours.std() < 1e-6 and theirs.std() < 1e-6:
                    flat += 1
                else:
                    rs.append(pearson(ours, theirs))
        r = min(rs) if rs else float("nan")
        rows.append(
            [layer, f"{r:.4f}", len(rs), flat, f"{max(diffs):.4f}", ok(bool(rs) and r >= 0.99)]
        )
    model.zero_grad(set_to_none=True)  # pytorch-grad-cam's backward fills weight grads
    return rows


def speed(
    model: nn.Module,
    x: torch.Tensor,
    layer: str,
    repeats: int,
    rounds: int,
    selfie,
    checkpoint: str | None,
) -> tuple[list[list[object]], dict[str, float]]:
    k = xai.DEFAULT_K
    rows, figures = _explain_speed(model, x, layer, rounds)
    if selfie is not None:
        e2e_rows, e2e_figures = _end_to_end_speed(selfie, checkpoint, k, repeats)
        rows += e2e_rows
        figures.update(e2e_figures)
    else:
        rows.append(["end-to-end explain: needs a checkpoint, face and synth", "n/a", "", ""])
    return rows, figures


def _explain_speed(
    model: nn.Module, x: torch.Tensor, layer: str, rounds: int
) -> tuple[list[list[object]], dict[str, float]]:
    """Our k=10 explanation against one batched forward and against pytorch-grad-cam's
    aug_smooth, per augmentation."""
    from pytorch_grad_cam import GradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    k = xai.DEFAULT_K
    batch = x.expand(k, -1, -1, -1).contiguous()
    wrapped = RegressionOnly(model).eval()

    def forward_only() -> None:
        with torch.inference_mode():
            model(batch)

    with GradCAM(model=wrapped, target_layers=[model.get_layer(layer)]) as cam:
        n_aug = len(cam.tta_transforms)
        # Round-robin, so a burst of load from another process hits all three alike; the
        # ratios are medians of per-round ratios.
        t = interleaved_times(
            {
                "forward": forward_only,
                "ours": lambda: xai.explain(model, x, k=k, target=layer),
                "theirs": lambda: cam(
                    input_tensor=x, targets=[ClassifierOutputTarget(0)], aug_smooth=True
                ),
            },
            rounds,
        )
    model.zero_grad(set_to_none=True)
    t_forward, t_ours, t_theirs = (statistics.median(t[n]) for n in ("forward", "ours", "theirs"))
    ratios = [o / f for o, f in zip(t["ours"], t["forward"], strict=True)]
    ratio = statistics.median(ratios)
    speedup = statistics.median(
        (th / n_aug) / (o / k) for th, o in zip(t["theirs"], t["ours"], strict=True)
    )
    per_ours, per_theirs = t_ours / k, t_theirs / n_aug
    figures = {
        "forward_batch_s": t_forward,
        "explain_k10_s": t_ours,
        "ratio_explain_to_forward": ratio,
        "per_aug_ours_s": per_ours,
        "per_aug_pytorch_grad_cam_s": per_theirs,
        "speedup_per_aug": speedup,
    }
    threads = torch.get_num_threads()
    rows = [
        [f"batched forward of {k} images (inference_mode)", f"{t_forward * 1000:.0f} ms", "", ""],
        [f"our explanation, k={k} (one forward + one backward)", f"{t_ours * 1000:.0f} ms", "", ""],
        [
            f"ratio explain / forward, {threads} threads (quartiles {_quartiles(ratios)})",
            f"{ratio:.2f}",
            "<= 1.3",
            ok(ratio <= 1.3),
        ],
    ]
    if threads > 1:
        row, figures["ratio_explain_to_forward_1_thread"] = _one_thread_ratio(
            model, x, layer, rounds, forward_only
        )
        rows.append(row)
    rows += [
        ["ours per augmentation", f"{per_ours * 1000:.1f} ms", "", ""],
        [
            f"pytorch-grad-cam aug_smooth per augmentation ({n_aug})",
            f"{per_theirs * 1000:.1f} ms",
            "",
            "",
        ],
        ["speed-up per augmentation", f"{speedup:.1f}x", ">= 3x", ok(speedup >= 3)],
    ]
    return rows, figures


def _one_thread_ratio(
    model: nn.Module, x: torch.Tensor, layer: str, rounds: int, forward_only: Callable[[], None]
) -> tuple[list[object], float]:
    """The explain / forward ratio on one thread: its table row and the ratio.

    The worker gives each pool process cores / concurrency threads: one per process at
    Celery's default concurrency (a process per core). The backward's small 4x4
    convolutions share out across threads differently from the forward's."""
    k = xai.DEFAULT_K
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t1 = interleaved_times(
            {"forward": forward_only, "ours": lambda: xai.explain(model, x, k=k, target=layer)},
            rounds,
        )
    finally:
        torch.set_num_threads(threads)
    ratios1 = [o / f for o, f in zip(t1["ours"], t1["forward"], strict=True)]
    ratio1 = statistics.median(ratios1)
    row = [
        f"ratio explain / forward, 1 thread (a worker pool process; "
        f"{statistics.median(t1['ours']) * 1000:.0f} ÷ "
        f"{statistics.median(t1['forward']) * 1000:.0f} ms; "
        f"quartiles {_quartiles(ratios1)})",
        f"{ratio1:.2f}",
        "<= 1.3",
        ok(ratio1 <= 1.3),
    ]
    return row, ratio1


def _end_to_end_speed(
    selfie, checkpoint: str | None, k: int, repeats: int
) -> tuple[list[list[object]], dict[str, float]]:
    """`analyze(explain=True)` on the selfie as a small PNG and as a phone-sized JPEG."""
    from diagnosis.ml.inference import Analyzer

    analyzer = Analyzer.load(checkpoint)
    big = selfie.resize((selfie.width * 4, selfie.height * 4), Image.BICUBIC)
    uploads = {
        f"{selfie.width}px PNG": encoded(selfie, "PNG"),
        f"{big.width}px JPEG (phone-sized)": encoded(big, "JPEG"),
    }
    rows, figures = [], {}
    for name, data in uploads.items():
        stages: list[dict[str, float]] = []

        def end_to_end(data: bytes = data, stages: list = stages) -> None:
            stages.append(analyzer.analyze(data, explain=True, k=k).timings)

        try:
            t_e2e = median_time(end_to_end, repeats)
        except AnalysisError as exc:
            rows.append([f"end-to-end explain k={k}, {name}", "n/a", "", exc.code])
            continue
        figures[f"end_to_end_explain_k10_s[{name}]"] = t_e2e
        detail = ", ".join(
            f"{s} {statistics.median(t[s] for t in stages) * 1000:.0f}"
            for s in stages[0]
            if s != "total"
        )
        rows.append(
            [
                f"end-to-end explain k={k}, {name}",
                f"{t_e2e * 1000:.0f} ms",
                "<= 1000 ms",
                ok(t_e2e <= 1.0),
            ]
        )
        rows.append([f"  median stages (ms): {detail}", "", "", ""])
    return rows, figures


def faithfulness(
    model: nn.Module,
    faces: list,
    meta: dict,
    layers: tuple[str, ...],
    ks: tuple[int, ...],
    threshold: float,
) -> tuple[list[list[object]], dict[str, dict[str, float]]]:
    prepared = [
        (to_tensor(f.face, mean=meta["mean"], std=meta["std"]), faith.dilate(f.lesions))
        for f in faces
    ]
    chance = float(np.mean([d.mean() for _, d in prepared]))
    rows, figures = [], {}
    for layer in layers:
        for k in ks:
            hits, energy, energy_t, spent = [], [], [], []
            for i, (x, dilated) in enumerate(prepared):
                start = time.perf_counter()
                cam, _, _ = xai.explain_maps(model, x, k=k, seed=i, target=layer)
                spent.append(time.perf_counter() - start)
                cam = cam.numpy()
                y0, x0 = np.unravel_index(int(cam.argmax()), cam.shape)
                hits.append(bool(dilated[y0, x0]))
                energy.append(float((cam * dilated).sum() / max(cam.sum(), 1e-12)))
                cut = xai.apply_threshold(cam, threshold)
                energy_t.append(float((cut * dilated).sum() / max(cut.sum(), 1e-12)))
            key = f"{layer}/k={k}"
            figures[key] = {
                "pointing": float(np.mean(hits)),
                "energy": float(np.mean(energy)),
                "energy_thresholded": float(np.mean(energy_t)),
                "median_explain_s": statistics.median(spent),
            }
            rows.append(
                [
                    layer,
                    k,
                    f"{np.mean(hits):.3f}",
                    f"{np.mean(energy):.3f}",
                    f"{np.mean(energy_t):.3f}",
                    f"{np.mean(energy) / chance:.2f}x",
                    f"{statistics.median(spent) * 1000:.0f}",
                ]
            )
    figures["chance_area"] = {"dilated_mask_share": chance, "n": len(prepared)}
    return rows, figures


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", help="default: the shipped model")
    parser.add_argument("--n", type=int, default=60, help="held-out selfies for faithfulness")
    parser.add_argument("--seed", type=int, default=FAITHFULNESS_SEED)
    parser.add_argument("--style", default="default", help="generator style of the held-out set")
    parser.add_argument(
        "--synth-size", type=int, default=384, help="side of the selfies (as the demo)"
    )
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--rounds",
        type=int,
        default=25,
        help="rounds of the explain/forward comparison (its ratio is a median of per-round ratios)",
    )
    parser.add_argument(
        "--layers", nargs="+", default=[], help="default: the checkpoint's target layer"
    )
    parser.add_argument("--json", help="also write the figures to this JSON file")
    smoke.add_argument(parser)
    args = parser.parse_args(argv)
    if args.smoke:  # two rounds: the fewest the ratios' quartiles need
        args.n, args.repeats, args.rounds, args.layers = 4, 1, 2, args.layers[:1]
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)

    torch.manual_seed(0)
    model, meta, source = load_model(args.checkpoint)
    size = int(meta["input_size"])
    default_layer = str(meta.get("target_layer") or xai.DEFAULT_TARGET_LAYER)
    layers = tuple(args.layers) or (default_layer,)
    print(
        f"model: {source}; input {size}px; default target layer {default_layer}; "
        f"torch threads {torch.get_num_threads()}"
    )

    faces, skipped = faith.lesion_faces(
        args.n,
        args.seed,
        size=size,
        margin=float(meta["face_margin"]),
        style=args.style,
        synth_size=args.synth_size,
    )
    if not faces:
        print("no usable synthetic selfie: raise --n")
        return 1
    x = to_tensor(faces[0].face, mean=meta["mean"], std=meta["std"])
    selfie = faces[0].selfie
    threshold = float(meta.get("heatmap_threshold", xai.DEFAULT_THRESHOLD))

    results: dict[str, object] = {"model": source, "input_size": size}
    print(
        "\n1. Agreement with pytorch-grad-cam "
        "(k=1; same model, weights, layer, inputs (up to 8 faces) and target)"
    )
    inputs = [to_tensor(f.face, mean=meta["mean"], std=meta["std"]) for f in faces[:8]]
    rows = agreement(model, inputs, layers)
    print(table(["layer", "min pearson r", "faces", "both flat", "max |diff|", ">= 0.99"], rows))
    results["agreement"] = {r[0]: float(r[1]) for r in rows}

    print(
        f"\n2. Speed (after warm-up; explain/forward: median of {args.rounds} rounds, the rest: "
        f"of {args.repeats}; layer {default_layer})"
    )
    ckpt_arg = args.checkpoint or (
        str(ckpt.shipped_checkpoint()) if ckpt.shipped_checkpoint().is_file() else None
    )
    rows, figures = speed(
        model,
        x,
        default_layer,
        args.repeats,
        args.rounds,
        selfie if ckpt_arg else None,
        ckpt_arg,
    )
    print(table(["measure", "value", "target", ""], rows))
    results["speed"] = figures

    print(
        f"\n3. Faithfulness on {len(faces)} held-out synthetic selfies (seed {args.seed}, "
        f"style {args.style!r}, grades 1-5; {skipped} skipped: no face / no lesion in crop); "
        f"t = the checkpoint's heatmap threshold"
    )
    rows, figures = faithfulness(model, faces, meta, layers, (1, xai.DEFAULT_K), threshold)
    print(
        table(
            [
                "layer",
                "k",
                "pointing",
                "energy in mask",
                f"energy (t={threshold})",
                "energy / chance",
                "ms per map",
            ],
            rows,
        )
    )
    chance = figures["chance_area"]["dilated_mask_share"]
    print(f"chance level (share of the face the dilated masks cover): {chance:.3f}")
    results["faithfulness"] = figures

    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
