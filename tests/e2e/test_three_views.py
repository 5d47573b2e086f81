"""A skin check of three photos in Chromium, on a desktop window and on a phone: the upload
page guides each view and reports a bad photo next to its own view; the result page shows
the combined grade, the side that decided it, each photo with its heatmap and zone outlines,
and the photo that could not be graded with what to retake."""

import io
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import Page, expect

from tests.diagnosis.factories import selfie_bytes
from tests.support.browser import RESULT_TIMEOUT_MS, expect_image_drawn

pytestmark = [
    pytest.mark.redis,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def shop(celery_worker):
    cache.clear()  # the upload limits of earlier tests from 127.0.0.1
    call_command("seed_demo", stdout=io.StringIO())
    return celery_worker


@pytest.fixture
def photos(tmp_path) -> dict[str, Path]:
    """Three pictures on the shopper's device: two faces and, for the right side, a wall."""
    files = {
        "front": ("front.jpg", selfie_bytes(grade=2, seed=11)),
        "left": ("left.jpg", selfie_bytes(grade=4, seed=12)),
    }
    wall = io.BytesIO()
    Image.new("RGB", (600, 600), (120, 160, 200)).save(wall, format="JPEG")
    files["right"] = ("right.jpg", wall.getvalue())
    paths = {}
    for slot, (name, data) in files.items():
        paths[slot] = tmp_path / name
        paths[slot].write_bytes(data)
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_bytes(b"hello, not a photo" * 50)
    paths["bad"] = not_a_photo
    return paths


def choose(page: Page, label: str, path: Path) -> None:
    page.get_by_label(label, exact=True).set_input_files(path)


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_shopper_checks_three_views_and_sees_each_with_its_zones(
    request, screen, shop, photos, step
):
    page = request.getfixturevalue("phone_page" if screen == "phone" else "page")
    page.goto("/diagnosis/")
    expect(page.get_by_role("heading", name="Check your skin with selfies")).to_be_visible()
    for slot in ("front", "left", "right"):
        view = page.get_by_test_id(f"view-{slot}")
        expect(view.locator("svg.silhouette")).to_be_visible()
        # No capture attribute: Android then offers the camera or the photo library.
        assert view.locator('input[type="file"]').get_attribute("capture") is None

    # A file that is no photo, on the left: the page says so there and keeps nothing.
    choose(page, "Front photo", photos["front"])
    choose(page, "Left side photo", photos["bad"])
    expect_image_drawn(page.get_by_role("img", name="Preview of the front photo you chose"))
    page.get_by_role("checkbox", name=re.compile("processes these photos")).check()
    step(page, "three views chosen, one bad")
    page.get_by_role("button", name="Analyse my skin").click()
    expect(page.get_by_test_id("error-left")).to_contain_text("not a photo we can read")
    expect(page.get_by_test_id("error-front")).to_have_count(0)
    expect(page.get_by_test_id("resend-front")).to_be_visible()
    step(page, "the bad view named next to it")

    choose(page, "Front photo", photos["front"])
    choose(page, "Left side photo", photos["left"])
    choose(page, "Right side photo", photos["right"])
    page.get_by_role("checkbox", name=re.compile("processes these photos")).check()
    step(page, "three views chosen")
    page.get_by_role("button", name="Analyse my skin").click()
    expect(page).to_have_url(re.compile(r"/diagnosis/[0-9a-f-]{36}/$"))

    grade = page.get_by_test_id("grade")
    expect(grade).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    expect(page.get_by_test_id("combined-from")).to_contain_text("Your grade is your")
    expect(page.get_by_test_id("combined-from")).to_contain_text("2 of 3 photos")
    expect(page.get_by_test_id("routine")).to_be_visible()
    for slot, name in (("front", "Your front photo"), ("left", "Your left side photo")):
        photo = page.get_by_test_id(f"photo-{slot}")
        expect_image_drawn(photo.get_by_role("img", name=name))
        expect(photo.get_by_test_id("photo-grade")).to_contain_text("Grade ")
        overlay = photo.locator("[data-zone-overlay]")
        if overlay.count():  # a photo the model found nothing on has no zones to draw
            expect(overlay.locator("polygon").first).to_be_attached()
            photo.get_by_role("checkbox", name="Show zones").uncheck()
            expect(overlay).to_be_hidden()
            photo.get_by_role("checkbox", name="Show zones").check()
            expect(overlay).to_be_visible()
    right = page.get_by_test_id("photo-right")
    expect(right.get_by_test_id("photo-failure")).to_contain_text("No face")
    expect(right).to_contain_text("Turn your head to the left")
    step(page, "result of three views")

    page.get_by_role("link", name="All your results").click()
    item = page.get_by_test_id("history-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("3 photos")
    expect_image_drawn(item.locator("img"))
    step(page, "history with one check")
