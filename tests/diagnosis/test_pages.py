"""The upload page and the result page as a shopper's browser sees them."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from catalog.models import ProductRole
from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory
from tests.catalog.factories import ProductFactory
from tests.diagnosis.web import UPLOAD_URL, files_of, front, make_diagnosis, post_selfie

pytestmark = pytest.mark.django_db


def jpeg(width: int, height: int) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 160, 140)).save(out, format="JPEG")
    return SimpleUploadedFile("small.jpg", out.getvalue(), "image/jpeg")


# --- Upload page ------------------------------------------------------------------------------


def test_the_upload_page_offers_camera_or_library_consent_and_tips(client):
    response = client.get(UPLOAD_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'accept="image/*"' in html and "capture=" not in html
    assert 'name="consent"' in html and 'type="checkbox"' in html
    assert "data-selfie-preview" in html and "js/diagnosis.js" in html
    for tip in ("Good light", "no glasses, no make-up", "One face, three angles", "arm's length"):
        assert tip in html
    assert "Not a medical device" in html


def test_the_shop_links_the_skin_check_from_the_header_and_the_home_page(client):
    html = client.get(reverse("catalog:product_list")).content.decode()

    assert html.count(f'href="{UPLOAD_URL}"') >= 2  # the header's nav and the home banner


def test_posting_a_selfie_queues_a_diagnosis_and_shows_its_page(
    client, selfie_upload, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_selfie(client, selfie_upload())

    diagnosis = Diagnosis.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("diagnosis:detail", args=[diagnosis.pk])
    assert diagnosis.status == Diagnosis.Status.QUEUED
    assert diagnosis.user is None and diagnosis.guest_token  # the anonymous session owns it
    assert diagnosis.client_address == "127.0.0.1"
    sent.assert_called_once_with(diagnosis.pk)


def test_a_signed_in_shoppers_selfie_belongs_to_the_account(
    client, selfie_upload, sent, django_capture_on_commit_callbacks
):
    shopper = UserFactory()
    client.force_login(shopper)

    with django_capture_on_commit_callbacks(execute=True):
        post_selfie(client, selfie_upload())

    diagnosis = Diagnosis.objects.get()
    assert diagnosis.user == shopper and diagnosis.guest_token == ""


def test_without_consent_the_form_says_so_and_nothing_is_created(client, selfie_upload, sent):
    response = post_selfie(client, selfie_upload(), consent=False)

    assert response.status_code == 200
    assert "Please agree to the processing of your photos." in response.content.decode()
    assert not Diagnosis.objects.exists()
    sent.assert_not_called()


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            lambda: SimpleUploadedFile("selfie.jpg", b"hello, not a photo" * 50, "image/jpeg"),
            "This file is not a photo we can read.",
        ),
        (lambda: jpeg(120, 90), "The photo is too small (120×90 pixels)"),
        (
            lambda: SimpleUploadedFile(
                "selfie.jpg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/jpeg"
            ),
            "This file is not a photo we can read.",
        ),
    ],
    ids=["not-an-image", "too-small", "svg-named-jpg"],
)
def test_a_rejected_file_shows_its_message_and_creates_nothing(client, sent, upload, message):
    response = post_selfie(client, upload())

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html
    assert not Diagnosis.objects.exists()
    sent.assert_not_called()


def test_past_the_hourly_limit_the_page_answers_429_with_a_message(
    client, selfie_upload, sent, settings
):
    settings.DIAGNOSIS_RATE_PER_USER = 1

    assert post_selfie(client, selfie_upload(seed=1)).status_code == 302
    response = post_selfie(client, selfie_upload(seed=2))

    assert response.status_code == 429
    assert "You have sent 1 photo this hour" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Diagnosis.objects.count() == 1


# --- Result page ------------------------------------------------------------------------------


def _signed_in(client):
    shopper = UserFactory()
    client.force_login(shopper)
    return shopper


def test_while_queued_the_page_shows_progress_and_polls_its_status(client, selfie_upload):
    diagnosis = make_diagnosis(selfie_upload(), user=_signed_in(client))

    response = client.get(reverse("diagnosis:detail", args=[diagnosis.pk]))

    html = response.content.decode()
    status_url = reverse("diagnosis:status", args=[diagnosis.pk])
    assert f'data-status-url="{status_url}"' in html
    assert "<progress" in html and "usually takes under a minute" in html
    assert '<meta http-equiv="refresh"' in html  # inside <noscript>: works without JS
    assert response["Cache-Control"] == "private, no-store"

    status = client.get(status_url)
    assert status["Content-Type"] == "application/json"
    assert json.loads(status.content) | {"id": str(diagnosis.pk)} == {
        "id": str(diagnosis.pk),
        "status": "queued",
        "status_display": "Queued",
        "is_finished": False,
        "grade": None,
        "label": "",
        "score": None,
        "probabilities": [],
        "combined_from": "",
        "zones": [],
        "failure_reason": "",
        "views": [
            {
                "id": diagnosis.photos.get().pk,
                "slot": "front",
                "status": "pending",
                "failure_code": "",
                "failure_reason": "",
                "grade": None,
                "label": "",
                "score": None,
                "probabilities": [],
                "confidence": None,
                "view": "",
                "face_box": [],
                "notes": [],
                "zones": [],
                "selfie_width": 512,
                "selfie_height": 512,
                "selfie_url": f"http://testserver/diagnosis/{diagnosis.pk}/front/selfie.jpg",
                "thumbnail_url": f"http://testserver/diagnosis/{diagnosis.pk}/front/thumb.jpg",
                "heatmap_url": None,
            }
        ],
    }


def test_a_done_result_shows_the_heatmap_over_the_selfie_grade_chart_and_routine(
    client, selfie_upload, analyzer, settings
):
    settings.DIAGNOSIS_EXPLAIN_K = 2
    cleanser = ProductFactory(name="Gentle Foam", role=ProductRole.CLEANSER)
    diagnosis = make_diagnosis(selfie_upload(grade=3), analyzer=analyzer, user=_signed_in(client))
    assert diagnosis.status == Diagnosis.Status.DONE

    response = client.get(reverse("diagnosis:detail", args=[diagnosis.pk]))

    html = response.content.decode()
    assert reverse("diagnosis:photo_selfie", args=[diagnosis.pk, "front"]) in html
    assert reverse("diagnosis:photo_heatmap", args=[diagnosis.pk, "front"]) in html
    assert "data-heatmap-toggle" in html and 'type="range"' in html
    assert "<progress" not in html and "http-equiv" not in html
    assert f"{diagnosis.grade}</span> {diagnosis.label.capitalize()}" in html
    assert 'data-testid="grade-explanation"' in html
    # One bar per grade of the scale, the diagnosed one marked.
    assert html.count('class="probability-chart__row') == len(diagnosis.probabilities)
    assert html.count("probability-chart__row--result") == 1
    # "Your routine" for the grade, with the kit and a button per product.
    assert 'data-testid="routine"' in html and "Add the whole kit to cart" in html
    assert "Gentle Foam" in html and reverse("orders:cart_add", args=[cleanser.pk]) in html
    status = json.loads(client.get(reverse("diagnosis:status", args=[diagnosis.pk])).content)
    assert status["status"] == "done" and status["grade"] == diagnosis.grade


@pytest.mark.parametrize(("grade", "advised"), [(3, False), (4, True), (5, True)])
def test_the_dermatologist_advice_shows_from_grade_4(client, selfie_upload, grade, advised):
    diagnosis = make_diagnosis(selfie_upload(), user=_signed_in(client))
    labels = ["clear", "almost clear", "mild", "moderate", "severe", "very severe"]
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        status=Diagnosis.Status.DONE,
        grade=grade,
        label=labels[grade],
        score=float(grade),
        probabilities=[1.0 if g == grade else 0.0 for g in range(6)],
        scale={"name": "GEA", "labels": labels},
    )
    DiagnosisPhoto.objects.filter(diagnosis=diagnosis).update(
        status=DiagnosisPhoto.Status.DONE, grade=grade, label=labels[grade], confidence=0.9
    )

    html = client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()

    assert ('data-testid="see-dermatologist"' in html) is advised
    assert "The model found nothing to highlight" in html  # no heatmap file: no broken image


def test_a_failed_result_gives_the_reason_and_a_way_to_try_again(client, analyzer):
    blank = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(blank, format="JPEG")
    wall = SimpleUploadedFile("wall.jpg", blank.getvalue(), "image/jpeg")
    diagnosis = make_diagnosis(wall, analyzer=analyzer, user=_signed_in(client))

    html = client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()

    assert diagnosis.failure_reason in html
    assert "Try another photo" in html and f'href="{UPLOAD_URL}"' in html
    assert 'data-testid="delete"' in html


def test_the_engines_notes_are_shown_as_what_the_shopper_can_do(client, selfie_upload):
    diagnosis = make_diagnosis(selfie_upload(), user=_signed_in(client))
    note = "Several faces were found; the largest one was analysed."
    Diagnosis.objects.filter(pk=diagnosis.pk).update(
        status=Diagnosis.Status.DONE,
        grade=2,
        label="mild",
        score=2.1,
        probabilities=[0, 0.1, 0.7, 0.2, 0, 0],
        scale={"name": "GEA", "labels": ["a", "b", "mild", "d", "e", "f"]},
    )
    DiagnosisPhoto.objects.filter(diagnosis=diagnosis).update(
        status=DiagnosisPhoto.Status.DONE, grade=2, label="mild", confidence=0.8, notes=[note]
    )

    html = client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()

    assert note not in html
    assert "take this photo again with only your face in it" in html


def test_deleting_from_the_result_page_removes_the_diagnosis_and_its_files(
    client, selfie_upload, analyzer, settings, django_capture_on_commit_callbacks
):
    settings.DIAGNOSIS_EXPLAIN_K = 2
    diagnosis = make_diagnosis(selfie_upload(), analyzer=analyzer, user=_signed_in(client))
    storage = front(diagnosis).selfie.storage
    names = files_of(diagnosis)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("diagnosis:delete", args=[diagnosis.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("diagnosis:history")
    assert "The diagnosis and its photos are deleted." in response.content.decode()
    assert not Diagnosis.objects.exists()
    assert not any(storage.exists(name) for name in names)


@pytest.mark.parametrize("refer_from", [None, 0, 5])
def test_the_page_advises_a_dermatologist_exactly_when_the_routine_does(
    client, selfie_upload, refer_from
):
    # An explicit "never" (None) or "always" (0) from the condition is the page's rule too.
    from recommendations.services.routine import recommend
    from tests.recommendations.factories import acne

    condition = acne()
    condition.refer_from_grade = refer_from
    condition.save()
    diagnosis = make_diagnosis(selfie_upload(), user=_signed_in(client))
    labels = ["clear", "almost clear", "mild", "moderate", "severe", "very severe"]
    for grade in (0, 4, 5):
        Diagnosis.objects.filter(pk=diagnosis.pk).update(
            status=Diagnosis.Status.DONE,
            grade=grade,
            label=labels[grade],
            probabilities=[1.0 if g == grade else 0.0 for g in range(6)],
            scale={"name": "GEA", "labels": labels},
        )
        html = client.get(reverse("diagnosis:detail", args=[diagnosis.pk])).content.decode()
        advised = 'data-testid="see-dermatologist"' in html
        assert advised is recommend(grade=grade).refer_to_dermatologist, (refer_from, grade)
