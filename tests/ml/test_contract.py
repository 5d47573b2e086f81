"""The input contract (diagnosis.ml.contract): training and the worker turn one photo into one
tensor, so a model is graded on exactly what it learned from."""

import csv
import io

import numpy as np
import pytest
import torch

from diagnosis.ml.checkpoint import save_checkpoint
from diagnosis.ml.contract import InputContract, to_tensor
from diagnosis.ml.inference import Analyzer
from diagnosis.ml.model import SkinNet
from diagnosis.ml.scale import GEA
from modelbuilding.data import open_dataset
from modelbuilding.train import TrainConfig

# Not the defaults: the test must see each value travel from training to the worker.
CONTRACT = InputContract(size=96, margin=0.3, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))


@pytest.fixture
def photo(selfie, tmp_path):
    """The conftest's synthetic selfie in a one-row training manifest."""
    manifest = tmp_path / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        csv.writer(fh).writerows([["path", "grade"], [str(selfie), 3]])
    return selfie, manifest


def test_training_and_the_worker_turn_the_same_photo_into_the_same_tensor(photo, tmp_path):
    selfie, manifest = photo
    config = TrainConfig(
        input_size=CONTRACT.size, face_margin=CONTRACT.margin, mean=CONTRACT.mean, std=CONTRACT.std
    )
    assert config.contract == CONTRACT
    trained_on, _ = open_dataset(manifest, contract=config.contract, cache_dir=None)[0]

    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    meta = {"scale": GEA.to_dict(), **config.contract.to_meta()}
    analyzer = Analyzer.load(save_checkpoint(tmp_path / "model.pt", model, meta))
    assert analyzer.contract == CONTRACT
    seen = []
    hook = analyzer.model.register_forward_pre_hook(lambda _m, args: seen.append(args[0].clone()))
    try:
        analyzer.analyze(io.BytesIO(selfie.read_bytes()), explain=False)
    finally:
        hook.remove()

    assert seen[0].shape == (1, 3, CONTRACT.size, CONTRACT.size)
    assert torch.equal(seen[0][0], trained_on)


def test_a_checkpoint_without_the_values_gets_the_defaults():
    assert InputContract.of({"input_size": 128}) == InputContract(size=128)


def test_one_face_and_a_batch_of_faces_give_the_same_rows():
    faces = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    batch = to_tensor(faces, mean=CONTRACT.mean, std=CONTRACT.std)
    for i, face in enumerate(faces):
        assert torch.equal(to_tensor(face, mean=CONTRACT.mean, std=CONTRACT.std)[0], batch[i])
    assert torch.allclose(batch[0, :, 0, 0], torch.tensor(faces[0, 0, 0] / 255.0 * 2 - 1).float())
