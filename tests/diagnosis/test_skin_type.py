"""The shopper's skin type: asked (optionally) with the photos, kept with the check, and the
check's routine follows the rules for it, on the page and in the API."""

import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis.models import Diagnosis
from recommendations.models import SkinType
from tests.diagnosis.factories import DIAGNOSES, finished_check
from tests.diagnosis.web import UPLOAD_URL, post_photos
from tests.recommendations.factories import RuleFactory, TreatmentPlanFactory

pytestmark = pytest.mark.django_db


def test_the_upload_page_asks_the_skin_type_and_keeps_it_with_the_check(
    client, selfie_upload, sent
):
    html = client.get(UPLOAD_URL).content.decode()
    assert "Your skin type" in html and 'name="skin_type"' in html and "Not sure" in html

    response = post_photos(client, {"front": selfie_upload(), "skin_type": "oily"})

    assert response.status_code == 302
    assert Diagnosis.objects.get().skin_type == SkinType.OILY


def test_not_saying_the_skin_type_is_fine_and_a_made_up_one_is_refused(client, selfie_upload, sent):
    assert post_photos(client, {"front": selfie_upload()}).status_code == 302
    assert Diagnosis.objects.get().skin_type == ""

    response = post_photos(client, {"front": selfie_upload(), "skin_type": "scaly"})

    assert response.status_code == 200 and Diagnosis.objects.count() == 1
    assert "Select a valid choice" in response.content.decode()


def test_the_next_check_starts_from_the_skin_type_said_last_time(client):
    session = client.session
    session["diagnosis_guest_token"] = "guest"
    session.save()
    finished_check(guest_token="guest")
    Diagnosis.objects.update(skin_type=SkinType.DRY)

    html = client.get(UPLOAD_URL).content.decode()

    (dry,) = re.findall(r'<input[^>]*value="dry"[^>]*>', html)
    assert "checked" in dry


def test_the_checks_routine_follows_the_rule_for_its_skin_type(client):
    RuleFactory(priority=0, plan=TreatmentPlanFactory(name="Everyone's plan"))
    RuleFactory(
        priority=0, skin_type=SkinType.OILY, plan=TreatmentPlanFactory(name="Oily skin plan")
    )
    session = client.session
    session["diagnosis_guest_token"] = "guest"
    session.save()
    check = finished_check(guest_token="guest", score=2.0)
    url = reverse("diagnosis:detail", args=[check.pk])

    assert "Your routine: Everyone&#x27;s plan" in client.get(url).content.decode()
    Diagnosis.objects.filter(pk=check.pk).update(skin_type=SkinType.OILY)
    assert "Your routine: Oily skin plan" in client.get(url).content.decode()


def _api_upload(client, upload, skin_type):
    data = {"consent": "true", "front": upload, "skin_type": skin_type}
    return client.post(DIAGNOSES, data, format="multipart")


def test_the_api_takes_the_skin_type_and_its_routine_follows_it(selfie_upload, sent):
    RuleFactory(priority=0, plan=TreatmentPlanFactory(name="Everyone's plan"))
    RuleFactory(
        priority=0, skin_type=SkinType.OILY, plan=TreatmentPlanFactory(name="Oily skin plan")
    )
    client = APIClient()
    body = _api_upload(client, selfie_upload(), "oily").json()
    assert body["skin_type"] == "oily"
    Diagnosis.objects.update(status=Diagnosis.Status.DONE, grade=2, label="mild")

    routine = client.get(f"/api/v1/diagnoses/{body['id']}/recommendation/").json()

    assert routine["plan"]["name"] == "Oily skin plan"
    assert _api_upload(client, selfie_upload(), "scaly").status_code == 400
