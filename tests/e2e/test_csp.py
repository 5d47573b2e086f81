"""The shop's own pages work under its Content-Security-Policy, in a real browser."""

from django.core.management import call_command
from playwright.sync_api import expect

from tests.accounts.factories import UserFactory


def test_the_shops_pages_and_the_api_docs_load_under_the_content_security_policy(page):
    call_command("seed_demo")
    UserFactory(username="boss", is_staff=True, is_superuser=True)

    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "object-src 'none'" in policy
    expect(page.locator(".product-card").first).to_be_visible()
    page.locator(".product-card__link").first.click()
    page.get_by_role("button", name="Add to cart").click()
    for path in [
        "/cart/",
        "/checkout/",
        "/routine/",
        "/routine/2/",
        "/diagnosis/",
        "/accounts/login/",
        "/accounts/signup/",
        "/admin/login/",
    ]:
        response = page.goto(path)
        assert response.ok, path
        assert response.headers["content-security-policy"] == policy
        page.wait_for_load_state("load")

    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .information-container")).to_be_visible()  # its scripts ran

    page.goto("/admin/login/")
    page.get_by_label("Username").fill("boss")
    page.get_by_label("Password").fill("correct-horse-battery-9")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    # (the fixture fails the test if any page above broke the policy)
