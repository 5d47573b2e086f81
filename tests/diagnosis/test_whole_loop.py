"""The shop's own model, the whole loop on generated data: shoppers consent to learn, two
dermatologists label each photo (a third settles a disagreement), the labels are exported, a
tiny model is built from the export, registered and judged on the export's held-out photos,
promoted (the next check uses it) and rolled back (the next check uses the one before).
At each stage a shopper withdraws or deletes: that photo never reaches the queue or an export
after that point, and a model already built holds no photo."""

import csv
import io
from itertools import count

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from diagnosis import services as diagnosis_services
from diagnosis import tasks, versions
from diagnosis.models import Diagnosis, ModelVersion
from labelling import export, selectors
from labelling.models import Label
from modelbuilding.cli import main as modelbuilding
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import selfie_bytes
from tests.diagnosis.heldout import checkpoint_copy
from tests.diagnosis.web import make_check
from tests.labelling.factories import dermatologist, learnable_photo
from tests.ml.factories import TINY_BUILD

pytestmark = pytest.mark.django_db

LABELS = "/api/v1/labels/"
SIZE = 256  # the size of the shop-export photos the build tests use
# Photos per split, enough for the tiny build to train, choose and be judged.
WANTED = {"train": 8, "valid": 4, "test": 3}


class Shop:
    """The shoppers' consented photos, and the shop's three dermatologists at the API."""

    def __init__(self) -> None:
        self.seeds = count(1)
        self.users = [dermatologist() for _ in range(3)]
        self.doctors = [APIClient() for _ in self.users]
        for client, user in zip(self.doctors, self.users, strict=True):
            client.force_authenticate(user)

    def photo(self, owner=None, *, consent: bool = True):
        """A finished check of one synthetic selfie whose owner let the shop learn from it."""
        seed = next(self.seeds)
        grade = seed % 6
        return learnable_photo(
            user=owner,
            consent=consent,
            grade=grade,
            content=selfie_bytes(grade, seed=seed, size=SIZE),
            selfie_width=SIZE,
            selfie_height=SIZE,
        )

    def label(self, doctor: int, photo, grade: int, **extra):
        return self.doctors[doctor].post(
            LABELS, {"photo": photo.pk, "grade": grade, **extra}, format="json"
        )

    def queue(self, doctor: int) -> set[int]:
        return set(selectors.queue(self.users[doctor]).values_list("pk", flat=True))


def owners_in_every_split() -> dict[str, list]:
    """Shoppers (accounts) until each split has its share: the split follows the shopper."""
    owners: dict[str, list] = {split: [] for split in WANTED}
    while any(len(owners[split]) < n for split, n in WANTED.items()):
        user = UserFactory()
        split = export.split_of(f"user:{user.pk}")
        if len(owners[split]) < WANTED[split]:
            owners[split].append(user)
        else:
            user.delete()
    return owners


def exported(folder) -> dict[int, dict]:
    """The export's manifest rows by photo id."""
    with (folder / "manifest.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {int(row["path"].split("/shop")[1][:7]): row for row in rows}


def check_now(selfie_upload) -> Diagnosis:
    """A new check analysed by the worker's task, as a worker runs it."""
    diagnosis = make_check({"front": selfie_upload(seed=3)}, guest_token="next-shopper")
    tasks.analyze_diagnosis.apply(args=[str(diagnosis.pk)])
    diagnosis.refresh_from_db()
    return diagnosis


def register(path, *options) -> ModelVersion:
    out = io.StringIO()
    call_command("register_model", str(path), *options, stdout=out)
    return ModelVersion.objects.get(pk=int(out.getvalue().splitlines()[-1]))


class Photos:
    """The loop's photos, one in each split's share per shopper, and those that leave it."""

    def __init__(self, shop: Shop) -> None:
        owners = owners_in_every_split()
        self.by_split = {split: [shop.photo(owner) for owner in users]
                         for split, users in owners.items()}  # fmt: skip
        self.loop = [photo for split in WANTED for photo in self.by_split[split]]
        self.unconsented = shop.photo(consent=False)
        self.withdrawn_queued = shop.photo()  # withdrawn before anyone labels it
        self.withdrawn_labelled = shop.photo()  # withdrawn after its first opinion
        self.deleted_settled = shop.photo()  # its account deleted once it is settled
        self.withdrawn_exported = shop.photo(owners["train"][0])  # a train shopper's second
        self.deleted_exported = shop.photo()  # its check deleted after an export
        self.withdrawn_built = self.by_split["train"][1]  # withdrawn once a model learned it
        self.disputed = self.by_split["valid"][0]

    def ids(self, *more) -> set[int]:
        return {photo.pk for photo in (*self.loop, *more)}


def consent_and_labels(shop: Shop, photos: Photos) -> None:
    """Only consented photos are queued; two opinions each, a third where they differ."""
    queued = shop.queue(0)
    assert photos.unconsented.pk not in queued
    assert photos.ids(photos.withdrawn_queued, photos.withdrawn_labelled) <= queued
    diagnosis_services.withdraw_training_consent([photos.withdrawn_queued.diagnosis])
    assert photos.withdrawn_queued.pk not in shop.queue(0)
    assert shop.label(0, photos.withdrawn_queued, 2).status_code == 404

    exported_later = [*photos.loop, photos.deleted_settled, photos.withdrawn_exported,
                      photos.deleted_exported]  # fmt: skip
    marks = [{"x": 0.5, "y": 0.55, "type": "papule"}]
    for photo in [*exported_later, photos.withdrawn_labelled]:
        first = shop.label(0, photo, photo.grade, lesions=marks if photo.grade else [])
        assert first.status_code == 201, first.json()
    diagnosis_services.withdraw_training_consent([photos.withdrawn_labelled.diagnosis])
    assert not Label.objects.filter(photo=photos.withdrawn_labelled).exists()
    assert photos.withdrawn_labelled.pk not in shop.queue(1)
    for photo in exported_later:
        grade = (photo.grade + 1) % 6 if photo == photos.disputed else photo.grade
        assert shop.label(1, photo, grade).status_code == 201
    assert shop.queue(2) == {photos.disputed.pk}  # only the disagreement waits for the third
    final = shop.label(2, photos.disputed, photos.disputed.grade)
    assert final.status_code == 201 and final.json()["role"] == Label.Role.ADJUDICATION
    assert shop.queue(0) == shop.queue(1) == shop.queue(2) == set()
    overall, _ = selectors.agreement()
    assert overall.photos == len(exported_later) and overall.disagreements == 1
    assert overall.kappa is not None and 0.8 < overall.kappa < 1


def export_twice(photos: Photos, folder) -> None:
    """Settled, consented photos, each shopper in one split; then the next export without a
    withdrawn and a deleted one."""
    photos.deleted_settled.diagnosis.user.delete()
    call_command("export_training_set", str(folder), stdout=io.StringIO())
    rows = exported(folder)
    assert set(rows) == photos.ids(photos.withdrawn_exported, photos.deleted_exported)
    by_split = photos.by_split
    assert all(rows[p.pk]["split"] == split for split in WANTED for p in by_split[split])
    assert {row["split"] for row in rows.values()} == set(WANTED)  # every split has photos
    assert rows[photos.withdrawn_exported.pk]["split"] == "train"
    assert int(rows[photos.disputed.pk]["grade"]) == photos.disputed.grade  # the third's

    diagnosis_services.withdraw_training_consent([photos.withdrawn_exported.diagnosis])
    diagnosis_services.delete_diagnoses(
        Diagnosis.objects.filter(pk=photos.deleted_exported.diagnosis_id)
    )
    call_command("export_training_set", str(folder), stdout=io.StringIO())  # the next export
    assert set(exported(folder)) == photos.ids()
    names = {path.name for path in folder.rglob("*")}
    gone = (photos.withdrawn_exported, photos.deleted_exported, photos.deleted_settled,
            photos.unconsented, photos.withdrawn_queued, photos.withdrawn_labelled)  # fmt: skip
    assert not {f"shop{photo.pk:07d}.jpg" for photo in gone} & names


def build_and_withdraw(photos: Photos, folder, tmp_path):
    """A tiny build from the export; then a photo it learned from is withdrawn: the next export
    leaves it out, and what the build wrote holds no photo, not its bytes, not its name."""
    built = tmp_path / "built"
    code = modelbuilding(
        [*TINY_BUILD, "--shop-data", str(folder), "--out", str(built),
         "--work", str(tmp_path / "work")]
    )  # fmt: skip
    assert code == 0
    diagnosis_services.withdraw_training_consent([photos.withdrawn_built.diagnosis])
    again = tmp_path / "again"
    call_command("export_training_set", str(again), stdout=io.StringIO())
    assert set(exported(again)) == photos.ids() - {photos.withdrawn_built.pk}
    written = [path.read_bytes() for path in built.iterdir()]
    assert len(written) >= 2  # the model and its card
    for photo in photos.loop:
        with photo.selfie.open("rb") as handle:
            content = handle.read()
        assert not any(content in data or f"shop{photo.pk:07d}".encode() in data
                       for data in written)  # fmt: skip
    return built / "shop.pt", again


def test_consent_label_adjudicate_export_build_register_promote_and_roll_back(
    tmp_path, selfie_upload, fast_heatmaps
):
    shop = Shop()
    photos = Photos(shop)
    consent_and_labels(shop, photos)
    export_twice(photos, tmp_path / "export")
    checkpoint, heldout = build_and_withdraw(photos, tmp_path / "export", tmp_path)

    in_use = versions.promote(register(checkpoint_copy(tmp_path, "synthetic")))
    before = check_now(selfie_upload)
    assert before.status == Diagnosis.Status.DONE and before.model_release == in_use

    ours = register(checkpoint, "--heldout", str(heldout))  # judged on the export's test split
    assert ours.status == ModelVersion.Status.CANDIDATE and ours.commercial_use
    assert ours.name == "skinshop-shop" and ours.evaluation["photos"] == WANTED["test"]
    assert {"accuracy", "mae", "spearman", "recall_per_grade", "referral_sensitivity"} <= set(
        ours.evaluation
    )
    with ours.checkpoint.open("rb") as stored:
        assert stored.read() == checkpoint.read_bytes()  # as built: no photo in it either

    call_command("promote_model", str(ours.pk), stdout=io.StringIO())
    after_promotion = check_now(selfie_upload)
    assert after_promotion.status == Diagnosis.Status.DONE
    assert after_promotion.model_release == ours and after_promotion.model_name == ours.name

    call_command("promote_model", str(versions.previous_version().pk), stdout=io.StringIO())
    after_rollback = check_now(selfie_upload)
    assert after_rollback.model_release == in_use
    assert Diagnosis.objects.get(pk=after_promotion.pk).model_release == ours  # each keeps its own
    assert ModelVersion.objects.get(pk=ours.pk).status == ModelVersion.Status.RETIRED
