"""A shopper's skin checks are in their data export, and go, photos included, with their
account."""

import json

import pytest
from django.urls import reverse

from diagnosis.models import Diagnosis
from tests.accounts.factories import PASSWORD, UserFactory
from tests.diagnosis.web import files_of, front, make_diagnosis

pytestmark = pytest.mark.django_db


@pytest.fixture
def sam(client):
    user = UserFactory(username="sam")
    client.force_login(user)
    return user


@pytest.fixture
def done(selfie_upload, analyzer, settings, sam):
    settings.DIAGNOSIS_EXPLAIN_K = 2
    return make_diagnosis(selfie_upload(), analyzer=analyzer, user=sam)


def test_the_export_holds_the_checks_results_without_photos(client, done, selfie_upload):
    make_diagnosis(selfie_upload(seed=2), guest_token="someone-else")

    data = json.loads(client.get(reverse("accounts:profile_export")).content)

    (check,) = data["skin_checks"]
    assert check["id"] == str(done.pk) and check["grade"] == done.grade
    assert check["photos"][0]["slot"] == "front"
    assert "selfie" not in json.dumps(check)


def test_deleting_the_account_deletes_the_checks_and_their_files(
    client, done, django_capture_on_commit_callbacks
):
    storage = front(done).selfie.storage
    names = files_of(done)
    assert names and all(storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:profile_delete"), {"password": PASSWORD})

    assert not Diagnosis.objects.exists()
    assert not any(storage.exists(name) for name in names)
