"""Lesion density: how many lesions the photo shows, and where.

The grading network (the patent's) grades a whole face; it has no lesion counter. This head adds
one without touching it: a small convolutional head reads two of the frozen encoder's feature
maps and predicts a density over a grid on the normalized crop, whose sum is the number of
lesions in the crop (a Gaussian per lesion, as counting networks are trained). It learns from
ACNE04's lesion boxes carried into the crop, so a side view or a close-up is taught the lesions it
actually shows. The encoder and the grading heads stay as they were: the grades do not change,
and the head runs on feature maps the grading forward computes anyway.

The zones (zones.py) sum the density inside each zone: a lesion count per zone. On ACNE04
training photographs the zone with the most counted lesions named the zone with the most boxed
lesions more often than the Grad-CAM heat did (docs/design.md, "Three views and face zones").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .errors import CheckpointError

# The encoder layers read: stride 8 for small spots, stride 16 (EfficientNet-Lite0's Grad-CAM
# layer) for what the grading learned. Chosen on training photographs (docs/design.md).
LAYERS = {
    "efficientnet_lite0": ("encoder.blocks.4", "encoder.blocks.10"),
    "resnet": ("encoder.layer2", "encoder.layer3"),
}
STRIDE = 8  # the density grid: one cell per 8 x 8 pixels of the crop
SIGMA_CELLS = 1.0  # a lesion's spread on the grid
HIDDEN = 64
EXTRA_PREFIX = "lesions."  # the head's tensors in a checkpoint's extra tensors


class LesionHead(nn.Module):
    """Feature maps (at strides 8 and 16) -> lesion density (N, H/8, W/8), lesions per cell."""

    def __init__(self, channels: int, hidden: int = HIDDEN) -> None:
        super().__init__()
        self.channels, self.hidden = channels, hidden
        self.net = nn.Sequential(
            nn.Conv2d(channels, hidden, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(hidden, 1, 1),
        )
        # Start near zero lesions: softplus(-6) is 0.0025 per cell, about 2 per crop.
        nn.init.constant_(self.net[-1].bias, -6.0)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: the feature maps as ``stack_maps`` joins them."""
        return F.softplus(self.net(x)).squeeze(1)


def stack_maps(maps: list[Tensor]) -> Tensor:
    """Feature maps of several strides joined on the finest one's grid."""
    size = maps[0].shape[-2:]
    return torch.cat(
        [m if m.shape[-2:] == size else F.interpolate(m, size=size, mode="bilinear") for m in maps],
        dim=1,
    )


@dataclass
class LesionCounter:
    """A trained head and the encoder layers it reads."""

    head: LesionHead
    layers: tuple[str, ...]

    def density(self, maps: dict[str, Tensor]) -> Tensor:
        """Lesions per grid cell (N, H/8, W/8) from the tapped feature maps (``tap``)."""
        return self.head(stack_maps([maps[name] for name in self.layers]))

    def to_extra(self) -> dict[str, Tensor]:
        return {EXTRA_PREFIX + k: v for k, v in self.head.state_dict().items()}

    def to_meta(self) -> dict:
        return {
            "layers": list(self.layers),
            "channels": self.head.channels,
            "hidden": self.head.hidden,
            "stride": STRIDE,
        }

    @classmethod
    def from_checkpoint(cls, meta: dict, extra: dict[str, Tensor]) -> LesionCounter | None:
        """The counter a checkpoint carries (``meta["lesion_head"]``), or None."""
        spec = meta.get("lesion_head")
        if not spec:
            return None
        state = {
            k[len(EXTRA_PREFIX) :]: v.float()
            for k, v in extra.items()
            if k.startswith(EXTRA_PREFIX)
        }
        try:
            head = LesionHead(int(spec["channels"]), int(spec["hidden"]))
            head.load_state_dict(state)
            layers = tuple(str(name) for name in spec["layers"])
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(
                f"the checkpoint's lesion counter does not match its metadata: {exc}".splitlines()[
                    0
                ]
            ) from exc
        return cls(head.eval(), layers)


def layers_for(arch: str) -> tuple[str, ...]:
    return LAYERS["efficientnet_lite0" if arch.startswith("efficientnet") else "resnet"]


@contextmanager
def tap(model: nn.Module, layers: tuple[str, ...]) -> Iterator[dict[str, Tensor]]:
    """The outputs of ``layers`` during the forwards run inside the block (the last one)."""
    maps: dict[str, Tensor] = {}
    handles = [
        model.get_submodule(name).register_forward_hook(
            lambda _m, _i, out, name=name: maps.__setitem__(name, out)
        )
        for name in layers
    ]
    try:
        yield maps
    finally:
        for handle in handles:
            handle.remove()


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


def upsample(density: np.ndarray, size: int) -> np.ndarray:
    """A density grid spread over the crop's pixels, keeping its total."""
    import cv2

    cells = density.shape[0]
    up = cv2.resize(density.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)
    return up * (cells * cells) / (size * size)


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


# --- training on ACNE04 crops (acne04.Crops) ---------------------------------------------------


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
    from .explain import to_tensor

    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch_size):
            x = torch.cat(
                [to_tensor(im, mean=mean, std=std) for im in images[start : start + batch_size]]
            )
            with tap(model, layers) as maps:
                model(x.flip(-1) if flip else x)
            out.append(stack_maps([maps[name] for name in layers]).half())
    return torch.cat(out)


def mirrored(boxes: np.ndarray, size: int) -> np.ndarray:
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4).copy()
    boxes[:, [0, 2]] = size - boxes[:, [2, 0]]
    return boxes


def train_counter(
    model: nn.Module,
    meta: dict,
    crops,
    *,
    layers: tuple[str, ...] | None = None,
    epochs: int = 30,
    seed: int = 0,
    log=print,
) -> LesionCounter:
    """A counter for ``model`` trained on every crop (lesion-free versions too: they teach zero)
    and its mirror image."""
    size = crops.images.shape[1]
    mean, std = meta["mean"], meta["std"]
    layers = layers or layers_for(meta["arch"])
    x = torch.cat(
        [
            crop_features(model, crops.images, layers, mean=mean, std=std),
            crop_features(model, crops.images, layers, mean=mean, std=std, flip=True),
        ]
    )
    y = torch.from_numpy(
        np.stack(
            [density_target(b, size) for b in crops.boxes]
            + [density_target(mirrored(b, size), size) for b in crops.boxes]
        )
    )
    log(f"lesion head: {len(x)} crops (with mirror images), {int(y.sum())} lesions")
    return LesionCounter(fit(x, y, epochs=epochs, seed=seed, log=log), tuple(layers))
