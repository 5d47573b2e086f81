"""The encoders: EfficientNet-Lite0, -Lite1 and -Lite2 built as their ImageNet weights expect,
and those weights loaded from the packages that ship them."""

import argparse

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from diagnosis.ml import explain as xai
from diagnosis.ml.checkpoint import SHIPPED, load_checkpoint
from diagnosis.ml.encoders import (
    EFFICIENTNETS,
    EfficientNetLite,
    SameConv2d,
    fold_batchnorm,
    lite_state_from_package,
    lite_weights_file,
    load_imagenet_weights,
)
from diagnosis.ml.lesions import layers_for
from diagnosis.ml.model import SkinNet
from modelbuilding.build import _config, add_cli

# ImageNet classes: 281-285 cats, 967 espresso, 968 cup.
CATS, COFFEE = set(range(281, 286)), {967, 968}


@pytest.mark.parametrize("size", [223, 224])
def test_same_padding_matches_tensorflow_at_stride_2(size):
    conv = SameConv2d(1, 1, 3, 2, bias=False)
    x = torch.randn(1, 1, size, size)
    total = max((-(-size // 2) - 1) * 2 + 3 - size, 0)  # TensorFlow's rule
    expected = F.conv2d(F.pad(x, [total // 2, total - total // 2] * 2), conv.weight, stride=2)
    torch.testing.assert_close(conv(x), expected)
    assert conv(x).shape[-1] == -(-size // 2)


@pytest.mark.parametrize(
    ("arch", "blocks"), [("efficientnet_lite0", 16), ("efficientnet_lite1", 21)]
)
def test_the_encoder_pools_to_1280_features(arch, blocks):
    encoder = EfficientNetLite(arch).eval()
    assert len(encoder.blocks) == blocks
    with torch.no_grad():
        assert encoder(torch.randn(2, 3, 96, 96)).shape == (2, 1280)


def test_lite2_is_wider_than_lite1_from_stage_3_on():
    lite1, lite2 = EfficientNetLite("efficientnet_lite1"), EfficientNetLite("efficientnet_lite2")
    assert len(lite2.blocks) == len(lite1.blocks) == 21
    assert lite1.blocks[6].project[0].out_channels == 40
    assert lite2.blocks[6].project[0].out_channels == 48
    assert lite2.blocks[20].project[0].out_channels == 352
    assert lite2.head[0].out_channels == 1280


@pytest.mark.parametrize("arch", EFFICIENTNETS)
def test_every_packaged_weight_finds_its_layer(arch):
    state = torch.load(lite_weights_file(arch), map_location="cpu", weights_only=True)
    ours = lite_state_from_package(state)
    missing, unexpected = EfficientNetLite(arch).load_state_dict(ours, strict=False)
    assert not missing and not unexpected
    assert not any(k.startswith("_fc") for k in ours)  # the ImageNet classifier is dropped


def test_one_variant_does_not_take_anothers_weights():
    with pytest.raises(RuntimeError, match="size mismatch"):
        load_imagenet_weights(EfficientNetLite("efficientnet_lite1"), "efficientnet_lite2")


@pytest.fixture(scope="module", params=EFFICIENTNETS)
def imagenet_lite(request):
    encoder = EfficientNetLite(request.param)
    load_imagenet_weights(encoder, request.param)
    state = torch.load(lite_weights_file(request.param), map_location="cpu", weights_only=True)
    return encoder.eval(), state["_fc.weight"], state["_fc.bias"]


@pytest.mark.parametrize(("name", "classes"), [("chelsea", CATS), ("coffee", COFFEE)])
def test_the_imagenet_weights_see_what_is_in_the_photo_at_224(imagenet_lite, name, classes):
    from skimage import data

    encoder, fc_weight, fc_bias = imagenet_lite
    image = Image.fromarray(getattr(data, name)()).convert("RGB").resize((224, 224))
    x = torch.from_numpy(np.array(image)).permute(2, 0, 1).float()
    with torch.no_grad():
        logits = encoder(((x - 127) / 128)[None]) @ fc_weight.T + fc_bias
    assert int(logits.argmax()) in classes


def test_skinnet_on_efficientnet_explains_through_a_block():
    torch.manual_seed(0)
    model = SkinNet(arch="efficientnet_lite0", num_grades=6, aux_heads={"gender": 2}).eval()
    x = torch.randn(1, 3, 96, 96)
    with torch.no_grad():
        out = model(x)
    assert out["logits"].shape == (1, 6) and out["features"].shape == (1, 1280)
    heatmap = xai.explain(model, x, k=3, threshold=0.0, target="encoder.blocks.10")
    assert heatmap.shape == (96, 96) and heatmap.max() == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("arch", "stride8", "stride16"),
    [
        ("efficientnet_lite0", "encoder.blocks.4", "encoder.blocks.10"),
        ("efficientnet_lite1", "encoder.blocks.6", "encoder.blocks.14"),
        ("efficientnet_lite2", "encoder.blocks.6", "encoder.blocks.14"),
    ],
)
def test_each_lite_is_read_and_explained_where_its_stages_3_and_5_end(arch, stride8, stride16):
    model = SkinNet(arch=arch, num_grades=6).eval()
    assert layers_for(arch) == (stride8, stride16)
    assert _config(build_args("--archs", arch), arch, seed=0).target_layer == stride16
    x = torch.randn(1, 3, 224, 224)
    shapes = {}
    for name in (stride8, stride16):
        model.get_layer(name).register_forward_hook(
            lambda _m, _i, out, name=name: shapes.__setitem__(name, out.shape)
        )
    with torch.no_grad():
        model(x)
    # the block after each is the next stage's first, which changes the channels
    assert shapes[stride8][-1] == 224 // 8 and shapes[stride16][-1] == 224 // 16
    assert shapes[stride16][1] == model.get_layer(stride16).project[0].out_channels
    next_block = model.get_layer(stride16.rsplit(".", 1)[0])[int(stride16.rsplit(".", 1)[1]) + 1]
    assert next_block.depthwise[0].stride == (2, 2)


def build_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_cli(parser.add_subparsers())
    return parser.parse_args(["build-model", *argv])


def test_the_larger_lites_are_trained_only_when_asked_for():
    assert build_args().archs == ["efficientnet_lite0", "resnet18"]
    assert build_args("--archs", "efficientnet_lite1").archs == ["efficientnet_lite1"]
    # the stem and stages 1-2 stay frozen: Lite0's first 3 blocks, the larger ones' first 4
    assert _config(build_args(), "efficientnet_lite0", seed=0).freeze_blocks == 3
    for arch in ("efficientnet_lite1", "efficientnet_lite2"):
        config = _config(build_args("--archs", arch), arch, seed=0)
        assert (config.imagenet_weights, config.freeze_blocks, config.lr) == ("bundled", 4, 1e-3)


def test_the_shipped_lite0_model_loads_into_the_parametrised_encoder():
    model, meta = load_checkpoint(SHIPPED["real"])
    assert meta["arch"] == "efficientnet_lite0"
    assert isinstance(model.encoder, EfficientNetLite) and len(model.encoder.blocks) == 16
    names = {name for name, _ in model.named_modules()}
    assert {"encoder.stem", "encoder.blocks.15", "encoder.head", meta["target_layer"]} <= names
    assert set(meta["lesion_head"]["layers"]) <= names


def test_a_resnet_cannot_take_the_bundled_weights():
    with pytest.raises(ValueError, match="no bundled ImageNet weights"):
        SkinNet(arch="resnet18", num_grades=6).load_imagenet_weights()


def test_folding_batch_norms_keeps_the_outputs_and_the_layer_names():
    torch.manual_seed(0)
    model = SkinNet(arch="efficientnet_lite0", num_grades=6).eval()
    for bn in (m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        before = model(x)["regression"]
    names = {name for name, _ in model.named_modules()}

    folded = fold_batchnorm(model)

    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert names == {name for name, _ in folded.named_modules()}
    with torch.no_grad():
        torch.testing.assert_close(folded(x)["regression"], before, atol=1e-4, rtol=1e-4)


def test_a_training_model_is_not_folded():
    with pytest.raises(ValueError, match="eval mode"):
        fold_batchnorm(SkinNet(arch="efficientnet_lite0", num_grades=6).train())
