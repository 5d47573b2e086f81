"""k-augmentation Grad-CAM (diagnosis.ml.explain): shapes, threshold, inverse warps, k range,
no weight gradients, one forward, determinism, overlay."""

import numpy as np
import pytest
import torch
from PIL import Image

from diagnosis.ml import explain as xai
from diagnosis.ml.contract import to_tensor
from diagnosis.ml.model import SkinNet

SIZE = 64


@pytest.fixture(scope="module")
def model() -> SkinNet:
    torch.manual_seed(0)
    return SkinNet(arch="resnet18", num_grades=6).eval()


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    rng = np.random.default_rng(3)
    return rng.integers(0, 256, size=(SIZE, SIZE, 3), dtype=np.uint8)


def _blob(x0: float, y0: float, size: int = SIZE, sigma: float = 2.0) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    return torch.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * sigma**2))[None, None]


def _peak(img: torch.Tensor) -> tuple[int, int]:
    y, x = np.unravel_index(int(img.reshape(-1).argmax()), img.shape[-2:])
    return int(x), int(y)


def test_mask_is_in_the_normalized_face_frame_and_in_0_1(model, face):
    mask = xai.explain(model, face, k=4, threshold=0.0, seed=1, target="encoder.layer3")
    assert mask.shape == (SIZE, SIZE)
    assert mask.dtype == np.float32
    assert mask.min() == 0.0
    assert mask.max() == pytest.approx(1.0)


def test_threshold_drops_values_below_t_and_keeps_the_rest(model, face):
    full = xai.explain(model, face, k=4, threshold=0.0, seed=1)
    cut = xai.explain(model, face, k=4, threshold=0.5, seed=1)
    below = full < 0.5
    assert below.any() and (~below).any()
    assert (cut[below] == 0).all()
    np.testing.assert_array_equal(cut[~below], full[~below])


@pytest.mark.parametrize("t", [-0.1, 1.0, 2.0])
def test_threshold_outside_0_1_is_refused(model, face, t):
    with pytest.raises(ValueError, match="threshold"):
        xai.explain(model, face, k=2, threshold=t)


@pytest.mark.parametrize("k", [0, -1, 21, 100, 2.5, True])
def test_k_outside_the_patent_range_is_refused(model, face, k):
    with pytest.raises(ValueError, match="k must be"):
        xai.explain(model, face, k=k)


@pytest.mark.parametrize("k", [1, 2, 20])
def test_k_of_1_and_the_ends_of_2_to_20_are_accepted(k):
    assert xai.check_k(k) == k


def test_k_of_1_is_plain_gradcam_without_augmentation():
    matrices = xai.random_transforms(1, np.random.default_rng(0), height=SIZE, width=SIZE)
    np.testing.assert_array_equal(matrices.numpy(), [[[1, 0, 0], [0, 1, 0]]])


def test_a_known_point_lands_back_where_it_was_under_each_inverse():
    matrices = xai.random_transforms(20, np.random.default_rng(7), height=48, width=80)
    point = np.array([[30.0, 17.0]])
    moved = xai.transform_points(matrices, point, height=48, width=80)
    assert not np.allclose(moved[:, 0], point)  # the copies really move
    back = np.stack(
        [
            xai.transform_points(xai.invert_transforms(m[None]), moved[i], height=48, width=80)[0]
            for i, m in enumerate(matrices)
        ]
    )
    np.testing.assert_allclose(back[:, 0], np.repeat(point, 20, axis=0), atol=1e-6)


def test_warping_moves_pixels_where_the_matrix_says_and_unwarping_brings_them_back():
    x0, y0 = 27.0, 36.0
    img = _blob(x0, y0).expand(12, 1, SIZE, SIZE).contiguous()
    matrices = xai.random_transforms(12, np.random.default_rng(11), height=SIZE, width=SIZE)
    expected = xai.transform_points(matrices, np.array([[x0, y0]]), height=SIZE, width=SIZE)[:, 0]
    moved = xai.warp(img, matrices)
    back = xai.unwarp(moved, matrices)
    for i in range(12):
        mx, my = _peak(moved[i])
        assert abs(mx - expected[i, 0]) <= 1 and abs(my - expected[i, 1]) <= 1
        assert _peak(back[i]) == (int(x0), int(y0))


def test_a_mirrored_copy_is_the_mirror_image_and_unwarps_to_the_original():
    flip = torch.tensor([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    img = torch.rand(1, 3, SIZE, SIZE)
    np.testing.assert_allclose(xai.warp(img, flip).numpy(), img.flip(-1).numpy(), atol=1e-5)
    np.testing.assert_allclose(
        xai.unwarp(xai.warp(img, flip), flip).numpy(), img.numpy(), atol=1e-5
    )


def test_augmentations_are_a_mix_of_mirrors_and_random_affines():
    matrices = xai.random_transforms(20, np.random.default_rng(0), height=SIZE, width=SIZE)
    mirrors = [bool(torch.equal(m, torch.tensor([[-1.0, 0, 0], [0, 1.0, 0]]))) for m in matrices]
    assert 0 < sum(mirrors) < 20
    affines = matrices[[not m for m in mirrors]]
    assert len({tuple(m.flatten().tolist()) for m in affines}) == len(affines)


def test_random_affines_stay_within_their_ranges():
    ranges = xai.DEFAULT_RANGES
    matrices = xai.random_transforms(20, np.random.default_rng(5), height=48, width=80)
    affines = [m for m in matrices if not torch.equal(m, torch.tensor([[-1.0, 0, 0], [0, 1.0, 0]]))]
    for m in affines:
        # Back in pixel units, rotation and shear keep the area: the determinant is zoom**2.
        px = np.diag([40.0, 24.0]) @ m[:, :2].double().numpy() @ np.diag([1 / 40, 1 / 24])
        assert ranges.scale[0] ** 2 - 1e-6 <= np.linalg.det(px) <= ranges.scale[1] ** 2 + 1e-6
        assert abs(float(m[0, 2])) <= 2 * ranges.translate + 1e-6
        assert abs(float(m[1, 2])) <= 2 * ranges.translate + 1e-6


def test_the_sampling_grid_is_torchs_affine_grid():
    theta = xai.random_transforms(6, np.random.default_rng(2), height=48, width=80)
    ours = xai._affine_grid(theta, 48, 80)
    torchs = torch.nn.functional.affine_grid(theta, [6, 1, 48, 80], align_corners=False)
    torch.testing.assert_close(ours, torchs, atol=1e-6, rtol=0)


def test_no_weight_receives_a_gradient(face):
    torch.manual_seed(1)
    fresh = SkinNet(arch="resnet18", num_grades=6).eval()
    xai.explain(fresh, face, k=5, seed=0)
    assert all(p.grad is None for p in fresh.parameters())
    assert all(p.requires_grad for p in fresh.parameters())


def test_all_k_copies_go_through_one_batched_forward(model, face):
    calls: list[int] = []
    handle = model.register_forward_hook(lambda _m, inputs, _o: calls.append(inputs[0].shape[0]))
    try:
        xai.explain(model, face, k=10, seed=0)
    finally:
        handle.remove()
    assert calls == [10]


def test_the_backward_stops_at_the_target_layer(model, face):
    # Nothing before the target layer is recorded: the first layer never sees a gradient.
    seen: list[str] = []
    handle = model.encoder.layer1.register_full_backward_hook(lambda *_: seen.append("layer1"))
    try:
        xai.explain(model, face, k=3, seed=0, target="encoder.layer3")
    finally:
        handle.remove()
    assert seen == []


def test_explain_leaves_grad_mode_and_train_mode_as_they_were(face):
    torch.manual_seed(2)
    net = SkinNet(arch="resnet18", num_grades=6).train()
    with torch.no_grad():
        xai.explain(net, face, k=2, seed=0)
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()
    assert net.training


def test_explain_works_inside_inference_mode(model, face):
    expected = xai.explain(model, face, k=2, seed=0)
    with torch.inference_mode():
        x = to_tensor(face)
        np.testing.assert_array_equal(xai.explain(model, x, k=2, seed=0), expected)
        assert torch.is_inference_mode_enabled()


def test_same_seed_same_mask_other_seed_other_mask(model, face):
    a = xai.explain(model, face, k=6, seed=5, threshold=0.0)
    b = xai.explain(model, face, k=6, seed=5, threshold=0.0)
    c = xai.explain(model, face, k=6, seed=6, threshold=0.0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_k1_matches_gradcam_computed_with_a_full_backward(face):
    torch.manual_seed(4)
    net = SkinNet(arch="resnet18", num_grades=6).eval()
    x = to_tensor(face)
    ours = xai.explain(net, x, k=1, threshold=0.0, target="encoder.layer4")
    # The textbook way: keep the activations, backpropagate the whole graph, read their .grad.
    kept = {}
    handle = net.encoder.layer4.register_forward_hook(lambda _m, _i, out: kept.update(a=out))
    out = net(x)
    kept["a"].retain_grad()
    out["regression"].sum().backward()
    handle.remove()
    weights = kept["a"].grad.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((weights * kept["a"]).sum(1, keepdim=True)).detach()
    cam = torch.nn.functional.interpolate(cam, size=(SIZE, SIZE), mode="bilinear")[0, 0]
    cam = ((cam - cam.min()) / (cam.max() - cam.min())).numpy()
    np.testing.assert_allclose(ours, cam, atol=1e-4)


def test_logit_score_is_available_and_unknown_scores_are_refused(model, face):
    mask = xai.explain(model, face, k=2, score="logit")
    assert mask.shape == (SIZE, SIZE)
    with pytest.raises(ValueError, match="unknown score"):
        xai.explain(model, face, k=2, score="loss")


def test_unknown_target_layer_is_refused(model, face):
    with pytest.raises(ValueError, match="no layer"):
        xai.explain(model, face, k=2, target="encoder.layer9")


def test_overlay_colours_only_where_the_mask_is_above_zero(tmp_path):
    face = np.full((SIZE, SIZE, 3), 120, dtype=np.uint8)
    mask = np.zeros((SIZE, SIZE), dtype=np.float32)
    mask[10:20, 30:40] = 1.0
    mask[40:50, 5:15] = 0.4
    shown = xai.overlay(face, mask, alpha=0.6)
    arr = np.asarray(shown)
    assert shown.size == (SIZE, SIZE) and shown.mode == "RGB"
    assert (arr[mask == 0] == 120).all()
    assert (arr[mask > 0] != 120).any(axis=-1).all()
    assert not np.array_equal(arr[15, 35], arr[45, 10])  # strong and weak values get other colours
    path = xai.save_png(shown, tmp_path / "out" / "heatmap.png")
    assert Image.open(path).format == "PNG"


def test_mask_stats_summarize_coverage_and_peak():
    mask = np.zeros((10, 20), dtype=np.float32)
    mask[2, 15] = 1.0
    mask[3, 3] = 0.5
    stats = xai.mask_stats(mask)
    assert stats["peak"] == [15, 2]
    assert stats["coverage"] == pytest.approx(2 / 200)
    assert stats["shape"] == [10, 20]


def test_a_heatmap_does_not_point_past_the_photos_edge():
    from diagnosis.ml.face import NormalizedFace
    from diagnosis.ml.inference import in_photo

    # The crop's left 20 columns lie left of the photo (a face at its edge).
    matrix = np.array([[0.5, 0.0, 20.0], [0.0, 0.5, 0.0]])
    face = NormalizedFace(image=np.zeros((64, 64, 3), np.uint8), box=(0, 0, 88, 128), matrix=matrix)
    averaged = np.full((64, 64), 0.2, np.float32)
    averaged[30, 5] = 1.0  # the peak on repeated edge pixels
    averaged[30, 40] = 0.6  # a lesion on the skin

    kept = in_photo(averaged, face, np.zeros((128, 400, 3), np.uint8))

    assert not kept[:, :19].any()
    assert np.unravel_index(int(kept.argmax()), kept.shape) == (30, 40) and kept.max() == 1.0
    # A crop wholly inside the photo keeps its map as it was.
    inside = NormalizedFace(
        image=face.image, box=(0, 0, 1, 1), matrix=np.array([[0.5, 0, 0], [0, 0.5, 0.0]])
    )
    np.testing.assert_array_equal(
        in_photo(averaged, inside, np.zeros((128, 128, 3), np.uint8)), averaged
    )
