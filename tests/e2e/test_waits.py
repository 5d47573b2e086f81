"""The browser tests wait as long on a busy machine as they say they do."""

from playwright.sync_api import expect

from tests.e2e.conftest import TIMEOUT_MS


def test_expect_assertions_allow_the_generous_timeout_not_playwrights_5_s(page):
    # expect() keeps its own default (5 s) unless told; the contexts' default does not reach
    # it. (Read from Playwright's Expect object: there is no public getter.)
    assert page.context is not None
    assert expect._timeout == TIMEOUT_MS


def test_a_photo_chosen_before_the_pages_script_ran_is_still_previewed(page, tmp_path):
    """On a busy machine the deferred script may run after the file is chosen: its "change"
    event has gone by then. Here the script is held back until the photo is chosen."""
    from tests.diagnosis.conftest import selfie_bytes

    selfie = tmp_path / "my-selfie.jpg"
    selfie.write_bytes(selfie_bytes())
    held = []
    page.route("**/js/diagnosis.js", lambda route: held.append(route))

    with page.expect_request("**/js/diagnosis.js"):  # asked for, and held by the route
        page.goto("/diagnosis/", wait_until="commit")
    page.get_by_label("Front photo", exact=True).set_input_files(selfie)
    while not held:  # the route's handler runs while Playwright waits on something
        page.wait_for_timeout(50)
    assert page.evaluate("document.readyState") != "complete"  # the script has not run
    held[0].continue_()

    image = page.get_by_role("img", name="Preview of the front photo you chose")
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
