"""The diagnosis API: upload, follow, list and delete one's own; strangers get 404."""

import uuid
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis
from skinshop.celery import app as celery_app
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import api_post_selfie
from tests.diagnosis.web import files_of, front

pytestmark = pytest.mark.django_db

DIAGNOSES = "/api/v1/diagnoses/"


def detail(pk) -> str:
    return f"{DIAGNOSES}{pk}/"


@pytest.fixture
def shopper():
    return UserFactory()


@pytest.fixture
def client_of():
    """A browser signed in (session) as the given user."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def upload_as(sent, selfie_upload, django_capture_on_commit_callbacks):
    """Uploads a selfie through the API as ``client`` and returns the new Diagnosis."""

    def upload(client: APIClient, **selfie) -> Diagnosis:
        with django_capture_on_commit_callbacks(execute=True):
            response = api_post_selfie(client, selfie_upload(**selfie))
        assert response.status_code == 201, response.json()
        return Diagnosis.objects.get(pk=response.json()["id"])

    return upload


def test_an_upload_is_queued_and_sent_to_the_worker_once_committed(
    shopper, client_of, selfie_upload, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_post_selfie(client_of(shopper), selfie_upload())
        sent.assert_not_called()  # not before the row is committed

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued" and body["grade"] is None and body["scale"] is None
    assert response["Location"] == body["url"] == f"http://testserver{detail(body['id'])}"
    diagnosis = Diagnosis.objects.get(pk=body["id"])
    assert diagnosis.user == shopper and diagnosis.guest_token == ""
    assert diagnosis.client_address == "127.0.0.1"
    assert front(diagnosis).selfie.storage.exists(front(diagnosis).selfie.name)

    for callback in callbacks:
        callback()
    sent.assert_called_once_with(diagnosis.pk)


def test_the_task_goes_to_the_broker_with_the_diagnosis_id(
    shopper, client_of, selfie_upload, django_capture_on_commit_callbacks
):
    with (
        mock.patch.object(celery_app, "send_task") as send_task,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api_post_selfie(client_of(shopper), selfie_upload())

    send_task.assert_called_once()
    name, args = send_task.call_args.args[:2]
    assert name == "diagnosis.tasks.analyze_diagnosis"
    assert list(args) == [response.json()["id"]]


def test_an_anonymous_browser_owns_its_upload_through_its_session(upload_as):
    browser, stranger = APIClient(), APIClient()
    diagnosis = upload_as(browser)

    assert diagnosis.user is None and diagnosis.guest_token
    assert browser.get(detail(diagnosis.pk)).status_code == 200
    assert [d["id"] for d in browser.get(DIAGNOSES).json()["results"]] == [str(diagnosis.pk)]
    assert stranger.get(detail(diagnosis.pk)).status_code == 404
    assert stranger.get(DIAGNOSES).json()["count"] == 0


def test_the_list_shows_only_ones_own_newest_first(shopper, client_of, upload_as):
    mine = client_of(shopper)
    first, second = upload_as(mine, seed=1), upload_as(mine, seed=2)
    upload_as(client_of(UserFactory()))
    upload_as(APIClient())

    body = mine.get(DIAGNOSES).json()

    assert body["count"] == 2
    assert [d["id"] for d in body["results"]] == [str(second.pk), str(first.pk)]


def test_a_done_diagnosis_shows_its_results(shopper, client_of, upload_as, analyzer):
    client = client_of(shopper)
    diagnosis = upload_as(client, grade=4)
    services.run_analysis(diagnosis.pk, analyzer=analyzer)

    response = client.get(detail(diagnosis.pk))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "done" and body["failure_code"] == "" and body["finished_at"]
    assert body["grade"] in range(6)
    assert body["scale"]["name"] == "GEA" and len(body["scale"]["labels"]) == 6
    assert body["label"] == body["scale"]["labels"][body["grade"]]
    assert len(body["probabilities"]) == 6 and abs(sum(body["probabilities"]) - 1) < 1e-3
    assert 0 <= body["score"] <= 5
    assert len(body["face_box"]) == 4
    assert body["model"]["name"] and body["model"]["version"]
    assert body["timings"]["total"] > 0
    assert body["selfie_url"] == f"http://testserver/diagnosis/{diagnosis.pk}/selfie.jpg"
    assert body["heatmap_url"] == f"http://testserver/diagnosis/{diagnosis.pk}/heatmap.png"


def test_a_queued_diagnosis_has_no_heatmap_link_yet(shopper, client_of, upload_as):
    client = client_of(shopper)
    diagnosis = upload_as(client)

    body = client.get(detail(diagnosis.pk)).json()

    assert body["status"] == "queued" and body["heatmap_url"] is None
    assert body["probabilities"] == []
    assert body["model"] == {"name": "", "version": "", "training_data": []}


def test_someone_elses_diagnosis_is_not_found_for_users_and_anonymous_visitors(
    shopper, client_of, upload_as
):
    diagnosis = upload_as(client_of(shopper))
    # Staff without the explicit permission are strangers too.
    for outsider in (client_of(UserFactory()), APIClient(), client_of(UserFactory(is_staff=True))):
        assert outsider.get(detail(diagnosis.pk)).status_code == 404
        assert outsider.delete(detail(diagnosis.pk)).status_code == 404
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_an_unknown_or_malformed_id_is_not_found(shopper, client_of):
    client = client_of(shopper)
    for pk in (uuid.uuid4(), "not-a-uuid"):
        response = client.get(detail(pk))
        assert response.status_code == 404 and response.json()["message"]


def test_staff_with_the_permission_may_see_but_not_delete_a_shoppers_diagnosis(
    shopper, client_of, upload_as
):
    diagnosis = upload_as(client_of(shopper))
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_selfie"))
    client = client_of(staff)

    assert client.get(detail(diagnosis.pk)).json()["id"] == str(diagnosis.pk)
    assert client.get(DIAGNOSES).json()["count"] == 0  # the list is one's own only
    assert client.delete(detail(diagnosis.pk)).status_code == 403
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_deleting_a_diagnosis_removes_it_and_its_files(
    shopper, client_of, upload_as, analyzer, django_capture_on_commit_callbacks
):
    client = client_of(shopper)
    diagnosis = upload_as(client)
    services.run_analysis(diagnosis.pk, analyzer=analyzer)
    diagnosis.refresh_from_db()
    storage = front(diagnosis).selfie.storage
    names = files_of(diagnosis)
    assert all(storage.exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(detail(diagnosis.pk))

    assert response.status_code == 204
    assert not Diagnosis.objects.filter(pk=diagnosis.pk).exists()
    assert not any(storage.exists(name) for name in names)
    assert client.get(detail(diagnosis.pk)).status_code == 404


def test_uploads_past_the_hourly_limit_are_refused_with_429(
    shopper, client_of, upload_as, selfie_upload, sent, settings
):
    settings.DIAGNOSIS_RATE_PER_USER = 2
    client = client_of(shopper)
    upload_as(client, seed=1)
    upload_as(client, seed=2)

    response = api_post_selfie(client, selfie_upload(seed=3))

    assert response.status_code == 429
    assert "You have sent 2 photos this hour" in response.json()["message"]
    assert response.json()["code"] == "rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3600  # when the hour's window ends
    assert Diagnosis.objects.count() == 2
    # Another shopper is not held back by this one.
    assert api_post_selfie(client_of(UserFactory()), selfie_upload(seed=4)).status_code == 201


def test_uploads_past_the_limit_per_address_are_refused_for_everyone_there(
    client_of, upload_as, selfie_upload, settings
):
    settings.DIAGNOSIS_RATE_PER_ADDRESS = 2
    upload_as(client_of(UserFactory()))
    upload_as(APIClient())

    response = api_post_selfie(client_of(UserFactory()), selfie_upload())

    assert response.status_code == 429
    assert api_post_selfie(APIClient(), selfie_upload(), REMOTE_ADDR="10.0.0.2").status_code == 201


def test_a_token_authenticated_client_uploads_and_reads_its_own(
    shopper, upload_as, selfie_upload, analyzer
):
    app = APIClient()
    app.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=shopper).key}")

    diagnosis = upload_as(app)

    assert diagnosis.user == shopper
    assert app.get(DIAGNOSES).json()["count"] == 1
    assert app.get(detail(diagnosis.pk)).json()["status"] == "queued"
    assert app.delete(detail(diagnosis.pk)).status_code == 204


@pytest.mark.parametrize("consent", [None, "false", ""])
def test_an_upload_without_consent_is_refused(consent, shopper, client_of, selfie_upload, sent):
    response = api_post_selfie(client_of(shopper), selfie_upload(), consent=consent)

    assert response.status_code == 400
    assert response.json()["code"] == "consent_required"
    assert "agree to the processing of your photo" in response.json()["message"]
    assert not Diagnosis.objects.exists()
    sent.assert_not_called()


def test_a_json_body_is_refused_with_415(shopper, client_of):
    response = client_of(shopper).post(DIAGNOSES, {"consent": True}, format="json")

    assert response.status_code == 415 and response.json()["message"]


def test_an_api_client_with_a_token_fetches_its_own_selfie_thumbnail_and_heatmap(
    shopper, client_of, upload_as, analyzer
):
    from rest_framework.authtoken.models import Token

    diagnosis = upload_as(client_of(shopper))
    services.run_analysis(diagnosis.pk, analyzer=analyzer)
    app = APIClient()  # a phone app: a token, no session cookie
    app.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=shopper).key}")
    body = app.get(detail(diagnosis.pk)).json()
    links = {name: body[name] for name in ("selfie_url", "thumbnail_url", "heatmap_url")}
    assert links["thumbnail_url"] == f"http://testserver/diagnosis/{diagnosis.pk}/thumb.jpg"

    answers = {name: app.get(url) for name, url in links.items()}

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(links, 200)
    assert answers["selfie_url"]["Content-Type"] == "image/jpeg"
    assert answers["heatmap_url"]["Content-Type"] == "image/png"
    assert answers["selfie_url"]["Cache-Control"] == "private, no-store"

    stranger = APIClient()
    stranger.credentials(
        HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=UserFactory()).key}"
    )
    forged = APIClient()
    forged.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    for client in (stranger, forged, APIClient()):
        assert {client.get(url).status_code for url in links.values()} == {404}
