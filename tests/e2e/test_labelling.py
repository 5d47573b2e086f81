"""The labelling page in Chromium: two dermatologists grade the same photos, one at a desk and
one on a phone, one click a photo (lesion marks on the first); where they differ a third one
settles it, and the page shows their agreement; two of them label a hundred photos, one click
each. A photo without consent never appears. And a shopper's consent to learn on the upload
form, withdrawn from the check's page."""

import pytest
from django.db.models import Count
from playwright.sync_api import Page, expect

from diagnosis.models import Diagnosis
from labelling.models import Label
from tests.accounts.factories import UserFactory
from tests.diagnosis.factories import finished_check, selfie_bytes
from tests.e2e.conftest import PHONE
from tests.e2e.test_compare import log_in
from tests.labelling.factories import dermatologist, learnable_photo

pytestmark = pytest.mark.django_db(transaction=True)  # the live server sees committed rows


def grade_each(page: Page, grades: list[int], shot, name: str) -> list[int]:
    """Grades the photos the queue offers, one click each; the photo ids, in order."""
    seen = []
    for grade in grades:
        form = page.get_by_test_id("label-form")
        photo_id = int(form.get_attribute("data-photo"))
        seen.append(photo_id)
        page.get_by_test_id(f"grade-{grade}").click()
        expect(page.get_by_test_id("answered")).to_contain_text(f"Photo {photo_id}:")
        if len(seen) == 1:
            shot(page, f"{name} after the first answer (the model's grade shown)")
    return seen


def test_two_dermatologists_label_on_desktop_and_phone_and_a_third_settles_a_dispute(
    new_context, step
):
    photos = [
        learnable_photo(grade=g, content=selfie_bytes(g, seed=10 + g, size=512))
        for g in (3, 1, 4, 2)
    ]
    hidden = learnable_photo(consent=False, content=selfie_bytes(5, seed=3, size=512))
    dermatologist(username="dr_ada")
    dermatologist(username="dr_bo")
    dermatologist(username="dr_cy")

    desk = new_context().new_page()
    log_in(desk, "dr_ada")
    desk.goto("/labelling/")
    expect(desk.get_by_test_id("waiting")).to_have_text("4 photos waiting for you")
    desk.get_by_label("Pustule").check()
    image = desk.get_by_test_id("photo")
    image.click(position={"x": 120, "y": 160})
    image.click(position={"x": 220, "y": 180})
    expect(desk.get_by_test_id("mark-count")).to_have_text("2")
    step(desk, "desktop: a photo with two lesion marks")
    ada = grade_each(desk, [3, 1, 4, 2], step, "desktop")
    expect(desk.get_by_test_id("queue-empty")).to_be_visible()

    phone = new_context(**PHONE).new_page()
    log_in(phone, "dr_bo")
    phone.goto("/labelling/")
    expect(phone.get_by_test_id("photo")).to_be_visible()
    step(phone, "phone: the labelling page")
    bo = grade_each(phone, [3, 1, 5, 2], step, "phone")
    expect(phone.get_by_test_id("queue-empty")).to_be_visible()
    expect(phone.get_by_test_id("kappa")).to_be_visible()
    step(phone, "phone: the queue done, the agreement shown")

    third = new_context().new_page()
    log_in(third, "dr_cy")
    third.goto("/labelling/")
    expect(third.get_by_test_id("waiting")).to_have_text("1 photo waiting for you")
    expect(third.get_by_test_id("label-form")).to_contain_text("third opinion")
    step(third, "desktop: the third opinion on the photo they differed on")
    cy = grade_each(third, [4], step, "third")
    expect(third.get_by_test_id("queue-empty")).to_be_visible()
    step(third, "desktop: nothing left, the agreement")

    ids = [photo.pk for photo in photos]
    assert ada == bo == ids and cy == [ids[2]]
    assert hidden.pk not in ada + bo + cy
    final = Label.objects.get(role=Label.Role.ADJUDICATION)
    assert (final.photo_id, final.grade) == (ids[2], 4)
    assert (
        Label.objects.get(labeller__username="dr_ada", photo_id=ids[0]).lesions[0]["type"]
        == "pustule"
    )
    assert not Label.objects.values("photo").annotate(n=Count("pk")).filter(n__gt=3).exists()


def test_two_dermatologists_label_a_hundred_photos_one_click_each(new_context):
    selfies = [selfie_bytes(g, seed=g, size=128) for g in range(6)]  # small, drawn once
    grades = {}
    for n in range(100):
        photo = learnable_photo(grade=n % 6, content=selfies[n % 6])
        grades[photo.pk] = n % 6
    differ = set(list(grades)[::10])  # one photo in ten: the second says one grade more
    pages = []
    for username in ("dr_one", "dr_two"):
        dermatologist(username=username)
        page = new_context().new_page()
        log_in(page, username)
        page.goto("/labelling/")
        pages.append(page)
    expect(pages[0].get_by_test_id("waiting")).to_have_text("100 photos waiting for you")

    seen: list[list[int]] = [[], []]
    for _ in grades:
        for doctor, page in enumerate(pages):
            photo_id = int(page.get_by_test_id("label-form").get_attribute("data-photo"))
            grade = grades[photo_id]
            if doctor == 1 and photo_id in differ:
                grade = (grade + 1) % 6
            page.get_by_test_id(f"grade-{grade}").click()  # the one click a photo takes
            expect(page.get_by_test_id("answered")).to_contain_text(f"Photo {photo_id}:")
            seen[doctor].append(photo_id)

    for page in pages:
        expect(page.get_by_test_id("queue-empty")).to_be_visible()
    assert seen[0] == seen[1] and sorted(seen[0]) == sorted(grades)
    opinions = Label.objects.filter(role=Label.Role.OPINION)
    assert opinions.count() == 200
    assert not opinions.values("photo").annotate(n=Count("pk")).exclude(n=2).exists()
    pages[1].reload()
    expect(pages[1].get_by_test_id("agreement")).to_contain_text(
        "over 100 photos both graded (10 sent to a third dermatologist)"
    )


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_a_shopper_reads_what_consent_to_learn_means_and_withdraws_it(new_context, step, device):
    shopper = UserFactory(username="learner")
    check = finished_check(user=shopper, files=True, seed=4)
    Diagnosis.objects.filter(pk=check.pk).update(
        training_consent=True, training_consent_at=check.created_at
    )
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    log_in(page, "learner")

    page.goto("/diagnosis/")
    box = page.get_by_label("Also let the shop learn from these photos")
    expect(box).not_to_be_checked()
    expect(page.locator("#id_training_consent_helptext")).to_contain_text(
        "Only the shop's dermatologists"
    )
    box.check()
    step(page, f"{device}: the upload form with consent to learn")

    page.goto("/diagnosis/history/")
    expect(page.get_by_test_id("training-consent")).to_contain_text("1 check")
    step(page, f"{device}: the history with the withdrawal")
    page.goto(f"/diagnosis/{check.pk}/")
    page.get_by_test_id("withdraw-training").click()
    expect(page.get_by_text("The shop will not learn from these photos any more.")).to_be_visible()
    expect(page.get_by_test_id("withdraw-training")).to_have_count(0)
    step(page, f"{device}: the check after withdrawing")
    assert not Diagnosis.objects.get(pk=check.pk).training_consent
