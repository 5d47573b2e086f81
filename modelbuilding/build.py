"""``build-model``: a model trained on real photographs (what ``make model`` runs).

Training data, any of: the shop's own exported photos (``--shop-data``: shopdata.py, GEA graded
by its dermatologists), the ACNE04 train split (``--acne04``: GEA 1-5 by acne04.gea_grade, and
lesion-free versions of the mild ones as GEA 0) and synthetic selfies of every grade
(``--n-synth``; 0 leaves them out). Selection: the shop's valid split when it gives one, else
ACNE04's, with synthetic selfies of their own seed. Each candidate encoder is trained on the same
data and judged on the selection split; the better one ships, with the terms of the strictest
of its data (any academic-only source makes the model academic-only).

The same data and seed give the same model (train.deterministic); ``--seeds N`` trains the
chosen encoder again with N-1 more seeds and the card shows the spread of its figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from diagnosis.ml.checkpoint import save_checkpoint
from diagnosis.ml.contract import FACE_MARGIN, INPUT_SIZE, LITE_MEAN, LITE_STD
from diagnosis.ml.encoders import LITE_VARIANTS
from diagnosis.ml.lesions import STRIDE
from diagnosis.ml.scale import GEA

from . import acne04, lookalike_checks
from .data import ArrayDataset, ManifestDataset
from .finishing import add_lesion_counter, finish
from .generated import REAL_SELECTION_SEED, REAL_TRAIN_SEED, generate_set
from .lesion_training import COUNTER_SIZE, density_target
from .progress import stage
from .sources import Source, real_sources, training_terms
from .train import TrainConfig, save_curves_png, train_model

MODEL_NAME = "skinshop-real"
SHOP_MODEL_NAME = "skinshop-shop"
MODEL_VERSION = "3"
# The stem and stages 1-2 (stride 4 and finer) of an EfficientNet-Lite stay as ImageNet left
# them: their high-resolution backward is most of a training step's cost on a CPU.
LITE_FROZEN_STAGES = 2
# Where Lite0's Grad-CAM pointed best (end of stage 5, stride 16); finishing studies the layers
# again and keeps the best.
LITE_GRADCAM_STAGE = 5


def _lite(arch: str) -> tuple[str, int, float]:
    return ("bundled", LITE_VARIANTS[arch].blocks_through(LITE_FROZEN_STAGES), 1e-3)


CANDIDATES = {
    # arch: (ImageNet weights, blocks kept frozen, learning rate)
    "efficientnet_lite0": _lite("efficientnet_lite0"),
    "resnet18": (None, 0, 2e-3),
    # Larger ImageNet encoders: chosen with --archs, not trained by default (each costs more
    # training time than Lite0, and the worker's forward grows with them).
    "efficientnet_lite1": _lite("efficientnet_lite1"),
    "efficientnet_lite2": _lite("efficientnet_lite2"),
}
DEFAULT_ARCHS = ("efficientnet_lite0", "resnet18")


def _synthetic(work: Path, n: int, seed: int, size: int, margin: float, log):
    if n <= 0:
        return None
    manifest = generate_set(work / f"synth-{seed}", n, seed, "default", 512, log)
    return ManifestDataset(manifest, size=size, margin=margin, progress=True)


def combined(
    parts: list[tuple[str, acne04.Crops]],
    synth: ManifestDataset | None,
    *,
    mean,
    std,
    data_hash: str,
) -> ArrayDataset:
    """Real crops and synthetic faces in one data set; groups name each image's source, and
    each image carries its lesions' density, for an encoder that learns to count: a real crop's
    from its boxes (every lesion of a real photo is boxed, as for the frozen-feature counter:
    none in the crop is none), a clear selfie none (its stubble, freckles or moles are not
    lesions), and the other selfies' unknown (their lesions are not boxed)."""
    images = [c.images for _, c in parts] + ([synth.images] if synth is not None else [])
    grades = [c.grades for _, c in parts] + ([synth.grades.numpy()] if synth is not None else [])
    size = images[0].shape[1]
    unknown = np.full((size // STRIDE, size // STRIDE), np.nan, np.float32)
    densities = [density_target(b, size) for _, c in parts for b in c.boxes]
    if synth is not None:
        densities += [density_target([], size) if g == 0 else unknown for g in grades[-1]]
    groups = [f"{name}:{k}" for name, c in parts for k in c.kinds]
    n_real = len(groups)
    aux = {}
    if synth is not None:
        groups += [f"synthetic:{synth.group_of(i)}" for i in range(len(synth))]
        aux = {
            name: [""] * n_real + [r.attrs.get(name, "") for r in synth.records]
            for name in synth.aux_vocab
        }
    return ArrayDataset(
        np.concatenate(images),
        np.concatenate(grades),
        mean=mean,
        std=std,
        groups=groups,
        aux=aux,
        aux_vocab=synth.aux_vocab if synth is not None else {},
        data_hash=data_hash,
        densities=np.stack(densities),
    )


def _config(args: argparse.Namespace, arch: str, seed: int) -> TrainConfig:
    weights, frozen, lr = CANDIDATES[arch]
    return TrainConfig(
        arch=arch,
        input_size=args.input_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=lr,
        seed=seed,
        patience=args.patience,
        max_minutes=args.max_minutes,
        threads=args.threads,
        imagenet_weights=weights,
        freeze_blocks=frozen,
        mean=LITE_MEAN,
        std=LITE_STD,
        target_layer=(
            LITE_VARIANTS[arch].last_block(LITE_GRADCAM_STAGE)
            if arch in LITE_VARIANTS
            else "encoder.layer3"
        ),
        lambda_ldl=args.lambda_ldl,
        lambda_count=args.lambda_count,
        balance=args.balance,
    )


def _look_alikes(args: argparse.Namespace) -> bool:
    """Clear look-alike faces are synthetic data: drawn when synthetic selfies are (--n-synth)."""
    return args.look_alike_faces > 0 and args.n_synth > 0


def _sources_meta(sources: list[Source], args: argparse.Namespace) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for s in sources:
        if s.name == "shop":
            meta["shop_train_photos"] = len(s.train.kinds)
            meta["shop_refused"] = len(s.train.failures)
        else:
            meta["acne04_train_photos"] = int(s.train.select("photo").sum())
            meta["acne04_lesion_free"] = int(s.train.select("lesion-free").sum())
            meta["acne04_refused"] = len(s.train.failures)
    if args.n_synth > 0:
        meta["synthetic"] = {"n": args.n_synth, "seed": REAL_TRAIN_SEED}
    if _look_alikes(args):
        meta["look_alikes"] = {
            "faces": args.look_alike_faces,
            "n": args.look_alike_faces * (len(lookalike_checks.LOOK_ALIKES) + 1),
            "seed": lookalike_checks.TRAIN_SEED,
        }
    return meta


def build_model(args: argparse.Namespace, log=print) -> dict[str, Any]:
    torch.set_num_threads(args.threads)
    started = time.monotonic()
    work, out = Path(args.work), Path(args.out)
    shop_root = Path(args.shop_data) if args.shop_data else None
    acne04_root = Path(args.acne04) if args.acne04 else None
    size, margin = args.input_size, FACE_MARGIN
    with stage("data: normalizing the photographs, generating the synthetic selfies", log):
        sources = real_sources(
            shop_root=shop_root,
            acne04_root=acne04_root,
            size=size,
            margin=margin,
            work=work,
            log=log,
        )
        synth_train = _synthetic(work, args.n_synth, REAL_TRAIN_SEED, size, margin, log)
        # Without synthetic training faces, none select the model either.
        n_val = args.n_synth_val if args.n_synth > 0 else 0
        synth_val = _synthetic(work, n_val, REAL_SELECTION_SEED, size, margin, log)
        clear = []
        if _look_alikes(args):
            faces = lookalike_checks.training_crops(args.look_alike_faces, size=size, margin=margin)
            clear = [("look-alikes", faces)]
    t_data = time.monotonic() - started
    # Identifies the training data (the model's version shows its first 8 characters).
    data_hash = hashlib.sha256(
        b"".join(s.train.images.tobytes() + s.train.grades.tobytes() for s in sources)
        + f"synth:{REAL_TRAIN_SEED}x{args.n_synth}".encode()
        + (
            f"look-alikes:{lookalike_checks.TRAIN_SEED}x{args.look_alike_faces}".encode()
            if _look_alikes(args)
            else b""
        )
    ).hexdigest()[:16]
    train_ds = combined(
        [(s.name, s.train) for s in sources] + clear,
        synth_train,
        mean=LITE_MEAN,
        std=LITE_STD,
        data_hash=data_hash,
    )
    val_ds = combined(
        [(sources[0].name, sources[0].valid)], synth_val, mean=LITE_MEAN, std=LITE_STD, data_hash=""
    )
    terms, commercial = training_terms(sources, synthetic=args.n_synth > 0)
    name = args.name or (SHOP_MODEL_NAME if shop_root else MODEL_NAME)

    def train_candidate(arch: str, seed: int) -> Path:
        t0 = time.monotonic()
        with stage(f"training {arch} (seed {seed})", log):
            result = train_model(
                train_ds,
                _config(args, arch, seed),
                scale=GEA,
                val_dataset=val_ds,
                quiet=True,
                log=log,
            )
        result.meta.update(name=name, version=MODEL_VERSION)
        result.meta["training_data"] = terms
        result.meta["commercial_use"] = commercial
        result.meta["training"]["sources"] = _sources_meta(sources, args)
        result.meta["training"]["timings_s"] = {
            "data": round(t_data, 1),
            "train": round(time.monotonic() - t0, 1),
        }
        suffix = "" if seed == args.seed else f"-seed{seed}"
        path = work / f"candidate-{arch}{suffix}.pt"
        extra = None
        if result.counter is not None:
            result.meta["lesion_head"] = result.counter.to_meta()
            extra = result.counter.to_extra()
        save_checkpoint(path, result.model, result.meta, half=True, extra=extra)
        save_curves_png(result.history, path.with_suffix(".curves.png"))
        log(f"{arch}: trained in {time.monotonic() - t0:.0f}s -> {path}")
        return path

    results = {arch: train_candidate(arch, args.seed) for arch in args.archs}
    (work / "candidates.json").write_text(json.dumps({k: str(v) for k, v in results.items()}))
    return finish(
        candidates=results,
        acne04_root=acne04_root,
        shop_root=shop_root,
        work=work,
        out=out,
        log=log,
        threads=args.threads,
        synthetic_n=args.n_synth_heldout if args.n_synth > 0 else 0,
        heatmap_limit=args.heatmap_limit,
        retrain=train_candidate,
        seeds=[args.seed + i for i in range(1, args.seeds)],
        counter_size=args.counter_size,
    )


def _handle(args: argparse.Namespace) -> int:
    if args.lesion_counter_only or args.joint_rule_only:
        if not args.acne04:
            raise ValueError("--lesion-counter-only and --joint-rule-only need --acne04")
        add_lesion_counter(
            Path(args.out) / "real.pt",
            Path(args.acne04),
            Path(args.work),
            Path(args.out),
            threads=args.threads,
            keep_counter=args.joint_rule_only,
            counter_size=args.counter_size,
        )
        return 0
    if args.evaluate_only:
        candidates = json.loads((Path(args.work) / "candidates.json").read_text())
        finish(
            candidates={k: Path(v) for k, v in candidates.items()},
            acne04_root=Path(args.acne04) if args.acne04 else None,
            shop_root=Path(args.shop_data) if args.shop_data else None,
            work=Path(args.work),
            out=Path(args.out),
            threads=args.threads,
            counter_size=args.counter_size,
        )
        return 0
    try:
        build_model(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def add_cli(subparsers) -> None:
    p = subparsers.add_parser(
        "build-model",
        help="train a model on real photographs (the shop's export, ACNE04 or both) and "
        "synthetic selfies, compare encoders, write the checkpoint and its model card (what "
        "`make model` runs)",
    )
    p.add_argument(
        "--shop-data",
        help="the shop's export (manage.py export_training_set: manifest.csv, TERMS.json, "
        "train/, valid/); its valid split selects the model",
    )
    p.add_argument("--acne04", help="the ACNE04 folder (manifest.csv, train/, valid/)")
    p.add_argument(
        "--out",
        default="diagnosis/ml/weights",
        help="where the model and card go (real.pt and MODEL_CARD.md; with --shop-data "
        "shop.pt and SHOP_MODEL_CARD.md)",
    )
    p.add_argument("--work", default="var/build-model", help="caches and candidates")
    p.add_argument(
        "--archs",
        nargs="+",
        default=list(DEFAULT_ARCHS),
        choices=list(CANDIDATES),
        help=f"encoders to train and compare (default: {' '.join(DEFAULT_ARCHS)})",
    )
    p.add_argument("--input-size", type=int, default=INPUT_SIZE)
    p.add_argument(
        "--counter-size",
        type=int,
        default=COUNTER_SIZE,
        help="side of the crop the lesion counter reads: the grading crop drawn again at this "
        f"size (default {COUNTER_SIZE}; the input size: the grading forward's own feature maps)",
    )
    p.add_argument("--n-synth", type=int, default=1200, help="synthetic training selfies (0: none)")
    p.add_argument("--n-synth-val", type=int, default=300, help="synthetic selection selfies")
    p.add_argument(
        "--look-alike-faces",
        type=int,
        default=50,
        help="clear synthetic faces to train on, each drawn plainly and under every look-alike "
        "(stubble, beard, freckles, moles, glasses, shadow), labelled clear with no lesion "
        "(default 50: 350 images; 0, or --n-synth 0: none)",
    )
    p.add_argument(
        "--n-synth-heldout",
        type=int,
        default=600,
        help="selfies per synthetic held-out set the card reports (with synthetic training)",
    )
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--patience", type=int, default=4)
    p.add_argument("--max-minutes", type=float, default=None, help="time budget per encoder")
    p.add_argument(
        "--lambda-ldl",
        type=float,
        default=0.0,
        help="weight of a label-distribution term beside the patent's combined loss (0: none)",
    )
    p.add_argument(
        "--lambda-count",
        type=float,
        default=1.0,
        help="weight of the lesion counter's loss, the counter trained with the encoder on the "
        "photographs' lesion boxes (default 1; 0: the encoder learns the grade alone)",
    )
    p.add_argument(
        "--balance",
        type=float,
        default=0.0,
        help="draw a grade with n images in its source in proportion to n ** -BALANCE (0: "
        "every image once per epoch; 0.5: the rare severe grades more often)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--seeds",
        type=int,
        default=1,
        help="train the chosen encoder with this many seeds (SEED, SEED+1, ...) and show the "
        "spread of its valid figures in the card; the model shipped is SEED's",
    )
    p.add_argument(
        "--heatmap-limit", type=int, default=60, help="valid photos the heatmap study reads"
    )
    p.add_argument("--name", help="the model's name (default: skinshop-shop or skinshop-real)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--evaluate-only", action="store_true", help="re-evaluate the candidates")
    p.add_argument(
        "--lesion-counter-only",
        action="store_true",
        help="train only the lesion counter of the model in OUT and choose its joint grading "
        "rule (on training folds), and write the model back with them",
    )
    p.add_argument(
        "--joint-rule-only",
        action="store_true",
        help="choose only the joint grading rule of the model in OUT (its lesion counter kept), "
        "and write the model back with it",
    )
    p.set_defaults(func=_handle)
