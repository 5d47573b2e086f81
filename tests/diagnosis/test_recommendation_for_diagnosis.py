"""GET /api/v1/recommendations/?diagnosis=<id>: the routine for one of your own diagnoses."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory
from tests.recommendations.factories import RuleFactory, RuleItemFactory

pytestmark = pytest.mark.django_db

RECOMMENDATIONS = reverse("api:recommendations")


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

    response = client.get(RECOMMENDATIONS, {"diagnosis": _diagnosis(owner).pk})

    assert response.status_code == 200
    assert response.json()["grade"] == 3
    assert [p["product"]["name"] for p in response.json()["lines"]] == ["Acme Derm Adapalene gel"]


def test_someone_elses_diagnosis_is_not_found(moderate_rule):
    diagnosis = _diagnosis(UserFactory())
    stranger = APIClient()
    stranger.force_authenticate(UserFactory())

    assert stranger.get(RECOMMENDATIONS, {"diagnosis": diagnosis.pk}).status_code == 404
    assert APIClient().get(RECOMMENDATIONS, {"diagnosis": diagnosis.pk}).status_code == 404


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

    response = client.get(RECOMMENDATIONS, {"diagnosis": _diagnosis(owner, **fields).pk})

    assert response.status_code == 409
    assert says in response.json()["message"]


@pytest.mark.parametrize("query", [{}, {"grade": 2, "diagnosis": "0" * 32}])
def test_grade_or_diagnosis_exactly_one(query):
    response = APIClient().get(RECOMMENDATIONS, query)

    assert response.status_code == 400
    assert "either a grade or a diagnosis" in response.json()["message"]
