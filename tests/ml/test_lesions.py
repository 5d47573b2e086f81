"""The lesion counter (lesions.py): its training targets, its head, the checkpoint it travels
in, and the zones it counts lesions in."""

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from diagnosis.ml import lesions
from diagnosis.ml.checkpoint import load_checkpoint_with_extra, save_checkpoint
from diagnosis.ml.errors import CheckpointError
from diagnosis.ml.face import normalize_face
from diagnosis.ml.inference import Analyzer
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from diagnosis.ml.zones import findings, zone_map
from modelbuilding import lesion_training

SIZE = 224
EYES = ((82.0, 90.0), (142.0, 90.0))
RESNET_LAYERS = ("encoder.layer2", "encoder.layer3")  # strides 8 and 16


def test_the_target_holds_one_lesion_per_box_on_the_grid():
    boxes = np.array([[40, 40, 48, 48], [100, 150, 110, 160], [180, 20, 186, 26]])

    target = lesion_training.density_target(boxes, SIZE)

    assert target.shape == (SIZE // lesions.STRIDE,) * 2
    assert target.sum() == pytest.approx(3.0, abs=1e-4)
    # Each lesion sits where its box is: the cell under the first box's centre (44, 44).
    assert np.unravel_index(target.argmax(), target.shape) in {(5, 5), (19, 13), (2, 22)}
    assert target[5, 5] > target[5, 10]


def test_a_lesion_at_the_edge_still_counts_once():
    target = lesion_training.density_target(np.array([[0, 0, 3, 3]]), SIZE)

    assert target.sum() == pytest.approx(1.0, abs=1e-4)


def test_mirrored_boxes_give_the_mirrored_target():
    boxes = np.array([[30, 60, 40, 70], [150, 100, 160, 112]])

    mirrored = lesion_training.density_target(lesion_training.mirrored(boxes, SIZE), SIZE)

    expected = lesion_training.density_target(boxes, SIZE)[:, ::-1]
    np.testing.assert_allclose(mirrored, expected, atol=1e-6)


def test_upsampling_spreads_the_density_over_pixels_and_keeps_the_count():
    density = lesion_training.density_target(np.array([[100, 100, 108, 108]]), SIZE)

    spread = lesions.upsample(density, SIZE)

    assert spread.shape == (SIZE, SIZE)
    assert spread.sum() == pytest.approx(1.0, rel=0.02)
    assert 95 <= np.unravel_index(spread.argmax(), spread.shape)[0] <= 112


def test_the_head_learns_to_count_from_features_that_show_the_lesions():
    # Features that mark lesions in one channel: the head must learn to turn them into counts.
    rng = np.random.default_rng(0)
    grid = SIZE // lesions.STRIDE
    maps, targets = [], []
    for _ in range(96):
        n = int(rng.integers(0, 8))
        centres = rng.uniform(16, SIZE - 16, (n, 2))
        boxes = np.c_[centres - 3, centres + 3]
        target = lesion_training.density_target(boxes, SIZE)
        features = rng.normal(0, 0.1, (4, grid, grid)).astype(np.float32)
        features[0] += target * 10
        maps.append(features)
        targets.append(target)
    x, y = torch.from_numpy(np.stack(maps)), torch.from_numpy(np.stack(targets))

    head = lesion_training.fit(x[:80], y[:80], epochs=60, lr=5e-3, log=lambda *_: None)

    with torch.no_grad():
        counted = head(x[80:]).sum(dim=(1, 2)).numpy()
    assert np.abs(counted - y[80:].sum(dim=(1, 2)).numpy()).mean() < 0.6


def test_tapping_layers_sees_the_forward_and_leaves_no_hook_behind():
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades).eval()

    with lesions.tap(model, RESNET_LAYERS) as maps, torch.no_grad():
        model(torch.zeros(2, 3, SIZE, SIZE))

    assert maps["encoder.layer2"].shape[-2:] == (SIZE // 8, SIZE // 8)
    assert maps["encoder.layer3"].shape[-2:] == (SIZE // 16, SIZE // 16)
    assert not model.get_submodule("encoder.layer2")._forward_hooks


def test_the_counter_s_own_forward_stops_once_its_layers_have_run():
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades).eval()
    x = torch.rand(1, 3, SIZE, SIZE)
    ran_after = []
    model.get_submodule("encoder.layer4").register_forward_hook(lambda *_: ran_after.append(1))

    with torch.no_grad():
        with lesions.tap(model, RESNET_LAYERS, stop=True) as maps:
            model(x)
        with lesions.tap(model, RESNET_LAYERS) as full:
            model(x)

    assert set(maps) == set(RESNET_LAYERS)
    for name in RESNET_LAYERS:
        torch.testing.assert_close(maps[name], full[name])
    assert ran_after == [1], "only the full forward reached the layer after them"
    assert not model.get_submodule("encoder.layer3")._forward_hooks


def _checkpoint_with_counter(path, seed=0, input_size=None):
    torch.manual_seed(seed)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    head = lesions.LesionHead(128 + 256)
    counter = lesions.LesionCounter(head.eval(), RESNET_LAYERS, input_size)
    meta = {
        "scale": GEA.to_dict(),
        "input_size": SIZE,
        "decision_rule": "expectation",
        "target_layer": "encoder.layer3",
        "lesion_head": counter.to_meta(),
    }
    save_checkpoint(path, model, meta, extra=counter.to_extra())
    return counter


def test_a_checkpoint_carries_its_counter_and_gives_it_back(tmp_path):
    saved = _checkpoint_with_counter(tmp_path / "model.pt")

    _, meta, extra = load_checkpoint_with_extra(tmp_path / "model.pt")
    loaded = lesions.LesionCounter.from_checkpoint(meta, extra)

    assert loaded.layers == RESNET_LAYERS
    for key, value in saved.head.state_dict().items():
        torch.testing.assert_close(loaded.head.state_dict()[key], value)


def test_a_counter_on_a_larger_crop_travels_with_its_size(tmp_path):
    _checkpoint_with_counter(tmp_path / "model.pt", input_size=2 * SIZE)

    _, meta, extra = load_checkpoint_with_extra(tmp_path / "model.pt")
    loaded = lesions.LesionCounter.from_checkpoint(meta, extra)

    assert loaded.input_size == 2 * SIZE
    assert loaded.reads_its_own_crop(SIZE)
    assert not lesions.LesionCounter(loaded.head, RESNET_LAYERS).reads_its_own_crop(SIZE)


def test_the_counter_s_crop_is_the_face_s_crop_drawn_at_its_size(selfie):
    rgb = np.asarray(Image.open(selfie).convert("RGB"))
    face = normalize_face(rgb, size=SIZE)

    larger = lesions.crop_for(rgb, face, 2 * SIZE)

    # The same normalization asked for twice the side: the same skin, twice the pixels.
    direct = normalize_face(rgb, size=2 * SIZE).image
    assert larger.shape == direct.shape == (2 * SIZE, 2 * SIZE, 3)
    assert np.abs(larger.astype(int) - direct.astype(int)).max() <= 1
    halved = cv2.resize(larger, (SIZE, SIZE), interpolation=cv2.INTER_AREA)
    assert np.abs(halved.astype(float) - face.image.astype(float)).mean() < 3.0


def test_a_counter_on_a_larger_crop_counts_on_a_finer_grid(tmp_path, selfie):
    _checkpoint_with_counter(tmp_path / "model.pt", input_size=2 * SIZE)
    analyzer = Analyzer.load(tmp_path / "model.pt")
    grids = []
    density = analyzer.counter.density
    analyzer.counter.density = lambda maps: grids.append(density(maps)) or grids[-1]

    result = analyzer.analyze(selfie, explain=False)

    assert grids[0].shape[-2:] == (2 * SIZE // lesions.STRIDE,) * 2
    assert result.lesions == pytest.approx(float(grids[0].sum()), rel=1e-5)
    assert result.zones and sum(z["lesions"] for z in result.zones) <= result.lesions + 0.5


def test_a_checkpoint_without_a_counter_has_none():
    assert lesions.LesionCounter.from_checkpoint({"scale": {}}, {}) is None


def test_a_counter_whose_weights_are_missing_is_a_checkpoint_error(tmp_path):
    saved = _checkpoint_with_counter(tmp_path / "model.pt")
    meta = {"lesion_head": saved.to_meta()}

    with pytest.raises(CheckpointError, match="lesion counter"):
        lesions.LesionCounter.from_checkpoint(meta, {})


def test_the_analysis_counts_lesions_per_zone_when_the_model_has_a_counter(tmp_path, selfie):
    _checkpoint_with_counter(tmp_path / "model.pt")
    analyzer = Analyzer.load(tmp_path / "model.pt")

    result = analyzer.analyze(selfie, explain=False)

    assert result.lesions is not None and result.lesions > 0
    assert result.zones, "the count gives zones even without a heatmap"
    assert all("lesions" in z for z in result.zones)
    assert sum(z["lesions"] for z in result.zones) <= result.lesions + 0.5
    assert result.to_dict()["lesions"] == round(result.lesions, 1)


def test_zones_are_ranked_by_the_lesions_counted_in_them():
    frontal = zone_map(size=SIZE, view="frontal", eyes=EYES)
    areas = frontal.areas()
    density = np.zeros((SIZE, SIZE), np.float32)
    # Three lesions spread over the chin and jaw, two packed on the nose: the heat over the
    # square root of the area would put the nose first; the count puts the chin first.
    density[frontal.labels == frontal.names.index("chin")] = 3.0 / areas["chin"]
    density[frontal.labels == frontal.names.index("nose")] = 2.0 / areas["nose"]

    counted = findings(None, frontal, score=3.0, density=density)

    assert [z["zone"] for z in counted[:2]] == ["chin", "nose"]
    assert counted[0]["lesions"] == pytest.approx(3.0, abs=0.05)
    assert counted[0]["severity"] == pytest.approx(3.0)
    assert counted[1]["severity"] == pytest.approx(2.0, abs=0.05)
    assert findings(density, frontal, score=3.0)[0]["zone"] == "nose"


def test_findings_need_something_to_weigh():
    with pytest.raises(ValueError):
        findings(None, zone_map(size=SIZE, view="frontal", eyes=EYES), score=1.0)
