"""GET /api/v1/diagnoses/<id>/recommendation/: the routine for one of your own diagnoses."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory, PhotoFactory
from tests.recommendations.factories import RuleFactory, RuleItemFactory

pytestmark = pytest.mark.django_db


def routine_of(diagnosis) -> str:
    return reverse("api:diagnosis-recommendation", args=[diagnosis.pk])


def _diagnosis(user, **fields):
    return DiagnosisFactory(user=user, **fields)


@pytest.fixture
def moderate_rule():
    rule = RuleFactory(min_grade=3, max_grade=3, name="Moderate", kit_name="Moderate kit")
    RuleItemFactory(rule=rule, product__name="Adapalene gel", product__stock=5)
    return rule


def test_own_done_diagnosis_gets_the_routine_of_its_grade(moderate_rule):
    owner = UserFactory()
    client = APIClient()
    client.force_authenticate(owner)

    response = client.get(routine_of(_diagnosis(owner)))

    assert response.status_code == 200
    assert response.json()["grade"] == 3
    assert [p["product"]["name"] for p in response.json()["lines"]] == ["Acme Derm Adapalene gel"]


def test_a_check_of_several_photos_gets_the_routine_of_its_combined_grade(moderate_rule):
    owner = UserFactory()
    client = APIClient()
    client.force_authenticate(owner)
    # The front photo alone would be mild; the left one decided the check's grade.
    check = _diagnosis(owner, combined_from="left", front__grade=2, front__label="mild")
    PhotoFactory(diagnosis=check, slot="left", grade=3, label="moderate")
    PhotoFactory(diagnosis=check, slot="right", status="failed", grade=None, label="")

    response = client.get(routine_of(check))

    assert response.status_code == 200
    assert response.json()["grade"] == 3
    assert response.json()["rule"]["name"] == "Moderate"


def test_someone_elses_diagnosis_is_not_found(moderate_rule):
    diagnosis = _diagnosis(UserFactory())
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())

    assert stranger.get(routine_of(diagnosis)).status_code == 404
    assert APIClient().get(routine_of(diagnosis)).status_code == 404


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"status": Diagnosis.Status.PROCESSING, "grade": None}, "not finished"),
        (
            {"status": Diagnosis.Status.FAILED, "grade": None, "failure_reason": "No face."},
            "No face.",
        ),
    ],
)
def test_a_diagnosis_without_a_grade_is_a_conflict_that_says_why(fields, says):
    owner = UserFactory()
    client = APIClient()
    client.force_authenticate(owner)

    response = client.get(routine_of(_diagnosis(owner, **fields)))

    assert response.status_code == 409
    assert says in response.json()["message"]
    assert response.json()["code"] == "diagnosis_not_graded"


def test_the_skin_type_narrows_the_routine_down_as_for_a_grade(moderate_rule):
    owner = UserFactory()
    client = APIClient()
    client.force_authenticate(owner)

    response = client.get(routine_of(_diagnosis(owner)), {"skin_type": "scaly"})

    assert response.status_code == 400


def test_the_endpoint_is_in_the_openapi_schema():
    schema = APIClient().get(reverse("api:schema"), {"format": "json"}).json()

    get = schema["paths"]["/api/v1/diagnoses/{id}/recommendation/"]["get"]
    assert {p["name"] for p in get["parameters"]} == {"id", "condition", "skin_type"}
    assert set(get["responses"]) == {"200", "400", "404", "409"}
