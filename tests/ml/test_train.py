import numpy as np
import pytest
import torch

from diagnosis.ml.checkpoint import load_checkpoint, save_checkpoint
from modelbuilding.data import ManifestDataset
from modelbuilding.train import TrainConfig, save_curves_png, stratified_split, train_model


def test_stratified_split_keeps_every_grade_in_both_parts():
    grades = np.repeat(np.arange(6), 20)
    train, val = stratified_split(grades, 0.25, seed=0)
    assert len(set(train) | set(val)) == 120 and not set(train) & set(val)
    assert np.bincount(grades[val]).tolist() == [5] * 6
    again_train, again_val = stratified_split(grades, 0.25, seed=0)
    assert np.array_equal(val, again_val)


def test_stratified_split_leaves_a_lone_sample_in_training():
    grades = np.array([0, 0, 0, 0, 1])
    train, val = stratified_split(grades, 0.5, seed=1)
    assert 4 in train and 4 not in val


def test_tiny_training_run_lowers_the_loss_and_saves_a_usable_checkpoint(
    tiny_manifest, resize_normalizer, tmp_path
):
    ds = ManifestDataset(tiny_manifest, size=64, normalizer=resize_normalizer, cache_dir=None)
    config = TrainConfig(input_size=64, epochs=3, batch_size=8, lr=3e-3, patience=5, augment=False)
    logs = []
    result = train_model(ds, config, log=logs.append, quiet=True)
    losses = [h["train_loss"] for h in result.history]
    assert len(losses) == 3
    assert losses[-1] < losses[0]
    meta = result.meta
    assert meta["decision_rule"] in ("round", "argmax", "expectation")
    assert set(meta["metrics"]["validation"]["rules"]) == {"round", "argmax", "expectation"}
    assert meta["aux_heads"] == {"ethnicity": ["II", "IV"], "gender": ["female", "male"]}
    assert meta["data_hash"] == ds.hash
    assert any("decision rule" in line for line in logs)

    path = save_checkpoint(tmp_path / "tiny.pt", result.model, meta)
    model, loaded = load_checkpoint(path)
    assert loaded["input_size"] == 64
    x, _ = ds[0]
    with torch.no_grad():
        torch.testing.assert_close(model(x[None])["logits"], result.model(x[None])["logits"])
    png = save_curves_png(result.history, tmp_path / "curves.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_tiny_run_with_the_label_distribution_term_learns_and_records_its_weight(
    tiny_manifest, resize_normalizer
):
    ds = ManifestDataset(tiny_manifest, size=64, normalizer=resize_normalizer, cache_dir=None)
    config = TrainConfig(
        input_size=64, epochs=3, batch_size=8, lr=3e-3, patience=5, augment=False, lambda_ldl=1.0
    )

    result = train_model(ds, config, log=lambda *_: None, quiet=True)

    losses = [h["train_loss"] for h in result.history]
    assert losses[-1] < losses[0]
    assert result.meta["training"]["lambda_ldl"] == 1.0


def test_grades_outside_the_scale_are_refused(tmp_path, make_manifest, resize_normalizer):
    from diagnosis.ml.scale import Scale

    ds = ManifestDataset(make_manifest(tmp_path / "d", 12), size=32, normalizer=resize_normalizer)
    with pytest.raises(ValueError, match="outside"):
        train_model(ds, TrainConfig(input_size=32, epochs=1), scale=Scale("tiny", ("a", "b")))


def test_train_cli_with_a_missing_manifest_exits_2_with_one_line(tmp_path, capsys):
    from modelbuilding.cli import main

    code = main(["train", "--data", str(tmp_path / "none.csv"), "--out", str(tmp_path / "m.pt")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "none.csv" in err
    assert not (tmp_path / "m.pt").exists()


def test_train_cli_with_a_malformed_manifest_exits_2_with_one_line(tmp_path, capsys):
    from modelbuilding.cli import main

    (tmp_path / "m.csv").write_text("path,grade\na.jpg,high\n")
    code = main(["train", "--data", str(tmp_path / "m.csv"), "--out", str(tmp_path / "m.pt")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "not an integer" in err


def test_batch_augmentation_keeps_shape_and_range_and_is_seeded():
    from modelbuilding.train import BatchAugment

    x = torch.rand(6, 3, 32, 32)
    a = BatchAugment(seed=1)(x.clone())
    b = BatchAugment(seed=1)(x.clone())
    c = BatchAugment(seed=2)(x.clone())
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert not torch.equal(a, x)


def test_efficientnet_learns_from_arrays_with_its_stem_frozen():
    from modelbuilding.data import ArrayDataset

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (24, 48, 48, 3), dtype=np.uint8)
    grades = np.arange(24) % 6
    aux = {"gender": ["M", "F", ""] * 8}
    ds = ArrayDataset(images, grades, groups=["a", "b"] * 12, aux=aux)
    config = TrainConfig(
        arch="efficientnet_lite0",
        input_size=48,
        epochs=1,
        batch_size=8,
        val_fraction=0.25,
        freeze_blocks=3,
        augment=False,
    )
    result = train_model(ds, config, quiet=True, log=lambda *_: None)

    model = result.model
    assert not any(p.requires_grad for p in model.encoder.stem.parameters())
    assert all(p.requires_grad for p in model.encoder.blocks[3].parameters())
    assert result.meta["arch"] == "efficientnet_lite0"
    assert result.meta["training"]["encoder_init"].startswith("random")
    assert ds.aux_vocab == {"gender": ["F", "M"]}
