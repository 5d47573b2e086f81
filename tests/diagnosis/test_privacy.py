"""Only the owner, and staff holding ``diagnosis.view_selfie``, see a diagnosis or its photos."""

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.urls import reverse

from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import PASSWORD, UserFactory
from tests.diagnosis.web import front, make_diagnosis, page_urls, post_selfie

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_heatmaps")]


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def done(owner, selfie_upload, analyzer):
    """The owner's analysed diagnosis, with a selfie and a heatmap in storage."""
    diagnosis = make_diagnosis(selfie_upload(), analyzer=analyzer, user=owner)
    assert diagnosis.status == Diagnosis.Status.DONE and front(diagnosis).heatmap
    return diagnosis


def signed_in(client, user):
    client.force_login(user)
    return client


def staff(*, may_see_selfies: bool):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_diagnosis"))
    if may_see_selfies:
        user.user_permissions.add(Permission.objects.get(codename="view_selfie"))
    return user


def answers(client, diagnosis) -> dict[str, int]:
    return {name: client.get(url).status_code for name, url in page_urls(diagnosis).items()}


NOT_FOUND = dict.fromkeys(("detail", "status", "selfie", "thumbnail", "heatmap"), 404)
FOUND = dict.fromkeys(("detail", "status", "selfie", "thumbnail", "heatmap"), 200)


def served(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_owner_sees_the_page_the_status_the_selfie_and_the_heatmap(client, owner, done):
    signed_in(client, owner)

    assert answers(client, done) == FOUND
    selfie = client.get(page_urls(done)["selfie"])
    thumbnail = client.get(page_urls(done)["thumbnail"])
    heatmap = client.get(page_urls(done)["heatmap"])
    assert selfie["Content-Type"] == thumbnail["Content-Type"] == "image/jpeg"
    assert heatmap["Content-Type"] == "image/png"
    assert (
        selfie["Cache-Control"]
        == thumbnail["Cache-Control"]
        == heatmap["Cache-Control"]
        == "private, no-store"
    )
    with front(done).selfie.open("rb") as stored:
        assert served(selfie) == stored.read()
    with front(done).thumbnail.open("rb") as stored:
        assert served(thumbnail) == stored.read()


def test_a_diagnosis_stored_before_thumbnails_shows_its_selfie_as_thumbnail(
    client, owner, selfie_upload
):
    old = make_diagnosis(selfie_upload(), user=owner)
    front(old).thumbnail.delete(save=False)
    # as the thumbnail migration left old rows
    DiagnosisPhoto.objects.filter(diagnosis=old).update(thumbnail="")
    signed_in(client, owner)

    response = client.get(page_urls(old)["thumbnail"])

    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, no-store"
    with front(old).selfie.open("rb") as stored:
        assert served(response) == stored.read()
    client.logout()
    assert client.get(page_urls(old)["thumbnail"]).status_code == 404  # still the owner's only


def test_another_shopper_gets_404_for_everything_and_cannot_delete(client, done):
    signed_in(client, UserFactory())

    assert answers(client, done) == NOT_FOUND
    assert client.post(reverse("diagnosis:delete", args=[done.pk])).status_code == 404
    assert Diagnosis.objects.filter(pk=done.pk).exists()


def test_an_anonymous_visitor_gets_404_for_everything_and_cannot_delete(client, done):
    assert answers(client, done) == NOT_FOUND
    assert client.post(reverse("diagnosis:delete", args=[done.pk])).status_code == 404
    assert Diagnosis.objects.filter(pk=done.pk).exists()


def test_staff_without_the_selfie_permission_get_404(client, done):
    signed_in(client, staff(may_see_selfies=False))

    assert answers(client, done) == NOT_FOUND


def test_staff_with_the_selfie_permission_see_it_but_cannot_delete_it(client, done):
    signed_in(client, staff(may_see_selfies=True))

    assert answers(client, done) == FOUND
    assert 'data-testid="delete"' not in client.get(page_urls(done)["detail"]).content.decode()
    assert client.post(reverse("diagnosis:delete", args=[done.pk])).status_code == 404


def test_a_diagnosis_without_a_heatmap_answers_404_for_it(client, owner, selfie_upload):
    queued = make_diagnosis(selfie_upload(), user=owner)
    signed_in(client, owner)

    assert client.get(page_urls(queued)["selfie"]).status_code == 200
    assert client.get(page_urls(queued)["heatmap"]).status_code == 404


def test_an_unknown_id_is_404_like_a_strangers(client, owner):
    signed_in(client, owner)

    assert client.get("/diagnosis/00000000-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/diagnosis/not-a-uuid/selfie.jpg").status_code == 404


def test_a_guests_diagnosis_follows_them_into_their_account_at_log_in(
    client, selfie_upload, django_capture_on_commit_callbacks
):
    cache.clear()  # the hourly upload counters outlive other tests' transactions
    shopper = UserFactory()
    with django_capture_on_commit_callbacks(execute=False):  # nothing goes to a broker
        post_selfie(client, selfie_upload())
    diagnosis = Diagnosis.objects.get()
    assert diagnosis.user is None
    assert client.get(page_urls(diagnosis)["detail"]).status_code == 200  # the guest sees it

    response = client.post(
        reverse("accounts:login"), {"username": shopper.username, "password": PASSWORD}
    )

    assert response.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.user == shopper and diagnosis.guest_token == ""
    assert answers(client, diagnosis) | {"heatmap": 200} == FOUND  # still queued: no heatmap
    history = client.get(reverse("diagnosis:history")).content.decode()
    assert reverse("diagnosis:detail", args=[diagnosis.pk]) in history
    # And an anonymous browser that never had that session sees nothing.
    client.logout()
    assert answers(client, diagnosis) == NOT_FOUND
