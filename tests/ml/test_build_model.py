"""`build-model`'s last step on a tiny generated ACNE04-like folder: the candidate is judged,
calibrated and written with its card (the real build is `make model`, a benchmark-sized run)."""

import pytest
import torch

from diagnosis.ml.checkpoint import (
    commercial_use,
    load_checkpoint_with_extra,
    read_extra,
    read_meta,
    save_checkpoint,
)
from diagnosis.ml.contract import LITE_MEAN, LITE_STD
from diagnosis.ml.lesions import LesionCounter, LesionHead, layers_for
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from modelbuilding import finishing, realcard
from modelbuilding.acne04 import TERMS
from modelbuilding.lesion_training import new_head
from modelbuilding.sources import SYNTHETIC_TERMS
from tests.ml.factories import write_acne04_folder


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A tiny ACNE04-like folder, and the model finish wrote from an untrained candidate."""
    tmp_path = tmp_path_factory.mktemp("build")
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
        "training": {
            "encoder_init": "random",
            "sources": {"look_alikes": {"faces": 2, "n": 14, "seed": 3131}},
        },
    }
    # As `build-model --lambda-count` leaves it: a counter learned with the encoder beside it.
    layers = layers_for("efficientnet_lite0")
    with_encoder = LesionCounter(new_head(model, layers, 64), layers)
    meta["lesion_head"] = with_encoder.to_meta()
    candidate = save_checkpoint(
        tmp_path / "candidate.pt", model, meta, extra=with_encoder.to_extra()
    )
    finishing.finish(
        candidates={"efficientnet_lite0": candidate},
        acne04_root=root,
        work=tmp_path / "work",
        out=tmp_path / "out",
        log=lambda *_: None,
        synthetic_n=6,
        heatmap_limit=2,
        look_alike_faces=1,
        counter_size=128,  # the counter reads the 64 px crop drawn again at twice its side
    )
    return root, tmp_path / "out"


def test_finish_writes_the_chosen_model_with_its_terms_and_card(built):
    _, out = built

    final = read_meta(out / "real.pt")
    assert not commercial_use(final)
    assert final["target_layer"].startswith("encoder.blocks.")
    assert 0 < final["temperature"] and final["ood_threshold"] > 0
    assert final["metrics"]["acne04_valid"]["hayashi"]["n"] == 4
    # The candidates were judged on the look-alikes too (they take part in the choice).
    assert "beard" in final["metrics"]["candidates"]["efficientnet_lite0"]["look_alikes"]
    extra = set(read_extra(out / "real.pt"))
    assert {"ood.mean", "ood.components", "ood.variances"} <= extra
    assert final["lesion_head"]["layers"] == ["encoder.blocks.4", "encoder.blocks.10"]
    assert {k for k in extra if k.startswith("lesions.")} == {
        f"lesions.{k}" for k in LesionHead(final["lesion_head"]["channels"]).state_dict()
    }
    assert final["metrics"]["lesions"]["photos"] == 4
    # The counter reads its own crop, twice the grading's side, and the card says so.
    assert final["lesion_head"]["input_size"] == final["metrics"]["lesions"]["input_size"] == 128
    card = (out / "MODEL_CARD.md").read_text()
    assert "on the face's crop drawn again at 128 pixels (the grading reads 64" in card
    # The counter learned with the encoder is reported beside the one shipped.
    assert final["metrics"]["lesions"]["with_encoder"]["photos"] == 4
    assert "The encoder learned to count while it learned to grade" in card
    # The heatmap's figures per view, as the shop makes its heatmaps.
    views = final["metrics"]["heatmap_views"]
    assert views and sum(v["n"] for v in views.values()) <= 4
    assert all(0 <= v["pointing"] <= 1 and 0 <= v["outer_tenth"] <= 1 for v in views.values())
    assert "| view | photographs | pointing | peak in the outer tenth |" in card
    # The look-alikes as the shipped reading sees them, beside the lesion-free versions.
    assert "| look-alike | n | clear or almost clear | moderate or worse |" in card
    assert card.splitlines()[2].startswith("> **Academic use only.**")
    assert "0.841" in card  # the literature's figure beside ours
    assert "| clear synthetic faces, plain and under each look-alike (seed 3131) | 14 | 0 |" in card
    assert "## Lesion counts and face zones" in card and "A lesion counter" in card
    # The joint rule was studied; the model grades with it only where it held up.
    joint = final["metrics"]["joint"]
    assert joint["rule"]["rule"] in ("expectation", "argmax") and 0 <= joint["rule"]["weight"] <= 1
    assert ("joint" in final) == joint["shipped"]
    if joint["shipped"]:
        assert final["confidence_threshold"] == joint["confidence_threshold"]
    assert set(joint["valid"]) == {"grading", "counting", "joint"}
    assert "beard" in joint["look_alikes"]
    assert 0 <= joint["folds"]["cross_validated_accuracy"] <= 1
    assert "## Joint grading and counting" in card and "| **joint** |" in card


def test_a_generated_set_is_graded_as_the_worker_grades_it(built):
    from modelbuilding import realeval

    _, out = built
    manifest = out.parent / "work" / "synth-heldout-6" / "manifest.csv"

    read = realeval.as_the_shop_reads(out / "real.pt", manifest)

    assert read["n"] == 6 and 0 < read["analysed"] <= 1
    assert 0 <= read["accuracy"] <= 1 and 0 <= read["mae"] <= 5
    final = read_meta(out / "real.pt")
    card = (out / "MODEL_CARD.md").read_text()
    if "joint" in final:  # the shop grades jointly: the card says so and how it reads selfies
        assert "The shop grades jointly with the lesion count" in card
        assert set(final["metrics"]["shop_reading"]) == {"synthetic_heldout", "synthetic_shifted"}
    else:
        assert "The grade is read from the grading heads, as the shop reads it." in card


def test_a_built_model_gains_a_lesion_counter_and_keeps_its_weights(built, tmp_path):
    root, out = built
    # The same model as built before the counter existed: its file without one.
    model, meta, extra = load_checkpoint_with_extra(out / "real.pt")
    del meta["lesion_head"], meta["metrics"]["lesions"], meta["metrics"]["joint"]
    meta.pop("joint", None)
    older = tmp_path / "out"
    save_checkpoint(
        older / "real.pt",
        model,
        meta,
        half=True,
        extra={k: v for k, v in extra.items() if k.startswith("ood.")},
    )
    assert "A lesion counter" not in realcard.real_card(meta, checkpoint_mb=1, overlays="")

    finishing.add_lesion_counter(
        older / "real.pt",
        root,
        tmp_path / "work",
        older,
        log=print,
        synthetic_n=6,
        counter_size=None,  # this time on the grading's own forward
    )

    again, meta, extra = load_checkpoint_with_extra(older / "real.pt")
    for key, value in again.state_dict().items():
        torch.testing.assert_close(value, model.state_dict()[key])
    assert "ood.mean" in extra
    counter = LesionCounter.from_checkpoint(meta, extra)
    assert counter.layers == ("encoder.blocks.4", "encoder.blocks.10")
    assert counter.input_size is None
    assert "joint" in meta["metrics"]
    # The confidence threshold is the one of the confidences the shop then reads.
    from modelbuilding.realeval import choose_confidence

    expected = (
        meta["metrics"]["joint"]["confidence_threshold"]
        if "joint" in meta
        else choose_confidence(meta["metrics"]["answered"])
    )
    assert meta["confidence_threshold"] == expected
    card = (older / "MODEL_CARD.md").read_text()
    assert "A lesion counter" in card and "| **joint** |" in card
    # Written from metadata read back (sorted by name), the tables keep the network's order.
    assert card.index("| encoder.blocks.4 |") < card.index("| encoder.blocks.10 |")


def test_a_counter_trained_again_keeps_the_figures_of_the_head_learned_with_the_encoder(
    built, tmp_path
):
    root, out = built
    learned = read_meta(out / "real.pt")["metrics"]["lesions"]["with_encoder"]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "real.pt").write_bytes((out / "real.pt").read_bytes())

    meta = finishing.add_lesion_counter(
        tmp_path / "out" / "real.pt",
        root,
        tmp_path / "work",
        tmp_path / "out",
        log=lambda *_: None,
        synthetic_n=0,
        counter_size=None,
    )

    assert meta["metrics"]["lesions"]["with_encoder"] == learned
    assert "The encoder learned to count while it learned to grade" in (
        tmp_path / "out" / "MODEL_CARD.md"
    ).read_text()


def test_training_data_carries_what_is_known_of_each_image_s_lesions():
    from types import SimpleNamespace

    import numpy as np

    from modelbuilding.acne04 import Crops
    from modelbuilding.build import combined

    crops = Crops(
        images=np.zeros((3, 64, 64, 3), np.uint8),
        grades=np.array([3, 0, 4]),
        levels=np.array([1, -1, 2]),
        kinds=["photo", "lesion-free", "photo"],
        views=["front", "front", "front"],
        paths=["a.jpg", "a.jpg", "b.jpg"],
        boxes=[
            np.array([[10, 10, 14, 14], [40, 40, 44, 44]], float),
            np.zeros((0, 4)),
            np.zeros((0, 4)),  # a close-up whose boxed lesions are all outside its crop
        ],
        failures={},
    )

    class Selfies(SimpleNamespace):  # what combined reads of a ManifestDataset
        def __len__(self):
            return len(self.images)

    synth = Selfies(
        images=np.zeros((2, 64, 64, 3), np.uint8),
        grades=torch.tensor([0, 4]),
        aux_vocab={},
        records=[],
        group_of=lambda i: "I",
    )

    ds = combined([("acne04", crops)], synth, mean=LITE_MEAN, std=LITE_STD, data_hash="x")

    counts = ds.densities.sum(dim=(1, 2))
    assert torch.allclose(counts[:4], torch.tensor([2.0, 0.0, 0.0, 0.0]), atol=1e-4)
    # The photos (every lesion of a real photo is boxed: a crop whose boxes all fell outside it
    # shows none), the lesion-free version and the clear selfie teach the counter; the severe
    # selfie does not (its lesions are not boxed).
    assert ds.counted.tolist() == [True, True, True, True, False]
