"""A shopper searches the demo catalog with the words people use, on a phone and a desktop."""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE


@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_everyday_words_find_products_and_no_match_points_to_the_skin_check(
    new_context, step, device
):
    call_command("seed_demo")
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    page.goto("/")

    def search(words: str) -> None:
        page.get_by_label("Search").fill(words)
        page.get_by_role("button", name="Show").click()
        expect(page.get_by_role("status")).to_contain_text(f"for “{words}”")

    search("benzoyl gel")
    cards = page.locator(".product-card")
    expect(cards.filter(has_text="Benzoyl Peroxide 2.5% Gel")).to_have_count(1)
    expect(cards.filter(has_text="Benzoyl Peroxide 5% Gel")).to_have_count(1)
    step(page, f"{device} benzoyl gel")

    search("retinol")
    expect(cards.first).to_contain_text("Adapalene 0.1% Gel")
    step(page, f"{device} retinol")

    search("pimple")
    expect(cards.filter(has_text="Hydrocolloid Spot Patches")).to_have_count(1)
    step(page, f"{device} pimple")

    search("unicorn")
    expect(page.locator(".empty")).to_contain_text("No products match “unicorn”")
    page.locator(".empty").get_by_role("link", name="Check my skin").click()
    expect(page).to_have_url(re.compile(r"/diagnosis/$"))
    page.go_back()
    step(page, f"{device} no match")
