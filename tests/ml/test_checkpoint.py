import argparse

import pytest
import torch

from diagnosis.ml.checkpoint import SHIPPED, load_checkpoint, read_meta, save_checkpoint
from diagnosis.ml.errors import CheckpointError
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA

META = {
    "scale": GEA.to_dict(),
    "input_size": 64,
    "aux_heads": {"gender": ["female", "male"]},
    "decision_rule": "argmax",
    "metrics": {"validation": {"mae": 0.25}},
}


@pytest.fixture
def model():
    torch.manual_seed(0)
    return SkinNet(num_grades=6, aux_heads={"gender": 2}).eval()


def test_round_trip_gives_the_same_outputs_and_metadata(tmp_path, model):
    path = save_checkpoint(tmp_path / "m.pt", model, META)
    loaded, meta = load_checkpoint(path)
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        a, b = model(x), loaded(x)
    for key in a:
        torch.testing.assert_close(a[key], b[key])
    assert meta["decision_rule"] == "argmax"
    assert meta["scale"] == GEA.to_dict()
    assert meta["aux_heads"] == {"gender": ["female", "male"]}
    assert meta["target_layer"] == "encoder.layer3"
    assert {"mean", "std", "created_at", "data_hash", "face_margin"} <= set(meta)


def test_file_loads_with_weights_only(tmp_path, model):
    path = save_checkpoint(tmp_path / "m.pt", model, META)
    payload = torch.load(path, weights_only=True)
    assert set(payload) == {"format", "meta", "state_dict"}


def test_float16_storage_loads_back_as_float32_and_close(tmp_path, model):
    path = save_checkpoint(tmp_path / "m.pt", model, META, half=True)
    loaded, _ = load_checkpoint(path)
    assert loaded.classifier.weight.dtype == torch.float32
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x)["logits"], model(x)["logits"], atol=2e-2, rtol=2e-2)


def test_corrupt_file_raises_checkpoint_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError):
        load_checkpoint(bad)


def test_arbitrary_pickle_is_refused(tmp_path):
    # A full pickle of an arbitrary object: only a weights-only load refuses to run it.
    evil = tmp_path / "evil.pt"
    torch.save({"format": "skinnet/1", "meta": argparse.Namespace(x=1), "state_dict": {}}, evil)
    with pytest.raises(CheckpointError):
        load_checkpoint(evil)


def test_missing_file_raises_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "nope.pt")


def test_metadata_that_does_not_fit_the_weights_is_refused(tmp_path, model):
    path = save_checkpoint(tmp_path / "m.pt", model, META)
    payload = torch.load(path, weights_only=True)
    payload["meta"] = payload["meta"].replace('"resnet18"', '"resnet34"')
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(path)


def test_synthetic_checkpoint_path_is_inside_the_package():
    assert SHIPPED["synthetic"].name == "synthetic.pt"
    assert SHIPPED["synthetic"].parent.name == "weights"


def test_read_meta_does_not_need_to_build_the_model(tmp_path, model):
    path = save_checkpoint(tmp_path / "m.pt", model, {**META, "name": "x", "version": "7"})
    assert read_meta(path)["version"] == "7"


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_shipped_models_are_stored_in_float16(name):
    payload = torch.load(SHIPPED[name], map_location="cpu", weights_only=True)
    floating = [t.dtype for t in payload["state_dict"].values() if t.is_floating_point()]
    assert floating and set(floating) == {torch.float16}
