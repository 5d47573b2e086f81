"""k-augmentation Grad-CAM (patent claims 23-31): where on the face the model sees acne.

The normalized face is copied k times, each copy moved by a random affine transform (rotation,
scale, translation, shear) or mirrored. All k copies go through the model in ONE batched forward;
ONE backward from the predicted severity stops at the target layer (the activations are detached
there, so nothing before it is even recorded and no gradient reaches a weight). Each copy's
Grad-CAM map is warped back to the face's frame with the inverse of its transform, the maps are
averaged, min-max scaled to [0, 1], and values below a threshold are dropped.

The target score is the REGRESSION output, i.e. the predicted severity itself: its gradient
points at whatever raises the severity, which is the acne, whatever the grade. The classifier
logit of the predicted grade would instead highlight the evidence for "clear" on a clear face
(clean skin), which is not what a shopper wants to see. ``score="logit"`` is kept for study.

Transforms are 2x3 matrices in the normalized coordinates of ``F.affine_grid`` (x, y in [-1, 1],
``align_corners=False``), mapping a point of the original frame to where it lands in the copy.
Sampling the copy uses the inverse; warping a map back uses the matrix itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import Tensor, nn

from .contract import IMAGENET_MEAN, IMAGENET_STD, to_tensor

K_MIN, K_MAX = 2, 20
DEFAULT_K = 10
DEFAULT_THRESHOLD = 0.3
# Chosen by bench/bench_gradcam.py's faithfulness table (see bench/README.md); checkpoints carry
# their own "target_layer", this is only the fallback.
DEFAULT_TARGET_LAYER = "encoder.layer3"
SCORES = ("regression", "logit")
DEFAULT_PADDING = "zeros"


@dataclass(frozen=True)
class AugmentRanges:
    """How far a random copy may move. Small: the face stays a face, lesions stay in view."""

    rotation_deg: float = 15.0
    scale: tuple[float, float] = (0.9, 1.1)
    translate: float = 0.08  # fraction of the side
    shear_deg: float = 8.0
    flip_probability: float = 0.25  # each copy: a mirror with this chance, else a random affine


DEFAULT_RANGES = AugmentRanges()


def check_k(k: int) -> int:
    """k=1 is plain Grad-CAM (no augmentation); the patent's range is 2 <= k <= 20."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"k must be an integer, got {k!r}")
    if k != 1 and not K_MIN <= k <= K_MAX:
        raise ValueError(
            f"k must be 1 (no augmentation) or {K_MIN} to {K_MAX} augmented copies, got {k}"
        )
    return int(k)


def check_threshold(threshold: float) -> float:
    if not 0.0 <= float(threshold) < 1.0:
        raise ValueError(f"threshold must be in [0, 1), got {threshold}")
    return float(threshold)


# --- transforms --------------------------------------------------------------------------------


def _to_normalized(matrix_px: np.ndarray, height: int, width: int) -> np.ndarray:
    """3x3 affines (or a stack of them) in centred pixel units -> the same maps in
    affine_grid's [-1, 1] units.

    Centred pixel units keep a rotation a rotation on non-square inputs.
    """
    s = np.diag([2.0 / width, 2.0 / height, 1.0])
    return s @ matrix_px @ np.linalg.inv(s)


def random_transforms(
    k: int,
    rng: np.random.Generator,
    *,
    height: int,
    width: int,
    ranges: AugmentRanges = DEFAULT_RANGES,
) -> Tensor:
    """k forward transforms (k, 2, 3), float32: original frame -> augmented copy.

    k=1 gives the identity (plain Grad-CAM).
    """
    if k == 1:
        return torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    # All k drawn at once: this runs on every explanation, inside the time it is measured by.
    flip = rng.random(k) < ranges.flip_probability
    angle = np.radians(rng.uniform(-ranges.rotation_deg, ranges.rotation_deg, k))
    shear = np.radians(rng.uniform(-ranges.shear_deg, ranges.shear_deg, k))
    zoom = rng.uniform(*ranges.scale, k)
    shift = rng.uniform(-ranges.translate, ranges.translate, (k, 2)) * (width, height)
    cos, sin, tan = np.cos(angle), np.sin(angle), np.tan(shear)
    m = np.zeros((k, 3, 3))
    # zoom * rotation @ shear [[1, tan], [0, 1]], then the shift.
    m[:, 0, 0], m[:, 0, 1] = zoom * cos, zoom * (cos * tan - sin)
    m[:, 1, 0], m[:, 1, 1] = zoom * sin, zoom * (sin * tan + cos)
    m[:, :2, 2], m[:, 2, 2] = shift, 1.0
    m[flip] = np.diag([-1.0, 1.0, 1.0])
    return torch.from_numpy(_to_normalized(m, height, width)[:, :2]).float()


def invert_transforms(matrices: Tensor) -> Tensor:
    """(N, 2, 3) affine maps -> their inverses."""
    full = torch.cat(
        [matrices, torch.tensor([0.0, 0.0, 1.0], dtype=matrices.dtype).expand(len(matrices), 1, 3)],
        dim=1,
    )
    return torch.linalg.inv(full)[:, :2]


def _affine_grid(theta: Tensor, height: int, width: int) -> Tensor:
    """``F.affine_grid(theta, (N, C, H, W), align_corners=False)`` as broadcast sums: the same
    grid, without the batched matmul that costs as much as the sampling itself at this size."""
    xs = (torch.arange(width, dtype=theta.dtype) * 2 + 1) / width - 1
    ys = ((torch.arange(height, dtype=theta.dtype) * 2 + 1) / height - 1).view(-1, 1)
    t = theta.reshape(-1, 6, 1, 1)
    gx = t[:, 0] * xs + t[:, 1] * ys + t[:, 2]
    gy = t[:, 3] * xs + t[:, 4] * ys + t[:, 5]
    return torch.stack([gx, gy], dim=-1)


def warp(images: Tensor, matrices: Tensor, padding: str = "zeros") -> Tensor:
    """Move (N, C, H, W) images by their (N, 2, 3) forward transforms.

    Output pixel q takes the input at M^-1 q. What falls outside the frame becomes 0 (the mean
    colour, once the input is normalized) with ``padding="zeros"``, the frame's edge pixel
    with ``"border"``.
    """
    theta = invert_transforms(matrices).to(images)
    grid = _affine_grid(theta, *images.shape[-2:])
    return F.grid_sample(images, grid, mode="bilinear", padding_mode=padding, align_corners=False)


def unwarp(maps: Tensor, matrices: Tensor) -> Tensor:
    """Bring (N, C, H, W) maps made on transformed copies back to the original frame."""
    grid = _affine_grid(matrices.to(maps), *maps.shape[-2:])
    return F.grid_sample(maps, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def transform_points(
    matrices: Tensor, points_px: np.ndarray, *, height: int, width: int
) -> np.ndarray:
    """Where pixel points (P, 2) of (x, y) land under each transform: (N, P, 2)."""
    pts = np.asarray(points_px, dtype=np.float64)
    norm = np.stack([(2 * pts[:, 0] + 1) / width - 1, (2 * pts[:, 1] + 1) / height - 1], axis=1)
    homo = np.concatenate([norm, np.ones((len(pts), 1))], axis=1)
    moved = np.einsum("nij,pj->npi", matrices.double().numpy(), homo)
    return np.stack(
        [((moved[..., 0] + 1) * width - 1) / 2, ((moved[..., 1] + 1) * height - 1) / 2], -1
    )


# --- Grad-CAM ----------------------------------------------------------------------------------


def resolve_layer(model: nn.Module, target: str | nn.Module) -> nn.Module:
    if isinstance(target, nn.Module):
        return target
    if hasattr(model, "get_layer"):
        return model.get_layer(target)
    try:
        return model.get_submodule(target)
    except AttributeError as exc:
        raise ValueError(f"the model has no layer named {target!r}") from exc


def _target_score(outputs: dict[str, Tensor] | Tensor, score: str) -> Tensor:
    """Per-image scalar (B,) whose gradient the CAM follows."""
    if isinstance(outputs, Tensor):  # a plain classifier / regressor, e.g. in benchmarks
        return (
            outputs.reshape(len(outputs), -1)[:, 0]
            if score == "regression"
            else outputs.max(1).values
        )
    if score == "regression":
        return outputs["regression"].reshape(-1)
    if score == "logit":
        logits = outputs["logits"]
        return logits.gather(1, logits.argmax(1, keepdim=True)).squeeze(1)
    raise ValueError(f"unknown score {score!r}; choose one of {', '.join(SCORES)}")


def gradcam(
    model: nn.Module,
    batch: Tensor,
    *,
    target: str | nn.Module = DEFAULT_TARGET_LAYER,
    score: str = "regression",
) -> tuple[Tensor, dict[str, Tensor] | Tensor]:
    """Raw Grad-CAM maps (B, H, W) at the input's size, unscaled, and the model's outputs.

    One forward, one backward to the target layer. The part of the network before the target
    layer runs without recording a graph; the hook restarts recording on a detached copy of the
    activations, so the backward cannot go further and no weight gets a .grad.
    """
    if score not in SCORES:
        raise ValueError(f"unknown score {score!r}; choose one of {', '.join(SCORES)}")
    layer = resolve_layer(model, target)
    captured: list[Tensor] = []

    def hook(_module: nn.Module, _inputs: tuple, output: Tensor) -> Tensor:
        torch.set_grad_enabled(True)  # undone when the surrounding no_grad block exits
        act = output.detach().requires_grad_(True)
        captured.append(act)
        return act

    handle = layer.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        # inference_mode(False): callers inside an inference_mode block still get gradients.
        with torch.inference_mode(False), torch.no_grad():
            outputs = model(batch)
            if len(captured) != 1:
                raise ValueError("the target layer must run exactly once per forward pass")
            target_score = _target_score(outputs, score)
            # Images are independent in eval mode, so the gradient of the sum is each image's own.
            (grads,) = torch.autograd.grad(target_score.sum(), captured[0])
    finally:
        handle.remove()
        model.train(was_training)
    acts = captured[0].detach()
    weights = grads.mean(dim=(2, 3), keepdim=True)
    cams = F.relu((weights * acts).sum(dim=1, keepdim=True))
    cams = F.interpolate(cams, size=batch.shape[-2:], mode="bilinear", align_corners=False)
    outputs = (
        {k: v.detach() for k, v in outputs.items()}
        if isinstance(outputs, dict)
        else outputs.detach()
    )
    return cams[:, 0], outputs


def minmax(maps: Tensor) -> Tensor:
    """Per-image min-max scaling of (N, H, W) maps to [0, 1]; a flat map becomes all zeros."""
    flat = maps.reshape(len(maps), -1)
    lo = flat.min(dim=1).values.view(-1, 1, 1)
    hi = flat.max(dim=1).values.view(-1, 1, 1)
    return (maps - lo) / (hi - lo).clamp_min(1e-12)


# --- the patent's explanation ------------------------------------------------------------------


def explain_maps(
    model: nn.Module,
    x: Tensor,
    *,
    k: int = DEFAULT_K,
    seed: int = 0,
    target: str | nn.Module = DEFAULT_TARGET_LAYER,
    score: str = "regression",
    ranges: AugmentRanges = DEFAULT_RANGES,
    padding: str = DEFAULT_PADDING,
) -> tuple[Tensor, Tensor, Tensor]:
    """The unthresholded averaged map (H, W) in [0, 1], the k per-copy maps already warped back
    (k, H, W), and the k forward transforms (k, 2, 3). ``padding``: what a copy shows where its
    move uncovers the frame (see ``warp``)."""
    k = check_k(k)
    x = to_tensor(x)
    _, _, height, width = x.shape
    matrices = random_transforms(
        k, np.random.default_rng(seed), height=height, width=width, ranges=ranges
    )
    copies = x.expand(k, -1, -1, -1) if k == 1 else warp(x.expand(k, -1, -1, -1), matrices, padding)
    cams, _ = gradcam(model, copies, target=target, score=score)
    with torch.no_grad():
        # Each copy on its own [0, 1] scale, so no single copy dominates the average.
        cams = cams / cams.flatten(1).amax(1).clamp_min(1e-12).view(-1, 1, 1)
        if k == 1:
            back, seen = cams, torch.ones_like(cams)
        else:
            stacked = torch.stack([cams, torch.ones_like(cams)], dim=1)  # (k, 2, H, W)
            both = unwarp(stacked, matrices)
            back, seen = both[:, 0], both[:, 1]
        # Average over the copies that saw each pixel: a border pushed out of one copy's view is
        # not counted as "no acne" there.
        mean = back.sum(0) / seen.sum(0).clamp_min(1e-6)
        mean = torch.where(seen.sum(0) > 1e-3, mean, torch.zeros_like(mean))
        averaged = minmax(mean[None])[0]
    return averaged, back, matrices


def apply_threshold(mask: np.ndarray | Tensor, threshold: float) -> np.ndarray:
    """Values below t are set to 0; the rest are kept as they are."""
    arr = mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    arr = arr.astype(np.float32, copy=True)
    arr[arr < check_threshold(threshold)] = 0.0
    return arr


def explain(
    model: nn.Module,
    tensor_or_image: Tensor | Image.Image | np.ndarray,
    *,
    k: int = DEFAULT_K,
    threshold: float = DEFAULT_THRESHOLD,
    seed: int = 0,
    target: str | nn.Module = DEFAULT_TARGET_LAYER,
    score: str = "regression",
    mean: tuple[float, ...] | list[float] = IMAGENET_MEAN,
    std: tuple[float, ...] | list[float] = IMAGENET_STD,
) -> np.ndarray:
    """The patent's activation mask: (H, W) float32 in [0, 1], in the normalized face's frame.

    ``tensor_or_image``: a normalized face as an image (then ``mean``/``std`` tensorize it) or
    as an already normalized tensor. ``target``: the layer (dotted name or module).
    Deterministic for a given ``seed``.
    """
    check_threshold(threshold)
    x = to_tensor(tensor_or_image, mean=mean, std=std)
    averaged, _, _ = explain_maps(model, x, k=k, seed=seed, target=target, score=score)
    return apply_threshold(averaged, threshold)


def mask_stats(mask: np.ndarray) -> dict[str, float | list[int]]:
    """A short summary of a mask for JSON: coverage (share of pixels kept), mean, peak (x, y)."""
    y, x = np.unravel_index(int(np.argmax(mask)), mask.shape)
    return {
        "shape": [int(mask.shape[0]), int(mask.shape[1])],
        "coverage": round(float((mask > 0).mean()), 4),
        "mean": round(float(mask.mean()), 4),
        "max": round(float(mask.max()), 4),
        "peak": [int(x), int(y)],
    }


def overlay(
    image: Image.Image | np.ndarray,
    mask: np.ndarray,
    *,
    alpha: float = 0.5,
    colormap: int = cv2.COLORMAP_JET,
) -> Image.Image:
    """A colour heatmap of ``mask`` blended over ``image`` where the mask is above 0.

    The image and mask share a frame; a mask of another size is resized to the image.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    rgb = np.asarray(
        image.convert("RGB") if isinstance(image, Image.Image) else image, dtype=np.uint8
    )
    m = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
    if m.shape != rgb.shape[:2]:
        m = cv2.resize(m, (rgb.shape[1], rgb.shape[0]), interpolation=cv2.INTER_LINEAR)
    colour = cv2.applyColorMap((m * 255).astype(np.uint8), colormap)[:, :, ::-1].astype(np.float32)
    a = np.where(m > 0, alpha, 0.0)[:, :, None]
    out = rgb.astype(np.float32) * (1 - a) + colour * a
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


def heatmap_layer(
    mask: np.ndarray,
    matrix: np.ndarray,
    size: tuple[int, int],
    *,
    colormap: int = cv2.COLORMAP_JET,
) -> Image.Image:
    """The mask as a transparent colour layer in the frame of the original photo.

    ``mask`` lives in the normalized face's frame; ``matrix`` (2x3) maps original pixels to that
    frame, so its inverse puts the heatmap back over the face of a ``size`` (width, height)
    photo. Pixels the mask drops (0) stay fully transparent: a page can stack the layer on the
    photo and let the shopper toggle it or change its opacity.
    """
    m = np.clip(np.asarray(mask, dtype=np.float32), 0.0, 1.0)
    inverse = cv2.invertAffineTransform(np.asarray(matrix, dtype=np.float64))
    width, height = size
    back = cv2.warpAffine(m, inverse, (width, height), flags=cv2.INTER_LINEAR, borderValue=0.0)
    colour = cv2.applyColorMap((back * 255).astype(np.uint8), colormap)[:, :, ::-1]
    # Weak activations fade in rather than switching on at the threshold.
    alpha = np.where(back > 0, 96 + back * 159, 0).astype(np.uint8)
    return Image.fromarray(np.dstack([colour, alpha]), "RGBA")


def save_png(image: Image.Image, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")
    return path
