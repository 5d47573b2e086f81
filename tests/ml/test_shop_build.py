"""Building a model from the shop's own export (the layout `export_training_set` writes),
alone: reading the export, the terms the model inherits, progress at every stage, the spread
over seeds, the same model from the same data and seed, and a checkpoint the worker's Analyzer
loads. The exports here are generated from synthetic selfies."""

import json

import numpy as np
import pytest
import torch

from diagnosis.ml.checkpoint import commercial_use, load_checkpoint, read_meta
from diagnosis.ml.inference import Analyzer
from modelbuilding import realcard, shopdata
from modelbuilding.acne04 import TERMS as ACNE04_TERMS
from modelbuilding.cli import main
from modelbuilding.sources import SYNTHETIC_TERMS, Source, training_terms
from tests.ml.factories import (
    SHOP_TERMS,
    TINY_BUILD,
    synthetic_shop_export,
    write_acne04_folder,
    write_shop_export,
)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return synthetic_shop_export(
        tmp_path_factory.mktemp("shop") / "export", {"train": 8, "valid": 4, "test": 2}
    )


def build(export, tmp_path, *extra):
    return main(
        [*TINY_BUILD, "--shop-data", str(export), "--out", str(tmp_path / "out"),
         "--work", str(tmp_path / "work"), *extra]
    )  # fmt: skip


@pytest.fixture(scope="module")
def built(export, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("build")
    return tmp_path, build(export, tmp_path, "--seeds", "2")


# --- reading the export --------------------------------------------------------------------


def test_a_split_is_read_with_grades_boxes_shoppers_and_views(export):
    photos = shopdata.read_folder(export, "valid")
    assert [p.grade for p in photos] == [0, 1, 2, 3]
    assert {p.subject for p in photos} == {"valid-person0", "valid-person1"}
    assert all(p.view == "front" and p.path.is_file() for p in photos)
    assert photos[0].lesions == 0 and photos[3].lesions > 0
    assert shopdata.read_terms(export)["commercial_use"] is True


def test_the_photos_become_the_same_crops_as_any_real_photograph(export, tmp_path):
    photos = shopdata.read_folder(export, "train")
    crops = shopdata.prepare(photos, size=64, margin=0.4)
    assert crops.images.shape[1:] == (64, 64, 3) and crops.images.dtype == np.uint8
    kept = [p for p in photos if str(p.path) not in crops.failures]
    assert len(kept) >= 6 and crops.grades.tolist() == [p.grade for p in kept]
    assert set(crops.kinds) == {"photo"}  # no painted lesion-free versions of shop photos
    assert any(len(b) for b in crops.boxes)


def _export(tmp_path, rows, terms=SHOP_TERMS):
    image = np.full((32, 32, 3), 180, np.uint8)
    return write_shop_export(
        tmp_path / "export",
        [(split, subject, grade, image, []) for split, subject, grade in rows],
        terms=terms,
    )


def test_a_shopper_in_two_splits_is_refused(tmp_path):
    root = _export(tmp_path, [("train", "ann", 2), ("valid", "ann", 3)])
    with pytest.raises(ValueError, match="more than one split"):
        shopdata.read_folder(root, "train")


def test_a_grade_off_the_scale_is_refused(tmp_path):
    root = _export(tmp_path, [("train", "ann", 6)])
    with pytest.raises(ValueError, match="not on the GEA scale"):
        shopdata.read_folder(root, "train")


def test_terms_on_another_scale_or_without_a_word_on_commercial_use_are_refused(tmp_path):
    root = _export(tmp_path, [("train", "ann", 2)], terms={"name": "x"})
    with pytest.raises(ValueError, match="commercial_use"):
        shopdata.read_terms(root)
    hayashi = {**SHOP_TERMS, "scale": {"name": "Hayashi", "labels": ["a", "b", "c", "d"]}}
    (root / "TERMS.json").write_text(json.dumps(hayashi))
    with pytest.raises(ValueError, match="not GEA"):
        shopdata.read_terms(root)


def test_a_missing_export_says_where_it_looked(tmp_path):
    with pytest.raises(FileNotFoundError):
        shopdata.read_folder(tmp_path / "nowhere", "train")
    assert main([*TINY_BUILD, "--shop-data", str(tmp_path / "nowhere")]) == 2


# --- the terms a model inherits ------------------------------------------------------------


def _source(terms):
    return Source("x", dict(terms), None, None)


def test_shop_data_and_synthetic_faces_may_be_used_commercially():
    terms, commercial = training_terms([_source(SHOP_TERMS)], synthetic=True)
    assert commercial and [t["name"] for t in terms] == [
        SHOP_TERMS["name"],
        SYNTHETIC_TERMS["name"],
    ]


def test_with_acne04_the_strictest_terms_win():
    terms, commercial = training_terms([_source(SHOP_TERMS), _source(ACNE04_TERMS)], synthetic=True)
    assert not commercial and len(terms) == 3


def test_an_export_that_forbids_commercial_use_makes_the_model_academic():
    _, commercial = training_terms([_source({**SHOP_TERMS, "commercial_use": False})], False)
    assert not commercial


# --- the tiny build ------------------------------------------------------------------------


def test_the_build_writes_a_model_the_worker_analyzes_with(built, export):
    tmp_path, code = built
    assert code == 0
    checkpoint = tmp_path / "out" / "shop.pt"
    meta = read_meta(checkpoint)
    assert commercial_use(meta) and meta["commercial_use"] is True
    assert [s["name"] for s in meta["training_data"]] == [SHOP_TERMS["name"]]
    assert meta["name"] == "skinshop-shop" and meta["input_size"] == 64
    assert meta["training"]["sources"]["shop_train_photos"] >= 6
    assert meta["metrics"]["shop_valid"]["gea"]["n"] >= 3
    analyzer = Analyzer.load(checkpoint)
    photo = shopdata.read_folder(export, "test")[0].path
    result = analyzer.analyze(photo, k=1)
    assert 0 <= result.grade <= 5 and result.model["name"] == "skinshop-shop"


def test_the_card_says_the_terms_first_and_shows_the_spread_over_seeds(built):
    tmp_path, _ = built
    card = (tmp_path / "out" / "SHOP_MODEL_CARD.md").read_text()
    assert card.splitlines()[2].startswith("> **Commercial use: allowed.**")
    assert "trained with 2 seeds" in card and "| **mean ± sd** |" in card
    seeds = read_meta(tmp_path / "out" / "shop.pt")["metrics"]["seeds"]
    assert list(seeds["runs"]) == ["0", "1"]
    accuracies = [r["accuracy"] for r in seeds["runs"].values()]
    assert seeds["spread"]["accuracy"]["mean"] == pytest.approx(np.mean(accuracies))


def test_every_stage_says_how_far_it_got_and_the_same_data_and_seed_give_the_same_model(
    built, export, tmp_path, capsys
):
    assert build(export, tmp_path) == 0
    out = capsys.readouterr().out
    for line in (
        "normalizing shop train: 8/8 photographs (100%)",
        "epoch 1/1: ",
        "judging 1 candidate(s) on the shop valid split: done in",
        "heatmaps against the lesion boxes: done in",
        "lesion counter: done in",
        "writing the model and its card: done in",
        "commercial use: allowed",
    ):
        assert line in out
    # Built again from scratch (no cache): the module's build is the same data and seed 0.
    first, first_meta = load_checkpoint(built[0] / "out" / "shop.pt")
    again, meta = load_checkpoint(tmp_path / "out" / "shop.pt")
    assert meta["data_hash"] == first_meta["data_hash"]
    for key, value in first.state_dict().items():
        assert torch.equal(again.state_dict()[key], value), key
    assert meta["metrics"]["shop_valid"]["gea"] == first_meta["metrics"]["shop_valid"]["gea"]


def test_a_card_whose_model_learned_from_acne04_says_academic_use_first():
    meta = {"training_data": [SHOP_TERMS, ACNE04_TERMS, SYNTHETIC_TERMS], "commercial_use": False}
    notice = realcard.use_notice(meta)
    assert notice.startswith("> **Academic use only") and "ACNE04" in notice
    assert SHOP_TERMS["name"] not in notice  # only the data that forbid it are named


def test_shop_data_with_acne04_and_synthetic_faces_makes_an_academic_model(export, tmp_path):
    photos = [
        (split, f"levle{level}_{split}", level, [(60, 100, 76, 116)] * (1 + 2 * level))
        for split in ("train", "valid")
        for level in range(4)
    ]
    acne04 = write_acne04_folder(tmp_path / "acne04", photos)
    mixed = ["--acne04", str(acne04), "--n-synth", "6", "--n-synth-val", "6"]
    assert build(export, tmp_path, *mixed, "--n-synth-heldout", "0") == 0

    meta = read_meta(tmp_path / "out" / "shop.pt")
    assert not commercial_use(meta) and meta["commercial_use"] is False
    names = [s["name"] for s in meta["training_data"]]
    assert names == [SHOP_TERMS["name"], "ACNE04", SYNTHETIC_TERMS["name"]]
    sources = meta["training"]["sources"]
    assert sources["acne04_train_photos"] == 4 and sources["synthetic"]["n"] == 6
    # Selected on the shop's own valid split, on its own grades.
    assert (
        meta["metrics"]["shop_valid"]["gea"]["n"]
        == meta["metrics"]["candidates"]["efficientnet_lite0"]["gea"]["n"]
    )
    card = (tmp_path / "out" / "SHOP_MODEL_CARD.md").read_text()
    assert card.splitlines()[2].startswith("> **Academic use only")
    assert "| ACNE04 train photographs | 4 |" in card


def test_the_card_says_when_one_run_cannot_tell_the_encoders_apart():
    def report(accuracy):
        gea = {"accuracy": accuracy, "mae": 0.5, "within1": 0.9}
        return {"gea": gea, "spearman_grade_score": 0.8}

    runs = {"0": {"accuracy": 0.70}, "1": {"accuracy": 0.66}, "2": {"accuracy": 0.74}}
    metrics = {
        "shop_valid": report(0.70),
        "candidates": {"efficientnet_lite0": report(0.70), "resnet18": report(0.68)},
        "seeds": {
            "arch": "efficientnet_lite0",
            "runs": runs,
            "spread": {"accuracy": {"mean": 0.70, "std": float(np.std([0.70, 0.66, 0.74]))}},
        },
    }
    assert "`resnet18`: accuracy 0.020 apart, no more than twice" in realcard._seeds_section(
        metrics
    )
    metrics["candidates"]["resnet18"] = report(0.50)
    assert "`resnet18`: accuracy 0.200 apart, more than twice" in realcard._seeds_section(metrics)
