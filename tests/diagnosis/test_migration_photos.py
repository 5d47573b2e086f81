"""Diagnoses stored before checks had several photos become checks with one front photo: their
results stay, their files stay where they are, and their owner still sees them."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from diagnosis.models import Diagnosis, DiagnosisPhoto

BEFORE = [("diagnosis", "0004_diagnosis_model_terms")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_every_stored_diagnosis_becomes_a_check_with_its_front_photo(client):
    old_apps = _migrate(BEFORE)
    OldDiagnosis = old_apps.get_model("diagnosis", "Diagnosis")
    storage = storages["private"]
    contents = {}
    for name in ("selfie.jpg", "thumb.jpg", "heatmap.png"):
        path = f"diagnoses/11111111-1111-4111-8111-111111111111/{name}"
        contents[name] = f"bytes of {name}".encode()
        storage.save(path, ContentFile(contents[name]))
    done = OldDiagnosis.objects.create(
        id="11111111-1111-4111-8111-111111111111",
        guest_token="guest-from-before",
        selfie="diagnoses/11111111-1111-4111-8111-111111111111/selfie.jpg",
        thumbnail="diagnoses/11111111-1111-4111-8111-111111111111/thumb.jpg",
        heatmap="diagnoses/11111111-1111-4111-8111-111111111111/heatmap.png",
        selfie_width=640,
        selfie_height=480,
        status="done",
        grade=3,
        label="moderate",
        score=2.8,
        probabilities=[0, 0, 0.2, 0.7, 0.1, 0],
        confidence=0.7,
        face_box=[10, 20, 300, 300],
        notes=["slightly blurred"],
        heatmap_coverage=0.12,
        view="frontal",
        model_name="acne-effnet",
        scale={"name": "GEA", "labels": ["a", "b", "c", "moderate", "e", "f"]},
    )
    failed = OldDiagnosis.objects.create(
        guest_token="guest-from-before",
        selfie="diagnoses/22222222/selfie.jpg",
        status="failed",
        failure_code="no_face",
        failure_reason="No face was found.",
    )
    queued = OldDiagnosis.objects.create(guest_token="other", selfie="diagnoses/3/selfie.jpg")

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert Diagnosis.objects.count() == 3 and DiagnosisPhoto.objects.count() == 3
    check = Diagnosis.objects.get(pk=done.pk)
    assert (check.status, check.grade, check.label, check.score) == ("done", 3, "moderate", 2.8)
    assert check.combined_from == "front" and check.model_name == "acne-effnet"
    photo = check.photos.get()
    assert photo.slot == "front" and photo.status == "done"
    assert (photo.grade, photo.label, photo.score, photo.confidence) == (3, "moderate", 2.8, 0.7)
    assert photo.probabilities == [0, 0, 0.2, 0.7, 0.1, 0]
    assert (photo.selfie_width, photo.selfie_height) == (640, 480)
    assert photo.face_box == [10, 20, 300, 300] and photo.notes == ["slightly blurred"]
    assert photo.heatmap_coverage == 0.12 and photo.view == "frontal"
    # The files keep their names and bytes: nothing was copied or moved.
    for field, name in (
        (photo.selfie, "selfie.jpg"),
        (photo.thumbnail, "thumb.jpg"),
        (photo.heatmap, "heatmap.png"),
    ):
        assert field.name == f"diagnoses/{done.pk}/{name}"
        with field.open("rb") as handle:
            assert handle.read() == contents[name]

    failed_photo = DiagnosisPhoto.objects.get(diagnosis_id=failed.pk)
    assert failed_photo.status == "failed" and failed_photo.failure_code == "no_face"
    assert Diagnosis.objects.get(pk=failed.pk).failure_reason == "No face was found."
    assert DiagnosisPhoto.objects.get(diagnosis_id=queued.pk).status == "pending"

    # Its owner still gets the photo, at the old address and at the front photo's.
    session = client.session
    session["diagnosis_guest_token"] = "guest-from-before"
    session.save()
    for url in (
        reverse("diagnosis:selfie", args=[done.pk]),
        reverse("diagnosis:photo_heatmap", args=[done.pk, "front"]),
    ):
        response = client.get(url)
        assert response.status_code == 200
    assert (
        b"".join(client.get(reverse("diagnosis:selfie", args=[done.pk])).streaming_content)
        == contents["selfie.jpg"]
    )
