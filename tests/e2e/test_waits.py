"""The browser tests wait as long on a busy machine as they say they do."""

from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS


def test_expect_assertions_allow_the_generous_timeout_not_playwrights_5_s(page):
    # expect() keeps its own default (5 s) unless told; the contexts' default does not reach
    # it. (Read from Playwright's Expect object: there is no public getter.)
    assert page.context is not None
    assert expect._timeout == TIMEOUT_MS
