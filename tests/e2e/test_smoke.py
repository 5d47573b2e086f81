"""A shopper on a phone browses the demo catalog and fills a cart, in a real browser."""

import re

from django.core.management import call_command
from playwright.sync_api import expect


def test_shop_pages_fit_a_phone_screen(phone_page, screenshot, assert_no_horizontal_scroll):
    call_command("seed_demo")  # the real catalog: long names, real pictures
    page = phone_page

    page.goto("/")
    expect(page.locator(".product-card").first).to_be_visible()
    screenshot(page, "product list")
    assert_no_horizontal_scroll(page)

    page.locator(".product-card__link").first.click()
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    product_name = page.locator("h1").inner_text()
    screenshot(page, "product detail")
    assert_no_horizontal_scroll(page)

    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    expect(page.get_by_test_id("cart-count")).to_have_text("2")
    expect(page.locator("main")).to_contain_text(product_name)
    screenshot(page, "cart")
    assert_no_horizontal_scroll(page)
