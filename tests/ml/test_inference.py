"""The inference API (Analyzer / AnalysisResult) and the `predict` / `explain` commands, on a
synthetic selfie with a throwaway (untrained) checkpoint."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from diagnosis.ml.checkpoint import load_checkpoint, save_checkpoint
from diagnosis.ml.errors import CheckpointError, InvalidImage, NoFaceFound
from diagnosis.ml.face import normalize_face
from diagnosis.ml.inference import AnalysisResult, Analyzer
from diagnosis.ml.model import SkinNet, decide_grade
from diagnosis.ml.scale import GEA
from modelbuilding import cli
from tests.ml.factories import SIZE

ROOT = Path(__file__).resolve().parents[2]


def _write_checkpoint(path: Path, *, seed: int = 0, version: str = "t1") -> Path:
    torch.manual_seed(seed)
    model = SkinNet(arch="resnet18", num_grades=GEA.num_grades)
    meta = {
        "scale": GEA.to_dict(),
        "input_size": SIZE,
        "decision_rule": "argmax",
        "target_layer": "encoder.layer3",
        "name": "throwaway",
        "version": version,
    }
    return save_checkpoint(path, model, meta)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return _write_checkpoint(tmp_path_factory.mktemp("ckpt") / "model.pt")


@pytest.fixture
def not_an_image(tmp_path) -> Path:
    path = tmp_path / "notes.jpg"
    path.write_text("this is not a picture")
    return path


@pytest.fixture
def faceless(tmp_path) -> Path:
    path = tmp_path / "wall.png"
    Image.new("RGB", (320, 320), (150, 140, 130)).save(path)
    return path


# --- Analyzer ----------------------------------------------------------------------------------


def test_load_is_cached_per_checkpoint_and_reloads_a_rewritten_file(checkpoint, tmp_path):
    assert Analyzer.load(checkpoint) is Analyzer.load(str(checkpoint))
    other = _write_checkpoint(tmp_path / "other.pt", version="v1")
    first = Analyzer.load(other)
    assert first is not Analyzer.load(checkpoint)
    _write_checkpoint(other, version="v2")
    os.utime(other, ns=(1, 2_000_000_000))  # a distinct mtime even on coarse clocks
    assert Analyzer.load(other).model_info["version"] == "v2"


def test_analyze_grades_and_explains_a_selfie(checkpoint, selfie):
    result = Analyzer.load(checkpoint).analyze(selfie, k=3, seed=0)
    assert isinstance(result, AnalysisResult)
    assert 0 <= result.grade < GEA.num_grades
    assert result.label == GEA.label(result.grade)
    assert 0.0 <= result.score <= GEA.num_grades - 1
    assert len(result.probabilities) == GEA.num_grades
    assert sum(result.probabilities) == pytest.approx(1.0, abs=1e-5)
    x, y, w, h = result.face_box
    width, height = Image.open(selfie).size
    assert 0 <= x < x + w <= width and 0 <= y < y + h <= height
    assert result.model == {"name": "throwaway", "version": "t1"}
    assert result.heatmap.shape == (SIZE, SIZE)
    assert 0.0 <= result.heatmap.min() and result.heatmap.max() <= 1.0
    assert result.overlay.size == (SIZE, SIZE)
    assert {"decode", "normalize", "predict", "explain", "overlay", "total"} <= set(result.timings)


def test_grade_follows_the_checkpoints_decision_rule_and_scale(checkpoint, selfie):
    result = Analyzer.load(checkpoint).analyze(selfie, explain=False)
    model, meta = load_checkpoint(checkpoint)
    face = normalize_face(Image.open(selfie).convert("RGB"), size=SIZE, margin=meta["face_margin"])
    x = torch.from_numpy(face.image).permute(2, 0, 1).float().div(255)
    x = (x - torch.tensor(meta["mean"]).view(3, 1, 1)) / torch.tensor(meta["std"]).view(3, 1, 1)
    with torch.no_grad():
        outputs = model(x[None])
    assert result.grade == int(decide_grade(outputs, "argmax", GEA.num_grades)[0])
    expected = torch.softmax(outputs["logits"], 1)[0].tolist()
    np.testing.assert_allclose(result.probabilities, expected, atol=1e-5)


def test_without_explain_there_is_no_heatmap(checkpoint, selfie):
    result = Analyzer.load(checkpoint).analyze(selfie, explain=False)
    assert result.heatmap is None and result.overlay is None
    assert "explain" not in result.timings
    assert "heatmap" not in result.to_dict()


def test_path_bytes_file_and_pil_inputs_give_the_same_grade(checkpoint, selfie):
    analyzer = Analyzer.load(checkpoint)
    data = selfie.read_bytes()
    results = [
        analyzer.analyze(source, explain=False)
        for source in (selfie, str(selfie), data, io.BytesIO(data), Image.open(selfie))
    ]
    assert len({(r.grade, round(r.score, 5), r.face_box) for r in results}) == 1


def test_same_seed_same_heatmap(checkpoint, selfie):
    analyzer = Analyzer.load(checkpoint)
    a = analyzer.analyze(selfie, k=4, seed=9).heatmap
    b = analyzer.analyze(selfie, k=4, seed=9).heatmap
    np.testing.assert_array_equal(a, b)


def test_target_layer_override(checkpoint, selfie):
    analyzer = Analyzer.load(checkpoint)
    layer3 = analyzer.analyze(selfie, k=2, threshold=0.0).heatmap
    layer4 = analyzer.analyze(selfie, k=2, threshold=0.0, target_layer="encoder.layer4").heatmap
    assert not np.allclose(layer3, layer4)


def test_analysis_leaves_no_gradient_on_the_shared_model(checkpoint, selfie):
    analyzer = Analyzer.load(checkpoint)
    analyzer.analyze(selfie, k=3)
    assert all(p.grad is None for p in analyzer.model.parameters())


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"k": 0}, "k must be"),
        ({"k": 21}, "k must be"),
        ({"threshold": 1.5}, "threshold"),
        ({"target_layer": "encoder.nope"}, "no layer"),
        ({"alpha": 2.0}, "alpha"),
    ],
)
def test_bad_options_are_refused(checkpoint, selfie, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Analyzer.load(checkpoint).analyze(selfie, **kwargs)


def test_not_an_image_and_no_face_raise_typed_errors(checkpoint, not_an_image, faceless):
    analyzer = Analyzer.load(checkpoint)
    with pytest.raises(InvalidImage):
        analyzer.analyze(not_an_image)
    with pytest.raises(NoFaceFound):
        analyzer.analyze(faceless)


def test_a_missing_checkpoint_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        Analyzer.load(tmp_path / "absent.pt")


def test_result_json_carries_the_heatmap_summary(checkpoint, selfie):
    result = Analyzer.load(checkpoint).analyze(selfie, k=2)
    data = json.loads(result.to_json())
    assert {"grade", "label", "score", "probabilities", "face_box", "model"} <= set(data)
    assert data["heatmap"]["shape"] == [SIZE, SIZE]
    assert 0.0 <= data["heatmap"]["coverage"] <= 1.0


# --- command line ------------------------------------------------------------------------------


def test_predict_json(checkpoint, selfie, capsys):
    assert cli.main(["predict", str(selfie), "--checkpoint", str(checkpoint), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"grade", "label", "score", "probabilities", "face_box", "model"} <= set(data)
    assert data["label"] == GEA.label(data["grade"])
    assert "heatmap" not in data


def test_explain_writes_the_png_and_reports_the_heatmap(checkpoint, selfie, tmp_path, capsys):
    out = tmp_path / "maps" / "heat.png"
    argv = ["explain", str(selfie), "--k", "3", "--out", str(out), "--threshold", "0.4"]
    assert cli.main([*argv, "--checkpoint", str(checkpoint), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"grade", "label", "score", "probabilities", "face_box", "model"} <= set(data)
    assert data["heatmap"]["path"] == str(out)
    assert data["heatmap"]["k"] == 3 and data["heatmap"]["threshold"] == 0.4
    with Image.open(out) as png:
        assert png.format == "PNG" and png.size == (SIZE, SIZE)


@pytest.mark.parametrize("command", ["predict", "explain"])
def test_cli_not_an_image_exits_2_with_one_line(
    checkpoint, not_an_image, tmp_path, capsys, command
):
    argv = [command, str(not_an_image), "--checkpoint", str(checkpoint)]
    if command == "explain":
        argv += ["--out", str(tmp_path / "x.png")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not (tmp_path / "x.png").exists()


def test_cli_no_face_exits_2_with_one_line(checkpoint, faceless, tmp_path, capsys):
    argv = ["explain", str(faceless), "--out", str(tmp_path / "x.png")]
    assert cli.main([*argv, "--checkpoint", str(checkpoint)]) == 2
    err = capsys.readouterr().err
    assert "No face was found" in err and err.count("\n") == 1


def test_cli_bad_target_layer_exits_2(checkpoint, selfie, tmp_path, capsys):
    argv = ["explain", str(selfie), "--out", str(tmp_path / "x.png"), "--target-layer", "nope"]
    assert cli.main([*argv, "--checkpoint", str(checkpoint)]) == 2
    assert capsys.readouterr().err.startswith("error: the model has no layer")


@pytest.mark.parametrize("k", ["0", "21", "ten"])
def test_cli_k_out_of_range_is_a_usage_error(checkpoint, selfie, tmp_path, k):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["explain", str(selfie), "--k", k, "--out", str(tmp_path / "x.png")])
    assert exit_info.value.code == 2


def test_cli_missing_file_exits_2(checkpoint, tmp_path, capsys):
    assert cli.main(["predict", str(tmp_path / "absent.png"), "--checkpoint", str(checkpoint)]) == 2
    assert capsys.readouterr().err.startswith("error: ")


@pytest.mark.slow
def test_module_entry_point_reports_a_bad_image_on_stderr(checkpoint, not_an_image):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelbuilding",
            "predict",
            str(not_an_image),
            "--checkpoint",
            str(checkpoint),
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1


def test_model_version_names_the_training_data_so_rebuilds_differ(tmp_path):
    path = _write_checkpoint(tmp_path / "built.pt", version="1")
    model, meta = load_checkpoint(path)
    rebuilt = save_checkpoint(tmp_path / "rebuilt.pt", model, {**meta, "data_hash": "abcdef0123"})

    assert Analyzer.load(path).model_info["version"] == "1"
    assert Analyzer.load(rebuilt).model_info["version"] == "1+abcdef01"


# --- the views of one check --------------------------------------------------------------------


def test_the_views_of_a_check_are_analysed_together_as_each_would_be_alone(checkpoint, selfie):
    analyzer = Analyzer.load(checkpoint)
    # Each photo alone, in its slot (a side slot looks for a side face first).
    alone = {slot: analyzer.analyze(selfie, k=3, slot=slot) for slot in ("front", "left")}

    front, left = analyzer.analyze_photos([("front", selfie), ("left", selfie)], k=3)

    for outcome, slot in ((front, "front"), (left, "left")):
        assert outcome.error is None and outcome.slot == slot == outcome.result.slot
        assert outcome.result.view == alone[slot].view
        assert outcome.result.grade == alone[slot].grade
        assert outcome.result.score == pytest.approx(alone[slot].score, abs=1e-5)
        np.testing.assert_allclose(outcome.result.heatmap, alone[slot].heatmap, atol=1e-5)
        assert outcome.result.zones == alone[slot].zones
    assert {z["zone"] for z in front.result.zones} <= {
        "forehead",
        "nose",
        "left_cheek",
        "right_cheek",
        "chin",
    }


def test_a_bad_view_gets_its_own_error_and_the_good_ones_are_still_analysed(
    checkpoint, selfie, not_an_image, faceless
):
    analyzer = Analyzer.load(checkpoint)

    front, left, right = analyzer.analyze_photos(
        [("front", selfie), ("left", not_an_image), ("right", faceless)], k=2
    )

    assert front.error is None and front.result.grade is not None
    assert isinstance(left.error, InvalidImage) and left.result is None
    assert isinstance(right.error, NoFaceFound) and right.result is None


def test_a_check_with_only_bad_views_gives_only_errors(checkpoint, not_an_image):
    (only,) = Analyzer.load(checkpoint).analyze_photos([("front", not_an_image)])

    assert isinstance(only.error, InvalidImage) and only.result is None


def test_a_single_photo_still_raises_its_error(checkpoint, faceless):
    with pytest.raises(NoFaceFound):
        Analyzer.load(checkpoint).analyze(faceless)


def test_an_unknown_slot_is_refused_before_any_work(checkpoint, selfie):
    with pytest.raises(ValueError, match="slot"):
        Analyzer.load(checkpoint).analyze_photos([("top", selfie)])
