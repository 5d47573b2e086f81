"""Lesion density: how many lesions the photo shows, and where.

The grading network (the patent's) grades a whole face; it has no lesion counter. This head adds
one without touching it: a small convolutional head reads two of the frozen encoder's feature
maps and predicts a density over a grid on the normalized crop, whose sum is the number of
lesions in the crop (a Gaussian per lesion, as counting networks are trained). It learns from
ACNE04's lesion boxes carried into the crop, so a side view or a close-up is taught the lesions it
actually shows. The encoder and the grading heads stay as they were: the grades do not change.
The head reads either the feature maps the grading forward computes anyway, or (a counter with
``input_size``) those of the same crop drawn at a larger side, in a forward of its own: a crowded
face's papules are two or three pixels across in the 224 px grading crop. Its training lives on
the model-building side (modelbuilding.lesion_training).

The zones (zones.py) sum the density inside each zone: a lesion count per zone. On ACNE04
training photographs the zone with the most counted lesions named the zone with the most boxed
lesions more often than the Grad-CAM heat did (docs/design.md, "Three views and face zones").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .encoders import LITE_VARIANTS
from .errors import CheckpointError
from .face import NormalizedFace, warp

# The encoder layers read: stride 8 for small spots, stride 16 (EfficientNet-Lite's Grad-CAM
# layer) for what the grading learned. Chosen on training photographs with Lite0, whose stages 3
# and 5 end at encoder.blocks.4 and .10 (docs/design.md); a larger Lite reads its same stages.
LITE_STAGES_READ = (3, 5)
RESNET_LAYERS = ("encoder.layer2", "encoder.layer3")
STRIDE = 8  # the density grid: one cell per 8 x 8 pixels of the crop
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
    """A trained head and the encoder layers it reads, on the grading crop or, with
    ``input_size``, on the same crop drawn at that side (``crop_for``)."""

    head: LesionHead
    layers: tuple[str, ...]
    input_size: int | None = None

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
            **({"input_size": self.input_size} if self.input_size else {}),
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
            input_size = int(spec["input_size"]) if spec.get("input_size") else None
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise CheckpointError(
                f"the checkpoint's lesion counter does not match its metadata: {exc}".splitlines()[
                    0
                ]
            ) from exc
        return cls(head.eval(), layers, input_size)

    def reads_its_own_crop(self, grading_size: int) -> bool:
        """Whether the counter needs its own forward (a crop of another side than the grading)."""
        return bool(self.input_size) and self.input_size != grading_size


def crop_for(rgb: np.ndarray, face: NormalizedFace, size: int) -> np.ndarray:
    """``face``'s crop drawn again at ``size`` pixels from the photo: the normalization's matrix
    scales with the crop's side, so this is the crop the face would have been at that size.
    A crowded face's papules are 2 or 3 pixels across in a 224 crop, where neighbours merge;
    the counter sees them at twice that (docs/design.md, "The models")."""
    scale = size / face.image.shape[0]
    return warp(rgb, face.matrix * scale, size)


def layers_for(arch: str) -> tuple[str, ...]:
    if arch in LITE_VARIANTS:
        return tuple(LITE_VARIANTS[arch].last_block(stage) for stage in LITE_STAGES_READ)
    return RESNET_LAYERS


class _AllTapped(Exception):
    """Raised once every tapped layer has run, in a ``tap`` that stops the forward there."""


@contextmanager
def tap(
    model: nn.Module, layers: tuple[str, ...], *, stop: bool = False
) -> Iterator[dict[str, Tensor]]:
    """The outputs of ``layers`` during the forwards run inside the block (the last one).
    ``stop``: the forward ends once they have all run (the counter's own forward has no use for
    the layers after them or the heads: a third of a 448 px EfficientNet-Lite0 forward)."""
    maps: dict[str, Tensor] = {}

    def keep(name: str, out: Tensor) -> None:
        maps[name] = out
        if stop and len(maps) == len(layers):
            raise _AllTapped

    handles = [
        model.get_submodule(name).register_forward_hook(
            lambda _m, _i, out, name=name: keep(name, out)
        )
        for name in layers
    ]
    try:
        yield maps
    except _AllTapped:
        pass
    finally:
        for handle in handles:
            handle.remove()


def upsample(density: np.ndarray, size: int) -> np.ndarray:
    """A density grid spread over the crop's pixels, keeping its total."""
    cells = density.shape[0]
    up = cv2.resize(density.astype(np.float32), (size, size), interpolation=cv2.INTER_LINEAR)
    return up * (cells * cells) / (size * size)
