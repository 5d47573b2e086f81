"""Helpers of the browser tests (tests/e2e): how long a result may take, and an image drawn."""

from playwright.sync_api import Locator, expect

# From the upload to the result on the page: the worker's analysis (1-3 s), the page's poll
# (every 1.5 s) and its reload, on a machine that may be busy.
RESULT_TIMEOUT_MS = 90_000


def expect_image_drawn(image: Locator) -> None:
    expect(image).to_be_visible()
    image.page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
