"""Training the lesion counter (diagnosis.ml.lesions) on ACNE04 crops (acne04.Crops).

The head learns a density over the crop's grid: a Gaussian of mass one per dermatologist's box
carried into the crop, on the frozen encoder's feature maps, mirror images included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diagnosis.ml.contract import to_tensor
from diagnosis.ml.lesions import (
    STRIDE,
    LesionCounter,
    LesionHead,
    layers_for,
    stack_maps,
    tap,
)

SIGMA_CELLS = 1.0  # a lesion's spread on the grid
# The side of the crop the shipped counter reads: the grading crop drawn again at twice its 224
# pixels (lesions.crop_for). ACNE04's photographs are 640 px, so the face's crop at 224 throws
# away most of the pixels a crowded face's papules need (see docs/design.md, "The models").
COUNTER_SIZE = 448


@dataclass
class CountingCrops:
    """The crops the counter learns from and is judged on, at its own size: the same
    photographs, in the same order, as the grading's crops (``same_photos``)."""

    train: object  # acne04.Crops
    valid: object  # acne04.Crops
    check: np.ndarray | None = None  # the look-alike check set's faces, when judged


def same_photos(grading, counting) -> None:
    """Refuse counting crops that are not the grading crops' photographs in the same order (the
    face normalization does not depend on the crop's size, so they always should be)."""
    if (list(grading.paths), list(grading.kinds)) != (list(counting.paths), list(counting.kinds)):
        raise ValueError("the counter's crops are not the grading crops' photographs")


def density_target(boxes: np.ndarray, size: int, stride: int = STRIDE) -> np.ndarray:
    """The density a crop of ``size`` pixels with these lesion boxes (crop pixels) should get:
    a Gaussian per box centre, scaled to a mass of one on the grid (a lesion at the crop's edge
    still counts once)."""
    cells = size // stride
    centres = (np.arange(cells) + 0.5) * stride
    out = np.zeros((cells, cells), np.float32)
    spread = SIGMA_CELLS * stride
    for x0, y0, x1, y1 in np.asarray(boxes, np.float64).reshape(-1, 4):
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        gx = np.exp(-0.5 * ((centres - cx) / spread) ** 2)
        gy = np.exp(-0.5 * ((centres - cy) / spread) ** 2)
        bump = np.outer(gy, gx)
        out += bump / max(bump.sum(), 1e-12)
    return out


def fit(
    maps: Tensor,
    targets: Tensor,
    *,
    epochs: int = 30,
    lr: float = 2e-3,
    batch_size: int = 64,
    seed: int = 0,
    log=print,
) -> LesionHead:
    """Train a head on frozen feature maps (N, C, H, W) (already at the grid's size) against
    target densities (N, H, W): squared error per cell, scaled so a lesion weighs as much in a
    crowded crop as in a clear one."""
    torch.manual_seed(seed)
    head = LesionHead(maps.shape[1])
    optimizer = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-4)
    steps = epochs * math.ceil(len(maps) / batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    for epoch in range(epochs):
        head.train()
        total = 0.0
        for ix in torch.randperm(len(maps), generator=generator).split(batch_size):
            predicted = head(maps[ix].float())
            loss = F.mse_loss(predicted * 100, targets[ix] * 100)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(ix)
        if epoch % 10 == 9 or epoch == epochs - 1:
            log(f"  lesion head epoch {epoch + 1}/{epochs}: loss {total / len(maps):.4f}")
    return head.eval()


def new_head(model: nn.Module, layers: tuple[str, ...], size: int) -> LesionHead:
    """An untrained head for the maps ``layers`` of ``model`` give on crops of ``size`` pixels."""
    was_training = model.training
    model.eval()
    with torch.no_grad(), tap(model, layers) as maps:
        model(torch.zeros(1, 3, size, size))
    model.train(was_training)
    return LesionHead(stack_maps([maps[name] for name in layers]).shape[1])


def crop_features(
    model: nn.Module,
    images: np.ndarray,
    layers: tuple[str, ...],
    *,
    mean,
    std,
    flip: bool = False,
    batch_size: int = 32,
) -> Tensor:
    """The joined feature maps (N, C, H/8, W/8), float16, of normalized crops (N, S, S, 3);
    ``flip`` mirrors each crop first."""
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = to_tensor(images[start : start + batch_size], mean=mean, std=std)
            with tap(model, layers, stop=True) as maps:
                model(x.flip(-1) if flip else x)
            out.append(stack_maps([maps[name] for name in layers]).half())
    return torch.cat(out)


def mirrored(boxes: np.ndarray, size: int) -> np.ndarray:
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = size - boxes[:, [2, 0]]
    return boxes


def counter_data(
    model: nn.Module, meta: dict, crops, layers: tuple[str, ...], *, mirror: bool = True
) -> tuple[Tensor, Tensor]:
    """The feature maps and target densities of every crop and then, with ``mirror``, of its
    mirror image (crop ``i``'s mirror is row ``i + len(crops)``)."""
    size = crops.images.shape[1]
    mean, std = meta["mean"], meta["std"]
    flips = (False, True) if mirror else (False,)
    x = torch.cat(
        [crop_features(model, crops.images, layers, mean=mean, std=std, flip=f) for f in flips]
    )
    targets = [density_target(b, size) for b in crops.boxes]
    if mirror:
        targets += [density_target(mirrored(b, size), size) for b in crops.boxes]
    return x, torch.from_numpy(np.stack(targets))


def train_counter(
    model: nn.Module,
    meta: dict,
    crops,
    *,
    layers: tuple[str, ...] | None = None,
    epochs: int = 30,
    seed: int = 0,
    log=print,
    data: tuple[Tensor, Tensor] | None = None,
) -> LesionCounter:
    """A counter for ``model`` trained on every crop (lesion-free versions too: they teach zero)
    and its mirror image (``data``: ``counter_data``'s, when already computed). Crops of
    another side than the model's input make a counter that reads its own crop."""
    layers = layers or layers_for(meta["arch"])
    x, y = data if data is not None else counter_data(model, meta, crops, layers)
    size = crops.images.shape[1]
    log(f"lesion head: {len(x)} crops of {size} px (with mirror images), {int(y.sum())} lesions")
    own = size if size != int(meta.get("input_size", size)) else None
    return LesionCounter(fit(x, y, epochs=epochs, seed=seed, log=log), tuple(layers), own)
