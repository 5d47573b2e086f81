"""Only the Dermatologists group labels: a shopper and staff outside it get 403 on the page,
the photos and the API; a dermatologist sees photos by their own id, never whose they are."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from labelling.models import DERMATOLOGISTS, Label
from tests.accounts.factories import UserFactory
from tests.labelling.factories import dermatologist, learnable_photo

pytestmark = pytest.mark.django_db
LABELS = "/api/v1/labels/"


def test_the_group_is_made_by_a_migration():
    assert Group.objects.filter(name=DERMATOLOGISTS).exists()


@pytest.mark.parametrize(
    "who",
    [
        {},
        {"is_staff": True},
        {"is_staff": True, "is_superuser": True},
    ],
    ids=["shopper", "staff", "superuser"],
)
def test_anyone_outside_the_group_gets_403_on_the_page_the_photo_and_the_api(client, who):
    photo = learnable_photo()
    user = UserFactory(**who)
    client.force_login(user)
    api = APIClient()
    api.force_authenticate(user)

    assert client.get(reverse("labelling:queue")).status_code == 403
    assert client.get(reverse("labelling:photo", args=[photo.pk])).status_code == 403
    assert client.post(reverse("labelling:label", args=[photo.pk]), {"grade": 2}).status_code == 403
    assert api.get(f"{LABELS}next/").status_code == 403
    assert api.post(LABELS, {"photo": photo.pk, "grade": 2}, format="json").status_code == 403
    assert not Label.objects.exists()


def test_an_anonymous_visitor_is_sent_to_log_in_and_the_api_refuses(client):
    photo = learnable_photo()
    response = client.get(reverse("labelling:queue"))
    assert response.status_code == 302 and reverse("accounts:login") in response.url
    refused = APIClient().post(LABELS, {"photo": photo.pk, "grade": 2}, format="json")
    assert refused.status_code in (401, 403) and not Label.objects.exists()


def test_a_dermatologist_never_sees_whose_photo_it_is(client):
    owner = UserFactory(username="maria_private", email="maria@example.com", first_name="Maria")
    photo = learnable_photo(user=owner)
    client.force_login(dermatologist())

    page = client.get(reverse("labelling:queue")).content.decode()
    image = client.get(reverse("labelling:photo", args=[photo.pk]))
    api = APIClient()
    api.force_authenticate(dermatologist())
    following = api.get(f"{LABELS}next/").json()

    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert image["Cache-Control"] == "private, no-store"
    for identity in ("maria_private", "maria@example.com", "Maria", str(photo.diagnosis_id)):
        assert identity not in page and identity not in str(following)
    assert following["photo"] == photo.pk and "grade" not in following


def test_a_photo_without_consent_is_404_to_a_dermatologist_too(client):
    photo = learnable_photo(consent=False)
    client.force_login(dermatologist())
    api = APIClient()
    api.force_authenticate(dermatologist())

    assert client.get(reverse("labelling:photo", args=[photo.pk])).status_code == 404
    assert api.post(LABELS, {"photo": photo.pk, "grade": 2}, format="json").status_code == 404
    assert api.post(LABELS, {"photo": 999999, "grade": 2}, format="json").status_code == 404
    assert not Label.objects.exists()


def test_the_api_labels_by_the_checks_views_id_and_reveals_the_models_grade_after():
    photo = learnable_photo(grade=4)
    doctor = dermatologist()
    api = APIClient()
    api.force_authenticate(doctor)
    owner = APIClient()
    owner.force_authenticate(photo.diagnosis.user)
    view_id = owner.get(f"/api/v1/diagnoses/{photo.diagnosis_id}/").json()["views"][0]["id"]
    body = {
        "photo": view_id,
        "grade": 3,
        "lesions": [{"x": 0.4, "y": 0.6, "type": "comedone"}],
    }

    created = api.post(LABELS, body, format="json")
    again = api.post(LABELS, body, format="json")
    other = api.post(LABELS, {**body, "grade": 1}, format="json")

    assert created.status_code == 201, created.json()
    assert created.json()["model_grade"] == 4 and created.json()["role"] == "opinion"
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert other.status_code == 409 and other.json()["code"] == "already_labelled"
    assert Label.objects.get().lesions == [{"x": 0.4, "y": 0.6, "type": "comedone"}]


def test_the_api_takes_cannot_grade_and_refuses_bad_input_clearly():
    photo = learnable_photo()
    api = APIClient()
    api.force_authenticate(dermatologist())

    neither = api.post(LABELS, {"photo": photo.pk}, format="json")
    bad_type = api.post(
        LABELS,
        {"photo": photo.pk, "grade": 2, "lesions": [{"x": 0.1, "y": 0.1, "type": "mole"}]},
        format="json",
    )
    refused = api.post(LABELS, {"photo": photo.pk, "cannot_grade": "light"}, format="json")

    assert neither.status_code == 400 and "grade" in neither.json()["message"]
    assert bad_type.status_code == 400
    assert refused.status_code == 201 and refused.json()["cannot_grade"] == "light"


def test_next_is_204_when_nothing_waits():
    api = APIClient()
    api.force_authenticate(dermatologist())
    assert api.get(f"{LABELS}next/").status_code == 204
