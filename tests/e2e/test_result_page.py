"""The result page in Chromium: on a phone the photo, its zones and the grade come before the
routine; the numbers agree; zone labels on a small face never overlap; a failed check shows
the photo that was sent and ways on; and a forgotten consent box keeps the chosen photos."""

import io
import itertools
import re

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import Page, expect

from diagnosis.ml.zones import LABELS, zone_map
from diagnosis.models import Diagnosis
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import finished_check, selfie_bytes
from tests.e2e.test_compare import log_in
from tests.support.browser import expect_image_drawn

pytestmark = pytest.mark.django_db(transaction=True)  # the live server sees committed rows


def face_zones(face: float, x0: float, y0: float, severity: float = 2.0) -> list[dict]:
    """The engine's frontal zones for a face ``face`` px wide whose crop starts at (x0, y0)."""
    scale = face / 224
    return [
        {
            "zone": name,
            "label": LABELS[name],
            "severity": severity,
            "slot": "front",
            "lesions": 4.0,
            "outline": (np.asarray(outline) * scale + (x0, y0)).round(1).tolist(),
        }
        for name, outline in zone_map(size=224, view="frontal").outlines.items()
    ]


@pytest.fixture
def shopper():
    call_command("seed_demo", stdout=io.StringIO())
    return UserFactory(username="checker")


def graded(check: Diagnosis, **values) -> Diagnosis:
    Diagnosis.objects.filter(pk=check.pk).update(**values)
    check.photos.update(
        **{k: v for k, v in values.items() if k in ("score", "probabilities", "confidence")}
    )
    return check


def top(page: Page, test_id: str) -> float:
    return page.get_by_test_id(test_id).bounding_box()["y"]


def test_on_a_phone_the_photo_its_zones_and_the_grade_come_before_the_routine(
    shopper, phone_page, step
):
    check = finished_check(user=shopper, score=3.0, files=True, zones=face_zones(230, 13, 20))
    log_in(phone_page, shopper.username)

    phone_page.goto(f"/diagnosis/{check.pk}/")
    expect_image_drawn(phone_page.get_by_role("img", name="Your front photo"))
    step(phone_page, "result on a phone")

    routine = top(phone_page, "routine")
    for first in ("grade", "photo-front", "zones-front", "zone-key-front", "zone-legend"):
        assert top(phone_page, first) < routine, first
    # The photo starts within the first screen: no scrolling past products to find it.
    assert top(phone_page, "photo-front") < 844


def test_grade_score_chart_and_confidence_agree(shopper, page, step):
    check = graded(
        finished_check(user=shopper, score=1.0, files=True),
        score=0.82,
        probabilities=[0.46, 0.3, 0.2, 0.04, 0.0, 0.0],
        confidence=0.9,
    )
    log_in(page, shopper.username)

    page.goto(f"/diagnosis/{check.pk}/")
    step(page, "the numbers")

    grade = int(page.get_by_test_id("grade").locator(".grade-card__number").inner_text())
    score = float(page.get_by_test_id("score").inner_text())
    assert round(score) == grade == 1
    chart = page.get_by_test_id("probabilities")
    marked = chart.locator(".probability-chart__row--result")
    expect(marked).to_have_count(1)
    expect(marked).to_have_attribute("data-grade", str(grade))
    near = [
        int(row.get_attribute("data-grade"))
        for row in chart.locator(".probability-chart__row--near").all()
    ]
    assert near == [0, 1, 2]
    # The likeliest bar is another grade: the page says why, with the chart's own figure.
    likeliest = max(
        chart.locator("tr[data-grade]").all(), key=lambda r: float(r.get_attribute("data-percent"))
    )
    assert likeliest.get_attribute("data-grade") == "0"
    expect(page.get_by_test_id("chart-note")).to_contain_text(
        "Clear alone is the likeliest grade (46 %)"
    )
    expect(page.get_by_test_id("confidence")).to_contain_text(
        "90 % that your skin is between clear and mild"
    )


def test_zone_labels_on_a_small_face_never_overlap_and_the_key_names_them(
    shopper, phone_page, step
):
    zones = face_zones(110, 380, 300)
    check = finished_check(user=shopper, score=2.0, files=True, size=900, zones=zones)
    log_in(phone_page, shopper.username)

    phone_page.goto(f"/diagnosis/{check.pk}/")
    overlay = phone_page.get_by_test_id("zones-front")
    expect(overlay).to_be_visible()
    step(phone_page, "zones on a small face")

    labels = overlay.locator("[data-zone-label]")
    boxes = [label.bounding_box() for label in labels.all()]
    assert boxes, "some zones are labelled on the photo"
    for a, b in itertools.combinations(boxes, 2):
        apart = (
            a["x"] + a["width"] <= b["x"]
            or b["x"] + b["width"] <= a["x"]
            or a["y"] + a["height"] <= b["y"]
            or b["y"] + b["height"] <= a["y"]
        )
        assert apart, (a, b)
    photo = overlay.bounding_box()
    for box in boxes:
        assert photo["x"] <= box["x"] and box["x"] + box["width"] <= photo["x"] + photo["width"]
    key = phone_page.get_by_test_id("zone-key-front")
    for name in ("Forehead", "Nose", "Right cheek", "Left cheek", "Chin and jaw"):
        expect(key).to_contain_text(name)


def test_a_failed_check_shows_the_photo_sent_and_ways_on(shopper, phone_page, step):
    from skimage import data

    from diagnosis.ml.inference import Analyzer
    from tests.diagnosis.web import make_check

    cat = io.BytesIO()
    Image.fromarray(data.chelsea()).save(cat, format="JPEG")
    check = make_check(
        {"front": SimpleUploadedFile("cat.jpg", cat.getvalue(), "image/jpeg")},
        analyzer=Analyzer.load(),
        user=shopper,
    )
    assert check.status == Diagnosis.Status.FAILED
    log_in(phone_page, shopper.username)

    phone_page.goto(f"/diagnosis/{check.pk}/")
    expect(phone_page.get_by_test_id("failure-reason")).to_contain_text(
        "We could not find a face or skin we can grade in this photo."
    )
    expect_image_drawn(phone_page.get_by_role("img", name="Your front photo"))
    expect(phone_page.get_by_test_id("photo-tips")).to_contain_text("Good light")
    expect(phone_page.get_by_test_id("retake")).to_be_visible()
    step(phone_page, "a cat is no face")

    phone_page.get_by_test_id("choose-routine").click()
    expect(phone_page.get_by_role("heading", name=re.compile("Routines for"))).to_be_visible()


def test_forgetting_the_consent_box_keeps_the_chosen_photos(page, tmp_path, step):
    photo = tmp_path / "front.jpg"
    photo.write_bytes(selfie_bytes(grade=2, seed=3))
    page.goto("/diagnosis/")
    page.get_by_label("Front photo", exact=True).set_input_files(photo)
    page.get_by_label("Oily").check()

    page.get_by_role("button", name="Analyse my skin").click()

    expect(page.get_by_test_id("consent-error")).to_have_text(
        "Please agree to the processing of your photos."
    )
    step(page, "consent forgotten")
    assert page.url.endswith("/diagnosis/")
    chosen = page.get_by_label("Front photo", exact=True).evaluate("input => input.files.length")
    assert chosen == 1
    expect(page.get_by_label("Oily")).to_be_checked()
    consent = page.get_by_role("checkbox", name=re.compile("processes these photos"))
    expect(consent).to_be_focused()
    consent.check()
    expect(page.get_by_test_id("consent-error")).to_have_count(0)
