"""The training set export: consented, settled photos only, final grades and lesion boxes in
ACNE04's layout, split by shopper, the terms written, byte-identical from the same data."""

import csv
import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from diagnosis import services as diagnosis_services
from labelling import export
from modelbuilding import acne04, shopdata
from modelbuilding.data import read_manifest
from tests.accounts.factories import UserFactory
from tests.labelling.factories import dermatologist, label, learnable_photo

pytestmark = pytest.mark.django_db


@pytest.fixture
def doctors():
    return dermatologist(), dermatologist(), dermatologist()


def settled(photo, doctors, first=3, second=3, final=None, lesions=()):
    label(photo, doctors[0], first, lesions=list(lesions))
    label(photo, doctors[1], second)
    if final is not None:
        label(photo, doctors[2], final, lesions=list(lesions))
    return photo


def files(folder) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def manifest(folder) -> list[dict]:
    with (folder / "manifest.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_only_settled_consented_photos_are_exported_with_their_final_grade(tmp_path, doctors):
    agreed = settled(learnable_photo(), doctors, 2, 2)
    adjudicated = settled(learnable_photo(), doctors, 1, 4, final=3)
    learnable_photo()  # no label yet
    settled(learnable_photo(), doctors, None, None)  # cannot be graded
    unconsented = learnable_photo(consent=False)

    report = export.export_training_set(tmp_path / "out")

    rows = {row["path"].split("/shop")[1]: row for row in manifest(tmp_path / "out")}
    assert set(rows) == {f"{agreed.pk:07d}.jpg", f"{adjudicated.pk:07d}.jpg"}
    assert rows[f"{agreed.pk:07d}.jpg"]["grade"] == "2"
    assert rows[f"{adjudicated.pk:07d}.jpg"]["grade"] == "3"
    assert report.photos == 2 and report.unsettled == 2
    assert f"shop{unconsented.pk:07d}" not in str(files(tmp_path / "out"))


def test_the_same_data_gives_byte_identical_files(tmp_path, doctors):
    for n in range(6):
        settled(
            learnable_photo(),
            doctors,
            n % 6,
            n % 6,
            lesions=[{"x": 0.5, "y": 0.5, "type": "papule"}],
        )

    export.export_training_set(tmp_path / "a")
    export.export_training_set(tmp_path / "b")
    export.export_training_set(tmp_path / "a")  # over its own previous export

    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert len(files(tmp_path / "a")) == 6 * 2 + 2


def test_a_shoppers_photos_are_all_in_one_split_and_the_split_is_stable(tmp_path, doctors):
    owners = [UserFactory() for _ in range(12)]
    for owner in owners:
        first = learnable_photo(user=owner)
        settled(first, doctors)
        settled(learnable_photo(diagnosis=first.diagnosis, slot="left"), doctors)
    settled(learnable_photo(guest_token="guest-a"), doctors)
    settled(learnable_photo(guest_token="guest-a"), doctors)

    export.export_training_set(tmp_path / "out")

    rows = manifest(tmp_path / "out")
    splits_of_subject: dict[str, set] = {}
    for row in rows:
        splits_of_subject.setdefault(row["subject"], set()).add(row["split"])
        assert row["path"].startswith(f"{row['split']}/")
    assert len(splits_of_subject) == 13
    assert all(len(splits) == 1 for splits in splits_of_subject.values())
    assert export.split_of("user:7") == export.split_of("user:7")
    assert {export.split_of(f"user:{n}") for n in range(200)} == {"train", "valid", "test"}


def test_the_build_reads_the_manifest_and_the_lesion_boxes(tmp_path, doctors):
    marks = [{"x": 0.25, "y": 0.5, "type": "pustule"}, {"x": 0.75, "y": 0.5, "type": "nodule"}]
    photo = settled(learnable_photo(), doctors, 4, 4, lesions=marks)

    export.export_training_set(tmp_path / "out")

    (record,) = read_manifest(tmp_path / "out" / "manifest.csv")
    assert record.grade == 4 and record.path.is_file()
    boxes = acne04.read_boxes(record.path.with_suffix(".xml"))
    centres = [
        ((x0 + x1) / 2 / photo.selfie_width, (y0 + y1) / 2 / photo.selfie_height)
        for x0, y0, x1, y1 in boxes
    ]
    assert centres == pytest.approx([(0.25, 0.5), (0.75, 0.5)], abs=0.02)
    assert manifest(tmp_path / "out")[0]["lesion_boxes"] == "2"
    assert "<name>pustule</name>" in record.path.with_suffix(".xml").read_text()


def test_make_models_reader_takes_the_export_as_it_is_with_its_terms(tmp_path, doctors):
    marks = [{"x": 0.5, "y": 0.5, "type": "papule"}]
    photo = settled(learnable_photo(), doctors, 2, 2, lesions=marks)

    export.export_training_set(tmp_path / "out")

    terms = shopdata.read_terms(tmp_path / "out")
    assert terms["commercial_use"] is True
    split = export.split_of(export.owner_key(photo.diagnosis))
    (read,) = shopdata.read_folder(tmp_path / "out", split)
    assert read.grade == 2 and read.lesions == 1 and read.view == photo.slot


def test_the_terms_say_the_shop_collected_the_photos_with_consent(tmp_path, doctors):
    settled(learnable_photo(), doctors)
    export.export_training_set(tmp_path / "out")
    terms = json.loads((tmp_path / "out" / "TERMS.json").read_text())
    assert "collected by this shop with consent" in terms["licence"]
    assert terms["commercial_use"] is True and terms["scale"]["name"] == "GEA"


def test_a_withdrawn_photo_leaves_the_next_export_files_and_all(tmp_path, doctors):
    kept = settled(learnable_photo(), doctors)
    withdrawn = settled(learnable_photo(), doctors)
    export.export_training_set(tmp_path / "out")
    assert len(manifest(tmp_path / "out")) == 2

    diagnosis_services.withdraw_training_consent([withdrawn.diagnosis])
    export.export_training_set(tmp_path / "out")

    split = export.split_of(export.owner_key(kept.diagnosis))
    assert [row["path"] for row in manifest(tmp_path / "out")] == [f"{split}/shop{kept.pk:07d}.jpg"]
    assert f"shop{withdrawn.pk:07d}" not in str(files(tmp_path / "out"))


def test_the_command_writes_it_and_never_touches_a_folder_that_is_not_an_export(tmp_path, doctors):
    settled(learnable_photo(), doctors)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")

    call_command("export_training_set", str(tmp_path / "out"))
    with pytest.raises(CommandError):
        call_command("export_training_set", str(tmp_path / "mine"))

    assert len(manifest(tmp_path / "out")) == 1
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
