from pathlib import Path

import numpy as np
import pytest
import torch

from modelbuilding.data import (
    Acne04Dataset,
    ManifestDataset,
    read_acne04_split,
    read_manifest,
)


def test_manifest_rows_keep_grade_attributes_and_extra_columns(tmp_path):
    (tmp_path / "m.csv").write_text(
        "path,grade,gender,ethnicity,mask,source\n"
        "a.jpg,3,female,V,masks/a.png,phone\n"
        "sub/b.jpg,0,,II,,\n"
    )
    a, b = read_manifest(tmp_path / "m.csv")
    assert a.path == tmp_path / "a.jpg" and a.grade == 3
    assert a.attrs == {"gender": "female", "ethnicity": "V"}
    assert a.extra == {"mask": "masks/a.png", "source": "phone"}
    assert b.path == tmp_path / "sub/b.jpg" and b.attrs["gender"] == ""


def test_manifest_with_only_path_and_grade_is_enough(tmp_path):
    (tmp_path / "m.csv").write_text("path,grade\nx.png,1\n")
    (rec,) = read_manifest(tmp_path / "m.csv")
    assert rec.grade == 1 and rec.attrs == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("file,label\na.jpg,1\n", "'path' and 'grade'"),
        ("path,grade\na.jpg,two\n", ":2: grade 'two' is not an integer"),
        ("path,grade\na.jpg,-1\n", "negative"),
        ("path,grade\n", "lists no images"),
    ],
)
def test_bad_manifest_says_what_and_where(tmp_path, text, message):
    (tmp_path / "m.csv").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_manifest(tmp_path / "m.csv")


def test_missing_manifest_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_manifest(tmp_path / "none.csv")


def test_acne04_split_lines_are_name_and_label(tmp_path):
    split = tmp_path / "NNEW_test_0.txt"
    split.write_text("levle0_1.jpg 0\n\nlevle3_17.jpg  3\n")
    records = read_acne04_split(split, tmp_path / "JPEGImages")
    assert [(r.path.name, r.grade) for r in records] == [("levle0_1.jpg", 0), ("levle3_17.jpg", 3)]
    assert records[0].path.parent == tmp_path / "JPEGImages"


def test_acne04_bad_line_is_reported_with_its_number(tmp_path):
    split = tmp_path / "s.txt"
    split.write_text("a.jpg 1\nb.jpg\n")
    with pytest.raises(ValueError, match="s.txt:2"):
        read_acne04_split(split, tmp_path)


def test_dataset_items_are_normalized_tensors_with_targets(tiny_manifest, resize_normalizer):
    ds = ManifestDataset(tiny_manifest, size=32, normalizer=resize_normalizer)
    x, targets = ds[4]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32
    assert targets["grade"].item() == 4
    assert ds.aux_vocab == {"ethnicity": ["II", "IV"], "gender": ["female", "male"]}
    # Row 2 has no gender: unknown, so its loss is masked.
    assert ds[2][1]["aux:gender"].item() == -1
    assert ds.group_of(1) == "IV"


def test_faces_are_normalized_once_then_read_from_the_cache(
    tiny_manifest, tmp_path, resize_normalizer
):
    calls = []

    def counting(path: Path, size: int, margin: float):
        calls.append(path)
        return resize_normalizer(path, size, margin)

    first = ManifestDataset(
        tiny_manifest, size=32, normalizer=counting, cache_dir=tmp_path / "c", workers=1
    )
    assert len(calls) == 36
    second = ManifestDataset(
        tiny_manifest, size=32, normalizer=counting, cache_dir=tmp_path / "c", workers=1
    )
    assert len(calls) == 36
    assert np.array_equal(first.images, second.images)
    # Another input size is another cache entry.
    ManifestDataset(
        tiny_manifest, size=48, normalizer=counting, cache_dir=tmp_path / "c", workers=1
    )
    assert len(calls) == 72


def test_images_without_a_face_are_skipped_and_counted(tiny_manifest, tmp_path, resize_normalizer):
    (tiny_manifest.parent / "images" / "0003.png").unlink()

    def no_face_on_grade_5(path, size, margin):
        if path.name in ("0005.png", "0011.png"):
            return None, "no_face"
        return resize_normalizer(path, size, margin)

    ds = ManifestDataset(
        tiny_manifest, size=32, normalizer=no_face_on_grade_5, cache_dir=tmp_path / "c", workers=1
    )
    assert len(ds) == 33
    assert sorted(code for _, code in ds.failures) == ["missing_file", "no_face", "no_face"]
    assert ds.failure_summary() == "missing_file: 1, no_face: 2"
    # The cached copy remembers the failures too.
    again = ManifestDataset(
        tiny_manifest, size=32, normalizer=no_face_on_grade_5, cache_dir=tmp_path / "c", workers=1
    )
    assert again.failure_summary() == ds.failure_summary()


def test_acne04_dataset_reads_split_and_folder(tmp_path, tiny_manifest, resize_normalizer):
    split = tmp_path / "split.txt"
    split.write_text("0001.png 1\n0002.png 2\n")
    ds = Acne04Dataset(
        split, tiny_manifest.parent / "images", size=32, normalizer=resize_normalizer
    )
    assert ds.grades.tolist() == [1, 2] and ds.aux_vocab == {}


def test_data_hash_changes_with_a_label(tmp_path, make_manifest, resize_normalizer):
    m = make_manifest(tmp_path / "d", 6)
    before = ManifestDataset(m, size=16, normalizer=resize_normalizer, cache_dir=None).hash
    m.write_text(m.read_text().replace("images/0001.png,1,", "images/0001.png,2,"))
    after = ManifestDataset(m, size=16, normalizer=resize_normalizer, cache_dir=None).hash
    assert before != after


def test_parallel_normalization_gives_the_same_crops(tiny_manifest, resize_normalizer):
    serial = ManifestDataset(
        tiny_manifest, size=32, normalizer=resize_normalizer, cache_dir=None, workers=1
    )
    parallel = ManifestDataset(
        tiny_manifest, size=32, normalizer=resize_normalizer, cache_dir=None, workers=2
    )
    assert np.array_equal(serial.images, parallel.images)
    assert serial.grades.tolist() == parallel.grades.tolist()
