"""Comparing two finished checks in Chromium, on a desktop window and on a phone: picked on the
history page, the same view of both with a slider between them, heatmaps on and off, the
change per zone in words; and the page without JavaScript (side by side, no slider)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.accounts.factories import PASSWORD, UserFactory
from tests.diagnosis.factories import finished_check, zone_list

pytestmark = pytest.mark.django_db(transaction=True)  # the live server sees committed rows


@pytest.fixture
def two_checks():
    """A shopper with two graded checks (front and left photos, real image files) a month
    apart: the cheeks better, the forehead worse."""
    shopper = UserFactory(username="comparer")
    earlier, later = (
        finished_check(
            user=shopper,
            days_ago=days_ago,
            score=score,
            zones=zones,
            slots=("front", "left"),
            files=True,
            seed=seed,
        )
        for days_ago, score, zones, seed in [
            (30, 3.3, zone_list(left_cheek=3.4, right_cheek=3.3, forehead=1.0, chin=2.0), 3),
            (2, 1.9, zone_list(left_cheek=1.8, right_cheek=2.7, forehead=2.1, chin=2.2), 5),
        ]
    )
    return shopper, earlier, later


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("banner")).to_contain_text("Account")


def expect_drawn(page: Page, selector: str, count: int) -> None:
    images = page.locator(selector)
    expect(images).to_have_count(count)
    for image in images.all():
        expect(image).to_be_visible()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )


@pytest.fixture
def shot(screenshot, assert_no_horizontal_scroll):
    def take(page: Page, name: str) -> None:
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, name)
        assert_no_horizontal_scroll(page)

    return take


@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_a_shopper_compares_two_checks_with_the_slider_and_the_heatmaps(
    request, screen, two_checks, shot
):
    shopper, earlier, later = two_checks
    page = request.getfixturevalue("phone_page" if screen == "phone" else "page")
    log_in(page, shopper.username)

    page.goto("/diagnosis/history/")
    expect(page.get_by_test_id("trend-zone")).to_have_count(4)
    picks = page.get_by_role("checkbox", name=re.compile("^Compare the check of"))
    expect(picks).to_have_count(2)
    picks.nth(0).check()
    picks.nth(1).check()
    shot(page, "history with two ticked")
    page.get_by_role("button", name="Compare the two ticked results").click()

    expect(page.get_by_role("heading", name="Compare two checks")).to_be_visible()
    expect(page.get_by_test_id("compare-before")).to_contain_text("Grade 3 · Moderate")
    expect(page.get_by_test_id("compare-after")).to_contain_text("Grade 2 · Mild")
    expect(page.get_by_test_id("overall-change")).to_have_text(
        "Overall your skin is better: grade 3 (moderate) then, grade 2 (mild) now."
    )
    changes = page.get_by_test_id("zone-changes").get_by_role("listitem")
    expect(changes).to_have_text(
        [
            "Your forehead is worse (almost clear → mild).",
            "Your left cheek is better (moderate → mild).",
            "Your right cheek is a little better (still moderate).",
            "Your chin and jaw are about the same (mild).",
        ]
    )
    expect_drawn(page, ".compare__selfie", 2)
    expect_drawn(page, "[data-compare-heatmap]", 2)
    shot(page, "compare front")

    # The earlier photo lies over the later one, clipped where the slider is.
    top = page.locator("[data-compare-top]")
    slider = page.get_by_role("slider", name="Slide between the earlier and the later photo")
    expect(top).to_have_css("clip-path", "inset(0px 50% 0px 0px)")
    slider.fill("20")
    expect(top).to_have_css("clip-path", "inset(0px 80% 0px 0px)")
    expect(slider).to_have_attribute("aria-valuetext", "20% earlier photo, 80% later photo")
    box, figure = top.bounding_box(), page.get_by_test_id("compare-figure").bounding_box()
    assert box == figure or abs(box["height"] - figure["height"]) < 1  # one over the other

    toggle = page.get_by_role("checkbox", name="Show heatmaps")
    toggle.uncheck()
    for layer in page.locator("[data-compare-heatmap]").all():
        expect(layer).to_be_hidden()
    shot(page, "slider at 20 without heatmaps")
    toggle.check()
    for layer in page.locator("[data-compare-heatmap]").all():
        expect(layer).to_be_visible()

    # The other view both checks have.
    page.get_by_test_id("compare-views").get_by_role("link", name="Left").click()
    expect(page.get_by_test_id("compare-views").locator('[aria-current="page"]')).to_have_text(
        "Left"
    )
    expect(page.locator(".compare__selfie").first).to_have_attribute(
        "src", f"/diagnosis/{earlier.pk}/left/selfie.jpg"
    )
    expect_drawn(page, ".compare__selfie", 2)
    shot(page, "compare left")

    # The later result links back to this comparison.
    page.get_by_test_id("compare-after").get_by_role("link", name="See this result").click()
    page.get_by_role("link", name="Compare with your previous check").click()
    expect(page.get_by_test_id("overall-change")).to_contain_text("better")
    assert str(later.pk) in page.url and str(earlier.pk) in page.url


def test_without_javascript_the_photos_stand_side_by_side(new_context, two_checks, shot):
    shopper, earlier, later = two_checks
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, shopper.username)

    page.goto(f"/diagnosis/compare/?a={earlier.pk}&b={later.pk}")

    expect_drawn(page, ".compare__selfie", 2)
    expect(page.get_by_role("slider")).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Show heatmaps")).to_be_hidden()
    before, after = (image.bounding_box() for image in page.locator(".compare__selfie").all())
    assert before["x"] + before["width"] <= after["x"]  # side by side, not stacked
    shot(page, "compare without javascript")
