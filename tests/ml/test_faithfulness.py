"""Heatmap faithfulness on synthetic selfies and each checkpoint's own heatmap threshold."""

import numpy as np
import pytest
import torch

from diagnosis.ml.checkpoint import save_checkpoint
from diagnosis.ml.inference import Analyzer
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from modelbuilding import faithfulness as faith


def _square(size: int, x0: int, x1: int) -> np.ndarray:
    mask = np.zeros((size, size), bool)
    mask[x0:x1, x0:x1] = True
    return mask


def test_overlap_of_the_kept_region_with_the_lesions():
    heatmap = np.zeros((10, 10), np.float32)
    heatmap[:5, :5] = 0.8  # 25 pixels kept at t=0.5 ...
    lesions = _square(10, 0, 2)  # ... 4 of them on the lesions, which are all kept

    m = faith.overlap(heatmap, lesions, 0.5)

    assert m["coverage"] == 0.25 and m["recall"] == 1.0 and m["precision"] == 4 / 25
    assert m["f1"] == pytest.approx(2 * (4 / 25) / (1 + 4 / 25))
    assert faith.overlap(heatmap, lesions, 0.9)["f1"] == 0.0  # nothing kept


def test_the_threshold_with_the_best_f1_is_chosen():
    # A bright core on the lesions and a faint halo around them: above 0.5 only the core stays.
    heatmap = np.full((20, 20), 0.35, np.float32)
    heatmap[5:10, 5:10] = 0.9
    lesions = _square(20, 5, 10)

    best, table = faith.choose_threshold([heatmap], [lesions], (0.3, 0.5, 0.7))

    assert best == 0.5 and table[0.5]["f1"] == 1.0
    assert table[0.3]["coverage"] == 1.0  # the halo would cover the whole face


def test_ties_go_to_the_lower_threshold_which_keeps_more():
    heatmap, lesions = np.full((8, 8), 0.9, np.float32), _square(8, 0, 8)
    assert faith.choose_threshold([heatmap], [lesions], (0.6, 0.3))[0] == 0.3


def test_one_mask_per_map_is_required():
    with pytest.raises(ValueError, match="one lesion mask per heatmap"):
        faith.choose_threshold([np.zeros((4, 4))], [])


def test_lesion_faces_come_normalized_with_their_masks_in_the_same_frame():
    faces, skipped = faith.lesion_faces(5, 3, size=64, margin=0.4, synth_size=256)

    assert len(faces) + skipped == 5 and faces
    for f in faces:
        assert f.face.shape == (64, 64, 3) and f.lesions.shape == (64, 64)
        assert f.lesions.any() and 1 <= f.grade <= 5
    assert faith.dilate(faces[0].lesions).sum() > faces[0].lesions.sum()


def test_the_analyzer_uses_its_checkpoints_threshold(tmp_path):
    torch.manual_seed(0)
    meta = {
        "scale": GEA.to_dict(),
        "input_size": 64,
        "target_layer": "encoder.layer3",
        "heatmap_threshold": 0.6,
    }
    path = save_checkpoint(tmp_path / "m.pt", SkinNet(num_grades=GEA.num_grades), meta)
    analyzer = Analyzer.load(path)
    faces, _ = faith.lesion_faces(3, 3, size=64, margin=0.4, synth_size=256)

    photo = np.asarray(faces[0].selfie)

    default = analyzer.analyze(photo, explain=True, k=2).heatmap
    lower = analyzer.analyze(photo, explain=True, k=2, threshold=0.3).heatmap

    assert default[default > 0].min() >= 0.6
    # The same map, cut lower, keeps more: the default really was the checkpoint's 0.6.
    assert (lower > 0).sum() > (default > 0).sum()
    np.testing.assert_array_equal(default[default > 0], lower[default > 0])
