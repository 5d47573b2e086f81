"""`build-model`'s last step on a tiny generated ACNE04-like folder: the candidate is judged,
calibrated and written with its card (the real build is `make model`, a benchmark-sized run)."""

import torch

from diagnosis.ml import realeval
from diagnosis.ml.acne04 import TERMS
from diagnosis.ml.build import LITE_MEAN, LITE_STD, SYNTHETIC_TERMS
from diagnosis.ml.checkpoint import commercial_use, read_extra, read_meta, save_checkpoint
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from tests.ml.factories import write_acne04_folder


def test_finish_writes_the_chosen_model_with_its_terms_and_card(tmp_path):
    photos = []
    for split in ("train", "valid"):
        for level in range(4):
            boxes = [(60 + 40 * i, 100, 76 + 40 * i, 116) for i in range(1 + level * 2)]
            photos.append((split, f"levle{level}_{split}", level, boxes))
    root = write_acne04_folder(tmp_path / "acne04", photos)
    torch.manual_seed(0)
    model = SkinNet(arch="efficientnet_lite0", num_grades=GEA.num_grades)
    meta = {
        "scale": GEA.to_dict(),
        "input_size": 64,
        "mean": list(LITE_MEAN),
        "std": list(LITE_STD),
        "decision_rule": "expectation",
        "training_data": [TERMS, SYNTHETIC_TERMS],
        "commercial_use": False,
        "training": {"encoder_init": "random", "sources": {}},
    }
    candidate = save_checkpoint(tmp_path / "candidate.pt", model, meta)

    realeval.finish(
        candidates={"efficientnet_lite0": candidate},
        acne04_root=root,
        work=tmp_path / "work",
        out=tmp_path / "out",
        log=lambda *_: None,
        synthetic_n=6,
        heatmap_limit=2,
    )

    final = read_meta(tmp_path / "out" / "real.pt")
    assert not commercial_use(final)
    assert final["target_layer"].startswith("encoder.blocks.")
    assert 0 < final["temperature"] and final["ood_threshold"] > 0
    assert final["metrics"]["acne04_valid"]["hayashi"]["n"] == 4
    assert set(read_extra(tmp_path / "out" / "real.pt")) == {
        "ood.mean",
        "ood.components",
        "ood.variances",
    }
    card = (tmp_path / "out" / "MODEL_CARD.md").read_text()
    assert card.splitlines()[2].startswith("> **Academic use only.**")
    assert "0.841" in card  # the literature's figure beside ours
