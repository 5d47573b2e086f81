"""The synthetic selfie generator: deterministic, balanced, lesions on skin, grades by count."""

import csv

import numpy as np
import pytest
from PIL import Image

from diagnosis.ml.face import load_image, normalize_face
from modelbuilding import synth
from modelbuilding.cli import main as cli_main

ACTIVE = ("open_comedones", "closed_comedones", "papules", "pustules", "nodules")


def render(seed: int, grade: int, **kwargs) -> synth.SynthSample:
    return synth.render_selfie(np.random.default_rng(seed), grade, size=256, **kwargs)


def read_manifest(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_sample_is_an_rgb_image_with_a_mask_in_the_same_frame():
    sample = render(0, 3)
    assert sample.image.mode == "RGB" and sample.image.size == (256, 256)
    assert sample.mask.shape == (256, 256) and sample.mask.dtype == np.uint8
    assert set(np.unique(sample.mask)) <= {0, 255}
    assert sample.attrs["gender"] in ("M", "F")
    assert sample.attrs["ethnicity"] in synth.SKIN_TONES


def test_lesions_lie_on_skin_only():
    for seed in range(6):
        sample = render(seed, 5)
        lesion = sample.mask > 0
        assert lesion.any()
        assert not (lesion & (sample.skin == 0)).any()
        for x, y in sample.attrs["eyes"]:  # nothing on the eyes
            assert not lesion[int(y) - 4 : int(y) + 5, int(x) - 4 : int(x) + 5].any()


def test_a_clear_face_has_no_lesion_in_its_mask():
    for seed in range(4):
        sample = render(seed, 0)
        assert not sample.mask.any()
        assert all(sample.attrs[kind] == 0 for kind in ACTIVE)


def test_lesion_counts_and_area_grow_with_the_grade():
    counts, areas = [], []
    for grade in synth.GRADES:
        samples = [render(100 + seed, grade) for seed in range(4)]
        counts.append(np.mean([sum(s.attrs[k] for k in ACTIVE) for s in samples]))
        areas.append(np.mean([(s.mask > 0).mean() for s in samples]))
    assert all(a < b for a, b in zip(counts, counts[1:], strict=False)), counts
    assert all(a < b for a, b in zip(areas[1:], areas[2:], strict=False)), (
        areas
    )  # grade 1 vs 0 differs by few pixels
    assert areas[0] == 0 < areas[1]


def test_inflammatory_counts_follow_the_grade_recipe():
    for grade, recipe in enumerate(synth.GRADE_RECIPES):
        sample = render(7, grade)
        inflamed = sample.attrs["papules"] + sample.attrs["pustules"]
        assert inflamed <= recipe.inflammatory[1]
        assert inflamed >= recipe.inflammatory[0] * 0.8  # a few may not find room on skin


def test_overrides_pin_attributes_and_bad_arguments_are_refused():
    sample = render(1, 2, ethnicity="VI", gender="F", roll=0.0)
    assert (sample.attrs["ethnicity"], sample.attrs["gender"], sample.attrs["roll"]) == (
        "VI",
        "F",
        0.0,
    )
    with pytest.raises(ValueError):
        render(1, 6)
    with pytest.raises(ValueError):
        render(1, 2, style="nope")
    with pytest.raises(TypeError):
        render(1, 2, freckles=True)


def test_the_shifted_style_differs_from_the_default():
    default, shifted = render(3, 2), render(3, 2, style="shifted")
    assert not np.array_equal(np.asarray(default.image), np.asarray(shifted.image))


def test_generate_writes_a_balanced_manifest_with_images_and_masks(tmp_path):
    manifest = synth.generate(tmp_path, 12, 5, size=256, workers=1, progress=False)

    rows = read_manifest(manifest)
    assert manifest == tmp_path / "manifest.csv"
    assert list(rows[0])[:5] == ["path", "grade", "gender", "ethnicity", "mask"]
    assert sorted(int(r["grade"]) for r in rows) == sorted(list(synth.GRADES) * 2)
    for row in rows:
        image = Image.open(tmp_path / row["path"])
        mask = Image.open(tmp_path / row["mask"])
        assert image.format == "JPEG" and image.size == mask.size == (256, 256)
        assert row["path"].startswith("images/") and row["mask"].startswith("masks/")


def test_generate_restricted_to_some_grades(tmp_path):
    rows = read_manifest(
        synth.generate(tmp_path, 4, 1, grades=[0, 5], size=256, workers=1, progress=False)
    )
    assert sorted(int(r["grade"]) for r in rows) == [0, 0, 5, 5]
    with pytest.raises(ValueError):
        synth.generate(tmp_path, 4, 1, grades=[9], progress=False)


def test_the_same_seed_gives_identical_files_whatever_the_number_of_workers(tmp_path):
    one = synth.generate(tmp_path / "a", 8, 42, size=256, workers=1, progress=False).parent
    two = synth.generate(tmp_path / "b", 8, 42, size=256, workers=2, progress=False).parent
    other = synth.generate(tmp_path / "c", 8, 43, size=256, workers=1, progress=False).parent

    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert len(files) == 17
    for name in files:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    assert (one / "images/00000.jpg").read_bytes() != (other / "images/00000.jpg").read_bytes()


def test_every_generated_face_is_found_across_grades_and_skin_tones():
    tones = list(synth.SKIN_TONES)
    missed = []
    for i in range(24):
        sample = synth.render_selfie(
            np.random.default_rng([11, i]),
            i % 6,
            size=384,
            ethnicity=tones[(i // 6 + i) % 6],
            style="shifted" if i % 2 else "default",
        )
        try:
            normalize_face(sample.image, size=128)
        except Exception as exc:  # noqa: BLE001 - collect every miss for the message
            missed.append((i, sample.attrs["ethnicity"], type(exc).__name__))
    assert not missed


def test_cli_synth_writes_a_data_set(tmp_path, capsys):
    code = cli_main(
        [
            "synth",
            "--out",
            str(tmp_path),
            "--n",
            "3",
            "--seed",
            "2",
            "--size",
            "256",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    rows = read_manifest(tmp_path / "manifest.csv")
    assert len(rows) == 3
    assert load_image(tmp_path / rows[0]["path"]).size == (256, 256)
    assert str(tmp_path / "manifest.csv") in capsys.readouterr().out
