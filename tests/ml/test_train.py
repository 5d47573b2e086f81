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


def test_augmentation_moves_a_lesion_density_with_its_image_and_keeps_its_mass():
    from modelbuilding.lesion_training import density_target
    from modelbuilding.train import BatchAugment

    # One bright spot on a dark crop, and the density of a lesion boxed on it.
    x = torch.zeros(8, 3, 128, 128)
    x[:, :, 38:42, 80:84] = 1.0
    density = torch.from_numpy(density_target(np.array([[80, 38, 84, 42]]), 128))[None].repeat(
        8, 1, 1
    )
    assert density.shape == (8, 16, 16)

    moved_x, moved = BatchAugment(seed=3, degrees=0, brightness=0, contrast=0, blur_p=0)(x, density)

    assert torch.allclose(moved.sum(dim=(1, 2)), torch.ones(8), atol=0.05)
    for image, d in zip(moved_x, moved, strict=True):
        spot = image.mean(0)
        sy, sx = np.unravel_index(int(spot.argmax()), spot.shape)
        cy, cx = np.unravel_index(int(d.argmax()), d.shape)
        assert abs(cy - sy // 8) <= 1 and abs(cx - sx // 8) <= 1  # the lesion went with the spot
    # The images are augmented exactly as they are without densities (same draws).
    assert torch.equal(
        moved_x, BatchAugment(seed=3, degrees=0, brightness=0, contrast=0, blur_p=0)(x)
    )


def test_the_encoder_learns_to_count_with_the_grade_when_lambda_count_is_set():
    from diagnosis.ml.lesions import tap
    from modelbuilding.data import ArrayDataset
    from modelbuilding.lesion_training import density_target

    rng = np.random.default_rng(0)
    n, size = 24, 64
    images = rng.integers(90, 160, (n, size, size, 3), dtype=np.uint8)
    densities = []
    for i in range(n):
        boxes = []
        for _ in range(i % 6 * 3):  # more red spots for higher grades
            x0, y0 = rng.integers(4, size - 8, 2)
            images[i, y0 : y0 + 4, x0 : x0 + 4] = (220, 40, 40)
            boxes.append([x0, y0, x0 + 4, y0 + 4])
        densities.append(density_target(np.array(boxes).reshape(-1, 4), size))
    densities = np.stack(densities)
    densities[-4:] = np.nan  # e.g. synthetic selfies: lesions not boxed, left out of the loss
    ds = ArrayDataset(images, np.arange(n) % 6, densities=densities)

    def run(lambda_count):
        config = TrainConfig(
            arch="efficientnet_lite0",
            input_size=size,
            epochs=1,
            batch_size=8,
            val_fraction=0.25,
            lambda_count=lambda_count,
        )
        return train_model(ds, config, quiet=True, log=lambda *_: None)

    grading, counting = run(0.0), run(1.0)

    assert grading.counter is None
    counter = counting.counter
    assert counter is not None and not counter.head.training
    assert float(counter.head.net[-1].bias) != -6.0  # the head left its initial "no lesion"
    assert counting.meta["training"]["lambda_count"] == 1.0
    # Same seed, data and draws: the count's loss is what changed the encoder.
    pairs = zip(
        grading.model.encoder.parameters(), counting.model.encoder.parameters(), strict=True
    )
    assert any(not torch.equal(a, b) for a, b in pairs)
    with torch.no_grad(), tap(counting.model, counter.layers) as maps:
        counting.model(torch.zeros(2, 3, size, size))
        density = counter.density(maps)
    assert density.shape == (2, size // 8, size // 8)
    assert torch.isfinite(density).all() and (density >= 0).all()


def test_lambda_count_without_boxed_lesions_is_refused():
    from modelbuilding.data import ArrayDataset

    images = np.zeros((8, 32, 32, 3), np.uint8)
    config = TrainConfig(arch="efficientnet_lite0", input_size=32, epochs=1, lambda_count=1.0)
    with pytest.raises(ValueError, match="lesions"):
        train_model(ArrayDataset(images, np.arange(8) % 6), config, quiet=True, log=lambda *_: None)


def test_balanced_sampling_draws_a_rare_grade_more_often_and_keeps_each_source_share():
    from modelbuilding.train import balanced_weights

    groups = ["acne04:photo"] * 10 + ["acne04:lesion-free"] * 2 + ["synthetic:I"] * 6
    grades = np.array([2] * 8 + [5] * 2 + [0] * 2 + [0, 1, 2, 3, 4, 5])

    w = balanced_weights(groups, grades, 0.5).numpy()

    real, synthetic = slice(0, 12), slice(12, 18)
    assert np.isclose(w[real].sum(), 12) and np.isclose(w[synthetic].sum(), 6)
    assert w[9] == w[8] > w[0]  # a very severe photo is drawn more often than a mild one
    assert np.isclose(w[8] / w[0], np.sqrt(8 / 2))
    assert np.allclose(w[synthetic], 1.0)  # already even
    assert np.allclose(balanced_weights(groups, grades, 0.0).numpy(), 1.0)


def test_a_tiny_balanced_run_trains_and_records_its_balance():
    from modelbuilding.data import ArrayDataset

    rng = np.random.default_rng(1)
    images = rng.integers(0, 255, (20, 32, 32, 3), dtype=np.uint8)
    grades = np.array([2] * 14 + [5] * 6)
    ds = ArrayDataset(images, grades, groups=["acne04:photo"] * 20)
    config = TrainConfig(
        arch="efficientnet_lite0", input_size=32, epochs=1, batch_size=4, balance=0.5
    )
    result = train_model(ds, config, quiet=True, log=lambda *_: None)
    assert result.meta["training"]["balance"] == 0.5
