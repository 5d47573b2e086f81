"""The encoders: EfficientNet-Lite0 built as the ImageNet weights expect, and those weights
loaded from the package that ships them."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from diagnosis.ml import explain as xai
from diagnosis.ml.encoders import (
    EfficientNetLite0,
    SameConv2d,
    efficientnet_lite0_weights_file,
    fold_batchnorm,
    lite0_state_from_package,
    load_imagenet_weights,
)
from diagnosis.ml.model import SkinNet

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


def test_the_encoder_pools_to_1280_features():
    encoder = EfficientNetLite0().eval()
    with torch.no_grad():
        assert encoder(torch.randn(2, 3, 96, 96)).shape == (2, 1280)


def test_every_packaged_weight_finds_its_layer():
    state = torch.load(efficientnet_lite0_weights_file(), map_location="cpu", weights_only=True)
    ours = lite0_state_from_package(state)
    missing, unexpected = EfficientNetLite0().load_state_dict(ours, strict=False)
    assert not missing and not unexpected
    assert not any(k.startswith("_fc") for k in ours)  # the ImageNet classifier is dropped


@pytest.fixture(scope="module")
def imagenet_lite0():
    encoder = EfficientNetLite0()
    load_imagenet_weights(encoder, "efficientnet_lite0")
    state = torch.load(efficientnet_lite0_weights_file(), map_location="cpu", weights_only=True)
    return encoder.eval(), state["_fc.weight"], state["_fc.bias"]


@pytest.mark.parametrize(("name", "classes"), [("chelsea", CATS), ("coffee", COFFEE)])
def test_the_imagenet_weights_see_what_is_in_the_photo(imagenet_lite0, name, classes):
    from skimage import data

    encoder, fc_weight, fc_bias = imagenet_lite0
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
