"""The upload page checks what the browser already knows (a file's type and size) before it
sends anything, and says plainly what it cannot preview."""

import random
import re

from playwright.sync_api import expect


def _file(name: str, size: int, mime: str = "image/jpeg") -> dict:
    return {"name": name, "mimeType": mime, "buffer": random.Random(size).randbytes(size)}


def _posts(page) -> list[str]:
    sent = []
    page.on("request", lambda request: request.method == "POST" and sent.append(request.url))
    return sent


def test_a_text_file_is_said_not_to_be_a_photo(page):
    page.goto("/diagnosis/")

    page.get_by_label("Front photo", exact=True).set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo\n" * 20}
    )

    note = page.locator("[data-selfie-preview-note]").first
    expect(note).to_contain_text("notes.txt")
    expect(note).to_contain_text("this is not a photo")
    expect(note).not_to_contain_text("analysed")


def test_a_photo_over_the_limit_is_refused_before_it_is_sent(page, settings):
    settings.DIAGNOSIS_MAX_UPLOAD_BYTES = 100_000
    page.goto("/diagnosis/")
    expect(page.get_by_test_id("accepted")).to_contain_text("a photo and")
    sent = _posts(page)

    page.get_by_label("Front photo", exact=True).set_input_files(_file("big.jpg", 200_000))
    expect(page.locator("[data-selfie-preview-note]").first).to_contain_text("too large")
    page.get_by_role("checkbox", name=re.compile("processes these photos")).check()
    page.get_by_role("button", name="Analyse my skin").click()

    expect(page.get_by_test_id("upload-problem")).to_contain_text("Front: too large")
    expect(page).to_have_url(re.compile(r"/diagnosis/$"))
    assert sent == []


def test_photos_over_the_checks_limit_together_are_refused_before_they_are_sent(
    page, settings
):
    settings.DIAGNOSIS_MAX_UPLOAD_BYTES = 100_000
    settings.DIAGNOSIS_MAX_CHECK_BYTES = 150_000
    page.goto("/diagnosis/")
    sent = _posts(page)

    page.get_by_label("Front photo", exact=True).set_input_files(_file("a.jpg", 80_000))
    page.get_by_label("Left side photo", exact=True).set_input_files(_file("b.jpg", 80_000))
    page.get_by_role("checkbox", name=re.compile("processes these photos")).check()
    page.get_by_role("button", name="Analyse my skin").click()

    expect(page.get_by_test_id("upload-problem")).to_contain_text("a check takes up to")
    assert sent == []
