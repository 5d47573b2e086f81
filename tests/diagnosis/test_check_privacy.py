"""Every photo of a check, its thumbnail and its heatmap are its owner's alone (and staff's with
``diagnosis.view_selfie``), and every one of them goes with the check however the check goes."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory
from tests.diagnosis.web import files_of, make_check, photo_urls

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_heatmaps")]


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def three_views(owner, selfie_upload, analyzer):
    """The owner's analysed check of three photos, each with a selfie, thumbnail and heatmap."""
    check = make_check(
        {
            "front": selfie_upload(seed=7),
            "left": selfie_upload(seed=1),
            "right": selfie_upload(seed=4),  # seeds the shipped model grades
        },
        analyzer=analyzer,
        user=owner,
    )
    assert set(check.photos.values_list("status", flat=True)) == {"done"}
    assert len(files_of(check)) == 9
    return check


def answers(client, check) -> dict[str, int]:
    return {name: client.get(url).status_code for name, url in photo_urls(check).items()}


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def stored(names: list[str]) -> list[str]:
    storage = DiagnosisPhoto._meta.get_field("selfie").storage
    return [name for name in names if storage.exists(name)]


def test_the_owner_gets_every_file_of_every_photo_privately(client, owner, three_views):
    client.force_login(owner)
    urls = photo_urls(three_views)
    assert len(urls) == 9

    assert answers(client, three_views) == dict.fromkeys(urls, 200)
    for name, url in urls.items():
        response = client.get(url)
        assert response["Cache-Control"] == "private, no-store"
        kind = "image/png" if name.endswith("heatmap") else "image/jpeg"
        assert response["Content-Type"] == kind
    # The owner's API token reaches them too (a phone app has no session).
    assert answers(token_client(owner), three_views) == dict.fromkeys(urls, 200)


def test_nobody_else_gets_any_file_of_any_photo(client, three_views):
    not_found = dict.fromkeys(photo_urls(three_views), 404)
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_diagnosis"))

    assert answers(client, three_views) == not_found  # an anonymous visitor
    client.force_login(UserFactory())
    assert answers(client, three_views) == not_found  # another shopper
    assert answers(token_client(UserFactory()), three_views) == not_found  # another's token
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert answers(forged, three_views) == not_found
    client.force_login(staff)
    assert answers(client, three_views) == not_found  # staff without view_selfie


def test_staff_with_the_selfie_permission_see_every_photo(client, three_views):
    staff = UserFactory(is_staff=True)
    for codename in ("view_diagnosis", "view_selfie"):
        staff.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(staff)

    assert answers(client, three_views) == dict.fromkeys(photo_urls(three_views), 200)


def test_an_unknown_slot_is_not_an_address(client, owner, three_views):
    client.force_login(owner)

    assert client.get(f"/diagnosis/{three_views.pk}/back/selfie.jpg").status_code == 404


def test_deleting_the_check_deletes_every_file_of_every_photo(
    three_views, django_capture_on_commit_callbacks
):
    names = files_of(three_views)

    with django_capture_on_commit_callbacks(execute=True):
        services.delete_diagnoses([three_views])

    assert not DiagnosisPhoto.objects.exists()
    assert stored(names) == []


def test_the_purge_deletes_every_file_of_every_photo(
    three_views, settings, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_RETENTION_DAYS = 30
    names = files_of(three_views)
    Diagnosis.objects.filter(pk=three_views.pk).update(
        created_at=timezone.now() - timedelta(days=31)
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert services.purge_expired().expired == 1

    assert stored(names) == []


def test_deleting_the_account_deletes_every_file_of_every_photo(
    owner, three_views, django_capture_on_commit_callbacks
):
    names = files_of(three_views)

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    assert not Diagnosis.objects.exists() and stored(names) == []


def test_an_upload_whose_rows_cannot_be_saved_leaves_no_photo_behind(selfie_upload):
    from unittest import mock

    from django.db import DatabaseError

    from tests.diagnosis.factories import stored_names

    with mock.patch.object(
        DiagnosisPhoto.objects, "bulk_create", side_effect=DatabaseError("disk full")
    ):
        with pytest.raises(DatabaseError):
            make_check(
                {"front": selfie_upload(), "left": selfie_upload(seed=2)}, user=UserFactory()
            )

    assert stored_names() == [] and not Diagnosis.objects.exists()
