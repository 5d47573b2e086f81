"""GET /api/v1/diagnoses/<id>/recommendation/: the routine for one of your own diagnoses."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory, PhotoFactory, zone_list
from tests.recommendations.factories import RuleFactory, RuleItemFactory, zone_kit_rule

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


def test_a_checks_zone_findings_add_the_products_staff_tied_to_them(client):
    zone_kit_rule()  # grade 3: a cleanser; a chin at moderate or worse adds a spot gel
    owner = UserFactory()
    check = _diagnosis(owner, zones=zone_list(chin=3.4, forehead=1.0))
    api = APIClient()
    api.force_authenticate(owner)
    client.force_login(owner)

    answer = api.get(routine_of(check)).json()
    page = client.get(reverse("diagnosis:detail", args=[check.pk])).content.decode()

    names = [line["product"]["name"] for line in answer["lines"]]
    assert names == ["Acme Derm Cleanser", "Acme Derm Spot gel"]
    assert (
        answer["lines"][1]["why"] == "A spot treatment for the inflamed spots on your chin and jaw."
    )
    assert "Spot gel" in page
    assert "A spot treatment for the inflamed spots on your chin and jaw." in page


def test_a_check_whose_chin_is_only_mild_gets_no_spot_treatment():
    zone_kit_rule()
    owner = UserFactory()
    check = _diagnosis(owner, zones=zone_list(chin=2.4))
    api = APIClient()
    api.force_authenticate(owner)

    names = [line["product"]["name"] for line in api.get(routine_of(check)).json()["lines"]]

    assert names == ["Acme Derm Cleanser"]
