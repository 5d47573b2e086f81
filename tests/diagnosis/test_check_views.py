"""A skin check of up to three photos (front, left, right): intake on the page and through the
API, each photo graded on its own in one engine call, one combined grade, and the answers that
list the photos."""

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient

from diagnosis import services
from diagnosis.models import Diagnosis, DiagnosisPhoto
from tests.accounts.factories import UserFactory
from tests.diagnosis.web import make_check, photo_urls, post_photos

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_heatmaps")]

DIAGNOSES = "/api/v1/diagnoses/"
SLOTS = ("front", "left", "right")


def wall() -> SimpleUploadedFile:
    """A photo with no face in it: accepted at upload, refused by the engine."""
    out = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(out, format="JPEG")
    return SimpleUploadedFile("wall.jpg", out.getvalue(), "image/jpeg")


def not_a_photo() -> SimpleUploadedFile:
    return SimpleUploadedFile("selfie.jpg", b"hello, not a photo" * 50, "image/jpeg")


def api_post(client, data: dict, *, consent: str = "true"):
    return client.post(DIAGNOSES, {**data, "consent": consent}, format="multipart")


# --- The upload page --------------------------------------------------------------------------


def test_the_page_guides_a_front_a_left_and_a_right_photo_taken_or_chosen(client):
    html = client.get(reverse("diagnosis:upload")).content.decode()

    for slot in SLOTS:
        assert f'name="{slot}"' in html and f'data-view="{slot}"' in html
        assert f"silhouette--{slot}" in html  # drawn inline: nothing for the CSP to allow
    assert html.count('accept="image/*"') == 3
    assert "capture=" not in html  # the shopper may take a photo or choose one
    assert "One photo is enough" in html
    assert "Turn your head to the right to show your left cheek" in html


@pytest.mark.parametrize("slots", [("front",), ("front", "left"), SLOTS, ("left",)])
def test_one_two_or_three_photos_make_one_check(
    slots, client, selfie_upload, sent, django_capture_on_commit_callbacks
):
    uploads = {slot: selfie_upload(seed=index) for index, slot in enumerate(slots)}

    with django_capture_on_commit_callbacks(execute=True):
        response = post_photos(client, uploads)

    check = Diagnosis.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("diagnosis:detail", args=[check.pk])
    sent.assert_called_once_with(check.pk)  # one task for the whole check
    photos = list(check.photos.all())
    assert [photo.slot for photo in photos] == list(slots)
    for photo in photos:
        assert photo.status == DiagnosisPhoto.Status.PENDING
        assert photo.selfie.name == f"diagnoses/{check.pk}/{photo.slot}/selfie.jpg"
        assert photo.thumbnail.name == f"diagnoses/{check.pk}/{photo.slot}/thumb.jpg"
        assert photo.selfie.storage.exists(photo.selfie.name)


def test_without_any_photo_the_page_asks_for_one_and_creates_nothing(client, sent):
    response = post_photos(client, {})

    assert response.status_code == 200
    assert "Add at least one photo" in response.content.decode()
    assert not Diagnosis.objects.exists()


def test_a_bad_photo_is_named_next_to_its_view_and_nothing_is_stored(client, selfie_upload, sent):
    from tests.diagnosis.factories import stored_names

    response = post_photos(client, {"front": selfie_upload(), "left": not_a_photo()})

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="error-left"' in html and "not a photo we can read" in html
    assert 'data-testid="error-front"' not in html
    # The good photo was not kept (a browser cannot refill a file input): asked for again.
    assert 'data-testid="resend-front"' in html
    assert not Diagnosis.objects.exists() and stored_names() == []
    sent.assert_not_called()


# --- The API ------------------------------------------------------------------------------------


def test_the_api_takes_front_left_and_right(selfie_upload, sent):
    client = APIClient()

    response = api_post(client, {slot: selfie_upload(seed=i) for i, slot in enumerate(SLOTS)})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert [view["slot"] for view in body["views"]] == list(SLOTS)
    assert {view["status"] for view in body["views"]} == {"pending"}
    check = Diagnosis.objects.get(pk=body["id"])
    assert check.photos.count() == 3


def test_the_api_still_takes_a_single_image_as_the_front_photo(selfie_upload, sent):
    response = api_post(APIClient(), {"image": selfie_upload(), "left": selfie_upload(seed=2)})

    assert response.status_code == 201, response.json()
    assert [view["slot"] for view in response.json()["views"]] == ["front", "left"]


@pytest.mark.parametrize(
    ("fields", "field", "code", "words"),
    [
        ({}, "non_field_errors", "required", "Send at least one photo"),
        ({"front": ""}, "non_field_errors", "required", "Send at least one photo"),
        ({"image": 1, "front": 1}, "image", "duplicate", "not both"),
        ({"front": 2}, "front", "duplicate", "Send one photo in `front`, not 2"),
        ({"left": 1, "right": 2}, "right", "duplicate", "not 2"),
    ],
    ids=["none", "empty-value", "image-and-front", "front-twice", "right-twice"],
)
def test_missing_or_duplicate_photos_are_refused_with_400(
    fields, field, code, words, selfie_upload, sent
):
    data = {}
    for name, count in fields.items():
        if count == "":
            data[name] = ""
        else:
            data[name] = [selfie_upload(seed=i) for i in range(count)]
            data[name] = data[name][0] if count == 1 else data[name]

    response = api_post(APIClient(), data)

    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == code and words in body["message"]
    assert field in body["errors"]
    assert not Diagnosis.objects.exists()


@pytest.mark.parametrize("bad", ["front", "left", "right", "image"])
def test_each_bad_photo_is_refused_naming_its_field(bad, selfie_upload, sent):
    from tests.diagnosis.factories import stored_names

    data = {slot: selfie_upload(seed=i) for i, slot in enumerate(("left", "right"))}
    data[bad] = not_a_photo()

    response = api_post(APIClient(), data)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "not_an_image"
    assert list(body["errors"]) == [bad] and body["message"].startswith(f"{bad}: ")
    assert not Diagnosis.objects.exists() and stored_names() == []


def test_a_text_value_in_a_photo_field_is_a_400_not_a_crash(selfie_upload, sent):
    response = api_post(APIClient(), {"front": selfie_upload(), "left": "a photo, honestly"})

    assert response.status_code == 400
    assert "left" in response.json()["errors"]


# --- The analysis -------------------------------------------------------------------------------


def test_every_photo_is_graded_in_one_engine_call_and_the_worst_decides(selfie_upload, analyzer):
    calls = []

    class Counting:
        def analyze_photos(self, views, **options):
            calls.append([slot for slot, _ in views])
            return analyzer.analyze_photos(views, **options)

    check = make_check(
        {"front": selfie_upload(grade=1, seed=1), "left": selfie_upload(grade=4, seed=2)},
        user=UserFactory(),
    )

    services.run_analysis(check.pk, analyzer=Counting())

    check.refresh_from_db()
    assert calls == [["front", "left"]]
    assert check.status == Diagnosis.Status.DONE
    photos = {photo.slot: photo for photo in check.photos.all()}
    assert {photo.status for photo in photos.values()} == {DiagnosisPhoto.Status.DONE}
    assert check.combined_from in photos
    assert check.grade == max(photo.grade for photo in photos.values())
    assert check.grade == photos[check.combined_from].grade
    for photo in photos.values():
        assert photo.heatmap.name == f"diagnoses/{check.pk}/{photo.slot}/heatmap.png"
        assert photo.zones and all(len(zone["outline"]) >= 3 for zone in photo.zones)
    assert check.zones and {zone["slot"] for zone in check.zones} <= set(photos)


def test_a_photo_the_engine_refuses_fails_alone_and_the_others_are_graded(selfie_upload, analyzer):
    check = make_check(
        {"front": selfie_upload(grade=3), "left": wall()}, analyzer=analyzer, user=UserFactory()
    )

    assert check.status == Diagnosis.Status.DONE, check.failure_reason
    front, left = check.photos.all()
    assert front.status == DiagnosisPhoto.Status.DONE and front.grade is not None
    assert left.status == DiagnosisPhoto.Status.FAILED and left.failure_code == "no_face"
    assert "No face" in left.failure_reason
    assert left.grade is None and not left.heatmap
    assert check.combined_from == "front" and check.grade == front.grade


def test_when_no_photo_can_be_graded_the_check_fails_saying_what_to_retake(analyzer):
    dark = io.BytesIO()
    Image.new("RGB", (600, 600), (5, 5, 5)).save(dark, format="JPEG")
    check = make_check(
        {"front": wall(), "right": SimpleUploadedFile("dark.jpg", dark.getvalue())},
        analyzer=analyzer,
        guest_token="guest",
    )

    assert check.status == Diagnosis.Status.FAILED
    assert check.grade is None and check.combined_from == ""
    photos = {photo.slot: photo for photo in check.photos.all()}
    assert {photo.status for photo in photos.values()} == {DiagnosisPhoto.Status.FAILED}
    assert check.failure_reason.startswith("None of your photos could be graded.")
    for photo in photos.values():  # each photo's own reason, named
        assert f"{photo.get_slot_display()} photo: {photo.failure_reason}" in check.failure_reason
    codes = {photo.failure_code for photo in photos.values()}
    assert check.failure_code == (codes.pop() if len(codes) == 1 else "no_usable_photo")


def test_a_check_deleted_during_its_analysis_keeps_no_heatmap(selfie_upload, analyzer):
    from tests.diagnosis.factories import stored_names

    check = make_check(
        {"front": selfie_upload(), "left": selfie_upload(seed=3)}, user=None, guest_token="guest"
    )

    class DeletingMeanwhile:
        def analyze_photos(self, views, **options):
            outcomes = analyzer.analyze_photos(views, **options)
            Diagnosis.objects.filter(pk=check.pk).update(status=Diagnosis.Status.FAILED)
            return outcomes

    services.run_analysis(check.pk, analyzer=DeletingMeanwhile())

    assert not [name for name in stored_names() if name.endswith("heatmap.png")]
    assert not check.photos.filter(status=DiagnosisPhoto.Status.DONE).exists()


# --- What the shopper and API clients read --------------------------------------------------------


@pytest.fixture
def analysed_check(selfie_upload, analyzer):
    shopper = UserFactory()
    check = make_check(
        {
            "front": selfie_upload(grade=2, seed=1),
            "left": selfie_upload(grade=4, seed=2),
            "right": wall(),
        },
        analyzer=analyzer,
        user=shopper,
    )
    assert check.status == Diagnosis.Status.DONE
    return shopper, check


def test_the_status_answers_list_every_photo_with_its_result_and_links(client, analysed_check):
    shopper, check = analysed_check
    client.force_login(shopper)

    page_status = json.loads(client.get(reverse("diagnosis:status", args=[check.pk])).content)
    api = client.get(f"{DIAGNOSES}{check.pk}/").json()

    for body in (page_status, api):
        assert body["grade"] == check.grade and body["combined_from"] == check.combined_from
        assert body["zones"] == check.zones
        views = {view["slot"]: view for view in body["views"]}
        assert list(views) == list(SLOTS)
        assert views["right"]["status"] == "failed" and views["right"]["failure_code"] == "no_face"
        assert views["right"]["heatmap_url"] is None
        for slot in ("front", "left"):
            view = views[slot]
            assert view["status"] == "done" and view["grade"] in range(6)
            assert view["label"] and 0 < view["confidence"] <= 1 and view["view"]
            assert view["zones"] and "outline" in view["zones"][0]
            assert view["selfie_url"].endswith(f"/diagnosis/{check.pk}/{slot}/selfie.jpg")
            assert view["heatmap_url"].endswith(f"/diagnosis/{check.pk}/{slot}/heatmap.png")
            assert client.get(view["heatmap_url"]).status_code == 200


def test_the_result_page_shows_the_combined_grade_the_zones_and_each_photo(client, analysed_check):
    shopper, check = analysed_check
    client.force_login(shopper)
    deciding = check.photos.get(slot=check.combined_from)

    html = client.get(reverse("diagnosis:detail", args=[check.pk])).content.decode()

    assert f"{check.grade}</span> {check.label.capitalize()}" in html
    assert f"Your grade is your {deciding.get_slot_display().lower()} photo's" in html
    assert 'data-testid="zone-sentence"' in html and "Most signs are on the" in html
    assert "2 of 3 photos could be graded" in html
    for slot in ("front", "left"):
        photo = check.photos.get(slot=slot)
        assert f'data-testid="photo-{slot}"' in html
        assert f'data-testid="zones-{slot}"' in html
        assert f'viewBox="0 0 {photo.selfie_width} {photo.selfie_height}"' in html
        assert reverse("diagnosis:photo_heatmap", args=[check.pk, slot]) in html
    assert html.count("<polygon") == sum(len(p.zones) for p in check.photos.all())
    # The shipped model counts lesions: each zone says how many it counted there.
    assert html.count(" counted</title>") == html.count("<polygon")
    # The photo that could not be graded says why and how to retake it.
    right = check.photos.get(slot="right")
    assert right.failure_reason in html and "Turn your head to the left" in html


def test_the_history_lists_one_row_per_check_with_its_front_thumbnail(client, analysed_check):
    shopper, check = analysed_check
    client.force_login(shopper)

    html = client.get(reverse("diagnosis:history")).content.decode()

    assert html.count('data-testid="history-item"') == 1
    assert reverse("diagnosis:thumbnail", args=[check.pk]) in html
    assert "3 photos" in html


def test_the_old_single_links_answer_with_the_front_photo(client, analysed_check):
    shopper, check = analysed_check
    client.force_login(shopper)
    urls = photo_urls(check)

    for kind in ("selfie", "thumbnail", "heatmap"):
        old = client.get(reverse(f"diagnosis:{kind}", args=[check.pk]))
        new = client.get(urls[f"front/{kind}"])
        assert b"".join(old.streaming_content) == b"".join(new.streaming_content)


def test_a_check_without_a_front_photo_serves_its_first_as_the_old_links(client, selfie_upload):
    shopper = UserFactory()
    check = make_check({"left": selfie_upload()}, user=shopper)
    client.force_login(shopper)

    response = client.get(reverse("diagnosis:selfie", args=[check.pk]))

    with check.photos.get().selfie.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    assert (
        client.get(reverse("diagnosis:photo_selfie", args=[check.pk, "front"])).status_code == 404
    )
