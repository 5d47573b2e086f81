"""Staff handle an order from its admin page in a real browser: each button asks on a
confirmation page first; the admin lists fit a 1280 px screen."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from diagnosis.models import Diagnosis
from orders.models import Order, OrderStatus
from tests.accounts.factories import PASSWORD, UserFactory
from tests.catalog.factories import ProductFactory
from tests.e2e.conftest import PHONE
from tests.orders.factories import place_order


def log_in_to_admin(page) -> None:
    UserFactory(username="boss", is_staff=True, is_superuser=True)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_ship_then_refund_part_then_the_rest_from_the_order_page(new_context, step, device):
    order = place_order(products=[(ProductFactory(stock=10, price=Decimal("10.00")), 3)])
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    log_in_to_admin(page)

    page.goto(f"/admin/orders/order/{order.pk}/change/")
    expect(page.get_by_role("link", name="Mark shipped")).to_be_visible()
    expect(page.get_by_role("link", name="Mark delivered")).to_have_count(0)
    step(page, f"{device} paid order")

    page.get_by_role("link", name="Mark shipped").click()
    expect(page.get_by_role("heading", name=f"Mark order {order.number} shipped?")).to_be_visible()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID  # nothing yet
    page.get_by_label("Tracking number").fill("1Z999AA10123456784")
    step(page, f"{device} confirm shipping")
    page.get_by_role("button", name="Yes, mark shipped").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Order {order.number} marked shipped.")
    expect(page.locator(".field-tracking_number")).to_contain_text("1Z999AA10123456784")

    page.get_by_role("link", name="Refund").click()
    expect(page.get_by_label("Amount")).to_have_value("34.90")
    page.get_by_label("Amount").fill("10")
    page.get_by_label("Reason").fill("One tube leaked")
    step(page, f"{device} confirm refund")
    page.get_by_role("button", name="Yes, refund").click()
    expect(page.locator(".messagelist")).to_contain_text(f"Order {order.number} refunded.")

    page.get_by_role("link", name="Refund").click()
    page.get_by_role("button", name="Yes, refund").click()  # what is left: a return
    expect(page.locator(".field-status")).to_contain_text("Refunded")
    expect(page.get_by_role("link", name="Refund")).to_have_count(0)
    step(page, f"{device} refunded order")


def test_cancel_from_the_order_page_can_be_declined(page, step):
    order = place_order()
    log_in_to_admin(page)
    page.goto(f"/admin/orders/order/{order.pk}/change/")

    page.get_by_role("link", name="Cancel and refund").click()
    expect(page.locator("#content-main")).to_contain_text("cannot be undone")
    step(page, "confirm cancel")
    page.get_by_role("link", name="No, go back").click()
    expect(page.locator(".field-status")).to_contain_text("Paid")

    page.get_by_role("link", name="Cancel and refund").click()
    page.get_by_role("button", name="Yes, cancel and refund").click()
    expect(page.locator(".field-status")).to_contain_text("Cancelled")


@pytest.mark.parametrize(
    "path",
    [
        "/admin/orders/order/",
        "/admin/diagnosis/diagnosis/",
        "/admin/recommendations/recommendationrule/",
        "/admin/recommendations/zonerule/",
        "/admin/catalog/product/",
    ],
)
def test_admin_lists_fit_a_1280_px_screen(page, step, path):
    call_command("seed_demo")
    call_command("seed_demo_rules")
    place_order()
    Diagnosis.objects.create(
        guest_token="a-browser",
        status=Diagnosis.Status.FAILED,
        failure_code="no_face",
        failure_reason="We could not find a face.",
    )
    log_in_to_admin(page)

    page.goto(path)
    expect(page.locator("#result_list")).to_be_visible()
    step(page, "list " + path.strip("/").replace("/", " "))
    # The admin scrolls a wide table inside its box, so the page itself never does: the
    # table must fit that box.
    widths = page.evaluate(
        "() => [document.querySelector('#result_list').scrollWidth,"
        " document.querySelector('.results').clientWidth]"
    )
    assert widths[0] <= widths[1], f"{path}: the table is {widths[0]}px in a {widths[1]}px box"


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_the_preview_shows_zone_additions_per_grade(new_context, step, device):
    call_command("seed_demo")
    page = new_context(**(PHONE if device == "phone" else {})).new_page()
    log_in_to_admin(page)

    page.goto("/admin/recommendations/recommendationrule/preview/")
    severe = page.locator('tr[data-grade="4"] .zone-additions')
    expect(severe).to_contain_text("Hydrocolloid Spot Patches")
    expect(severe).not_to_contain_text("Benzoyl")  # the spot treatment stops at grade 3
    expect(page.locator('tr[data-grade="2"] .zone-additions')).to_contain_text(
        "Benzoyl Peroxide 2.5% Gel"
    )
    page.goto("/admin/recommendations/zonerule/")
    step(page, f"{device} zone rules")
    page.goto("/admin/recommendations/recommendationrule/preview/")
    step(page, f"{device} preview")
