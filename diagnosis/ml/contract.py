"""The engine's input contract: how a normalized face becomes the model's input.

Training, evaluation, the worker and the heatmap all read it from here, so a photo turns into
the same tensor whether a model learns from it or grades it (a second copy would be a
train/serve skew waiting to happen). A checkpoint records the values it was trained with
(``input_size``, ``face_margin``, ``mean``, ``std``); ``InputContract.of(meta)`` reads them back
and the constants below are only the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from torch import Tensor

# ImageNet statistics, which torchvision's ResNets were trained with.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# EfficientNet-Lite0 was trained on inputs scaled as (x - 127) / 128: its models keep these.
LITE_MEAN, LITE_STD = (127 / 255,) * 3, (128 / 255,) * 3
# Side of the normalized face in pixels (the shipped model's; the synthetic one uses 128).
INPUT_SIZE = 224
# Room around the detected face box, as a share of its side (0.4 brings in forehead, chin and
# cheeks).
FACE_MARGIN = 0.4


@dataclass(frozen=True)
class InputContract:
    """What a model expects: the face's side and margin, and the normalization of its pixels."""

    size: int = INPUT_SIZE
    margin: float = FACE_MARGIN
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> InputContract:
        """The contract a checkpoint's metadata records (defaults for what it leaves out)."""
        return cls(
            size=int(meta.get("input_size", INPUT_SIZE)),
            margin=float(meta.get("face_margin", FACE_MARGIN)),
            mean=tuple(float(v) for v in meta.get("mean", IMAGENET_MEAN)),
            std=tuple(float(v) for v in meta.get("std", IMAGENET_STD)),
        )

    def to_meta(self) -> dict[str, Any]:
        """The checkpoint metadata that records this contract (read back by ``of``)."""
        return {
            "input_size": self.size,
            "face_margin": self.margin,
            "mean": list(self.mean),
            "std": list(self.std),
        }

    def tensor(self, faces: np.ndarray | Image.Image | Sequence[np.ndarray]) -> Tensor:
        """Normalized faces -> the model's input (N, 3, S, S) (see ``to_tensor``)."""
        return to_tensor(faces, mean=self.mean, std=self.std)


def to_unit(pixels: Tensor) -> Tensor:
    """uint8 pixels (..., 3, H, W) -> floats in [0, 1] (where training augments them)."""
    return pixels.float() / 255.0


def standardize(x: Tensor, *, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """[0, 1] pixels (..., 3, H, W) -> the model's input, channel by channel."""
    m = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (x - m) / s


def normalize(pixels: Tensor, *, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """uint8 pixels (..., 3, H, W) -> the model's input."""
    return standardize(to_unit(pixels), mean=mean, std=std)


def to_tensor(
    images: np.ndarray | Image.Image | Tensor | Sequence[np.ndarray],
    *,
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
) -> Tensor:
    """Normalized faces -> a model input (N, 3, H, W): one face (PIL, or HxWx3 uint8 RGB), a
    batch (NxHxWx3 uint8, or a list of faces), or a tensor, taken as already normalized."""
    if isinstance(images, Tensor):
        x = images.float()
        if x.dim() == 3:
            x = x.unsqueeze(0)
        if x.dim() != 4 or x.shape[0] != 1:
            raise ValueError(
                f"expected one image (3, H, W) or (1, 3, H, W), got {tuple(images.shape)}"
            )
        return x
    if isinstance(images, Image.Image):
        images = np.asarray(images.convert("RGB"))
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4 or arr.shape[3] != 3:
        raise ValueError(f"expected RGB images (H, W, 3), got shape {arr.shape[1:]}")
    pixels = torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2)
    return normalize(pixels, mean=mean, std=std)
