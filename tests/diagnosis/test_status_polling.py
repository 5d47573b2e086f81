"""Polling a pending check: the answer carries an ETag, and its owner's poll that sends it back
gets 304 from one read of the check, until the check moves on; a finished check is answered in
full. Anyone else's poll, a stale tag or a finished check gets exactly the answer it would get
without ``If-None-Match``."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from diagnosis import polling, selectors, services
from diagnosis.models import Diagnosis
from diagnosis.session import GUEST_TOKEN_SESSION_KEY
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


def guest_client(token: str) -> APIClient:
    client = APIClient()
    session = client.session
    session[GUEST_TOKEN_SESSION_KEY] = token
    session.save()
    return client


@pytest.fixture
def guests_pending():
    return DiagnosisFactory(
        user=None,
        guest_token="this-browser",
        status=Diagnosis.Status.PROCESSING,
        grade=None,
        label="",
        combined_from="",
    )


def same_answer(first, second) -> bool:
    return (first.status_code, first.content) == (second.status_code, second.content)


@pytest.mark.parametrize("url", URLS)
def test_a_guests_poll_with_the_current_tag_gets_304_with_the_tag_and_no_store(guests_pending, url):
    client = guest_client("this-browser")
    etag = client.get(url(guests_pending), HTTP_ACCEPT="application/json")["ETag"]

    again = client.get(url(guests_pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "private, no-store"


def test_the_apis_304_varies_as_its_full_answer_does(guests_pending):
    client = guest_client("this-browser")
    full = client.get(api_url(guests_pending), HTTP_ACCEPT="application/json")

    again = client.get(
        api_url(guests_pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=full["ETag"]
    )

    assert again.status_code == 304
    assert {"Accept", "Cookie"} <= {v.strip() for v in again["Vary"].split(",")}


@pytest.mark.parametrize("url", URLS)
def test_a_stale_tag_gets_the_full_answer(guests_pending, url):
    client = guest_client("this-browser")
    plain = client.get(url(guests_pending), HTTP_ACCEPT="application/json")

    stale = client.get(
        url(guests_pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH='"not-this-one"'
    )

    assert stale.status_code == 200 and stale.json()["status"] == "processing"
    assert same_answer(stale, plain) and stale["ETag"] == plain["ETag"]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    "viewer",
    [
        pytest.param(lambda: guest_client("another-browser"), id="another guest"),
        pytest.param(APIClient, id="no session"),
        pytest.param(lambda: client_of(UserFactory()), id="another account"),
    ],
)
def test_a_copied_tag_gets_others_the_answer_they_get_without_it(guests_pending, url, viewer):
    etag = guest_client("this-browser").get(url(guests_pending), HTTP_ACCEPT="application/json")[
        "ETag"
    ]
    client = viewer()

    without = client.get(url(guests_pending), HTTP_ACCEPT="application/json")
    copied = client.get(
        url(guests_pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag
    )

    assert copied.status_code == 404
    assert same_answer(copied, without) and "ETag" not in copied


def test_a_copied_tag_with_a_refused_api_token_gets_what_the_token_gets(guests_pending):
    etag = guest_client("this-browser").get(api_url(guests_pending))["ETag"]
    forged = guest_client("this-browser")  # even from the owner's own session
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    without = forged.get(api_url(guests_pending))
    copied = forged.get(api_url(guests_pending), HTTP_IF_NONE_MATCH=etag)

    assert copied.status_code == without.status_code == 403  # refused, as DRF refuses it
    assert same_answer(copied, without)


def test_the_owners_api_token_polls_with_304(owner, pending):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    etag = client.get(api_url(pending))["ETag"]

    assert client.get(api_url(pending), HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("url", URLS)
def test_staff_who_may_see_a_shoppers_check_get_it_in_full_never_304(owner, pending, url):
    etag = client_of(owner).get(url(pending), HTTP_ACCEPT="application/json")["ETag"]
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_selfie"))

    answer = client_of(staff).get(
        url(pending), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=etag
    )

    assert answer.status_code == 200 and answer.json()["status"] == "queued"


@pytest.mark.parametrize("status", [Diagnosis.Status.DONE, Diagnosis.Status.FAILED])
@pytest.mark.parametrize("url", URLS)
def test_a_finished_check_never_gets_304_even_with_its_would_be_tag(owner, url, status):
    finished = DiagnosisFactory(user=owner, status=status)
    client = client_of(owner)
    request = client.get(url(finished), HTTP_ACCEPT="application/json").wsgi_request
    state = tuple(getattr(finished, f) for f in selectors.PENDING_STATE_FIELDS)
    would_be = polling._etag(state, request)

    answer = client.get(url(finished), HTTP_ACCEPT="application/json", HTTP_IF_NONE_MATCH=would_be)

    assert answer.status_code == 200 and answer.json()["status"] == status
    assert "ETag" not in answer
