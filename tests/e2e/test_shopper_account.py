"""A signed-in shopper, in a real browser: the kit says what happened to a product already in
the cart, the checkout starts from the saved address with a country list, the order shows its
tracking number and refund, and the profile edits details, downloads the data and deletes the
account."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.models import User
from orders.models import Order
from orders.services import lifecycle
from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.conftest import PHONE


def log_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def add_the_kit_over_one_of_its_products(page, step, device: str) -> None:
    """A product of the kit already in the cart: the message says it now counts 2."""
    page.goto("/routine/2/")
    first = page.get_by_test_id("routine-product").first.get_by_role("heading").inner_text()
    page.goto("/")
    page.get_by_label("Search").fill(first.split(" ", 1)[1])
    page.get_by_role("button", name="Show").click()
    page.locator(".product-card__link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    page.goto("/routine/2/")
    expect(page.get_by_test_id("routine")).to_contain_text("This is the shop's routine")
    step(page, f"{device} routine")
    kit_form = page.get_by_test_id("kit-form").first
    kit_form.get_by_role("button", name="Add the whole kit to cart").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "(you already had 1: 2 in your cart now)"
    )
    step(page, f"{device} cart after the kit")


def save_an_address(page, step, device: str) -> None:
    page.goto("/accounts/profile/")
    page.get_by_role("link", name="Edit your details").click()
    page.get_by_label("Full name").fill("Sam Shopper")
    page.get_by_label("Address:", exact=True).fill("1 Test Street")
    page.get_by_label("Postcode").fill("1000")
    page.get_by_label("City").fill("Brussels")
    page.get_by_label("Country").select_option("Belgium")
    step(page, f"{device} edit details")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_have_text("Your details are saved.")
    expect(page.locator(".facts")).to_contain_text("1000 Brussels, Belgium")
    step(page, f"{device} profile")


def pay_from_the_saved_address(page, step, device: str) -> None:
    page.goto("/checkout/")
    expect(page.get_by_label("City")).to_have_value("Brussels")
    expect(page.get_by_label("Country")).to_have_value("Belgium")
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM/YY)").fill(f"12/{(date.today().year + 2) % 100:02d}")
    page.get_by_label("Security code (CVC)").fill("123")
    step(page, f"{device} checkout from the saved address")
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Order "))).to_be_visible()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_kit_checkout_order_and_profile(new_context, step, device, tmp_path):
    call_command("seed_demo")
    UserFactory(username="sam", email="sam@example.com", first_name="Sam", last_name="Shopper")
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    log_in(page, "sam")

    add_the_kit_over_one_of_its_products(page, step, device)
    save_an_address(page, step, device)
    pay_from_the_saved_address(page, step, device)

    order = Order.objects.get()
    lifecycle.order_ship(order=order, tracking_number="1Z999AA10123456784")
    lifecycle.order_refund(order=order, amount=Decimal("5"), note="One tube leaked")
    page.reload()
    expect(page.get_by_text("Tracking number: 1Z999AA10123456784")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Refund: .*5\.00.*One tube leaked"))).to_be_visible()
    step(page, f"{device} order shipped and partly refunded")

    # The data download, then the account goes.
    page.goto("/accounts/profile/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data").click()
    saved = tmp_path / "data.json"
    download.value.save_as(saved)
    assert json.loads(saved.read_text())["orders"][0]["number"] == order.number

    page.get_by_role("link", name="Delete your account").click()
    page.get_by_label("Your password").fill(PASSWORD)
    step(page, f"{device} delete account")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("status").first).to_contain_text("Your account")
    assert not User.objects.filter(username="sam").exists()
