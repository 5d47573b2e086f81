"""Polling a pending check: the answer carries an ETag, and a poll that sends it back gets 304
from one read of the check, until the check moves on; a finished check is answered in full."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import DiagnosisFactory

pytestmark = pytest.mark.django_db


def api_url(diagnosis) -> str:
    return f"/api/v1/diagnoses/{diagnosis.pk}/"


def page_url(diagnosis) -> str:
    return reverse("diagnosis:status", args=[diagnosis.pk])


URLS = [pytest.param(api_url, id="api"), pytest.param(page_url, id="result page")]


@pytest.fixture
def owner():
    return UserFactory()


@pytest.fixture
def pending(owner):
    return DiagnosisFactory(
        user=owner, status=Diagnosis.Status.QUEUED, grade=None, label="", combined_from=""
    )


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", URLS)
def test_a_pending_check_unchanged_since_the_last_poll_answers_304_from_one_read(
    owner, pending, url
):
    client = client_of(owner)
    first = client.get(url(pending), HTTP_ACCEPT="application/json")
    assert first.status_code == 200 and first.json()["status"] == "queued"
    etag = first["ETag"]

    with CaptureQueriesContext(connection) as queries:
        again = client.get(url(pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert "no-store" in again["Cache-Control"]
    tables = [q["sql"] for q in queries.captured_queries if "diagnosis" in q["sql"]]
    assert len(tables) == 1 and "diagnosisphoto" not in tables[0]


@pytest.mark.parametrize("url", URLS)
def test_a_poll_gets_the_full_answer_once_the_check_moves_on(owner, pending, url):
    client = client_of(owner)
    etag = client.get(url(pending), HTTP_ACCEPT="application/json")["ETag"]

    services.claim(pending.pk)  # queued -> processing
    processing = client.get(url(pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag)
    assert processing.status_code == 200 and processing.json()["status"] == "processing"
    assert processing["ETag"] != etag

    Diagnosis.objects.filter(pk=pending.pk).update(status=Diagnosis.Status.DONE, grade=2)
    done = client.get(
        url(pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=processing["ETag"]
    )
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["grade"] == 2
    assert "ETag" not in done  # finished: nothing left to poll for


@pytest.mark.parametrize("url", URLS)
def test_someone_elses_tag_gets_404_not_304(owner, pending, url):
    etag = client_of(owner).get(url(pending), HTTP_ACCEPT="application/json")["ETag"]

    stranger = client_of(UserFactory()).get(
        url(pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag
    )

    assert stranger.status_code == 404


def test_each_address_and_format_has_its_own_tag(owner, pending):
    client = client_of(owner)
    json_tag = client.get(api_url(pending), HTTP_ACCEPT="application/json")["ETag"]
    page_tag = client.get(page_url(pending), HTTP_ACCEPT="application/json")["ETag"]

    browsable = client.get(api_url(pending), HTTP_ACCEPT="text/html", HTTP_IF_NONE_MATCH=json_tag)

    assert json_tag != page_tag
    assert browsable.status_code == 200
