"""Browser tests: Playwright for Python drives Debian's Chromium against pytest-django's live
server (which serves static files and media too).

Fixtures for every journey:

- ``browser``: headless Chromium, shared by this package's tests and closed after them;
- ``page`` (a desktop window, 1280×800) and ``phone_page`` (390×844, touch, mobile): a fresh
  browser context each, so no cookie leaks between tests; relative URLs go to the live server;
- ``screenshot(page, "step")``: writes ``artifacts/e2e/<test name>/NN-step.png`` (a failed
  test gets one more, ``NN-failed.png``, of every page still open);
- ``assert_no_horizontal_scroll(page)``: the page fits the viewport's width.

Every wait, ``expect`` assertions included, allows ``TIMEOUT_MS`` (a busy machine is slow, not
broken). A test whose pages violate the Content-Security-Policy fails.

Every test here starts with the rows the data migrations write (``data_migration_rows``),
whatever the transactional tests before it flushed. `make test` installs Chromium when it is
missing (scripts/test.sh). Without it these tests skip on a developer's machine and fail under
CI=true, like the tests that need PostgreSQL or Redis.
"""

import itertools
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
TIMEOUT_MS = 15_000  # generous: the machine running the suite may be busy
# The browser reports each Content-Security-Policy violation on the console.
_CSP_REPORTER = """document.addEventListener('securitypolicyviolation', (event) =>
  console.error('CSP violation: ' + event.violatedDirective + ' blocked ' +
                (event.blockedURI || 'inline') + ' on ' + document.location.pathname));"""


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell that a test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package", autouse=True)
def _sync_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API runs an asyncio event loop in the test's thread, so Django's guard
    refuses every ORM call made there ("You cannot call this from an async context") although
    the tests are synchronous and no coroutine touches the database. The guard is off while
    this package's tests run, in this process (and the workers it starts) only: never in the
    shop's environment, where `check --deploy` rightly refuses it. The browser closes with the
    package, so the tests after it get both the guard and a thread without a loop back."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    yield
    patch.undo()


# Rows the shop's data migrations write and every page may need: the acne scale, the
# Merchandiser and Dermatologists groups.
DATA_MIGRATIONS = [
    ("recommendations", "0002_acne_gea_condition"),
    ("recommendations", "0003_merchandiser_group"),
    ("labelling", "0002_dermatologists_group"),
]


@pytest.fixture(autouse=True)
def data_migration_rows(transactional_db) -> None:
    """Writes again what the data migrations wrote (their own code, idempotent).

    The flush after every transactional test (these, and any before them) empties all tables,
    the migrations' rows too. Serialized rollback cannot put them back here: once Playwright's
    sync API has started, Django hands this thread other connection objects than the one
    pytest-django serialized the database on.
    """
    loader = MigrationLoader(connection)
    with connection.schema_editor() as editor:
        for key in DATA_MIGRATIONS:
            state = loader.project_state(key, at_end=False)  # as the migration saw it
            for operation in loader.get_migration(*key).operations:
                if isinstance(operation, RunPython):
                    operation.code(state.apps, editor)


@pytest.fixture(scope="package")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (make test installs Debian's chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import expect, sync_playwright

    # Playwright's ``expect`` assertions keep their own default (5 s), which the contexts'
    # default timeout does not reach: on a busy 2-core machine the upload preview once took
    # longer to draw. Every wait, assertions included, allows the generous TIMEOUT_MS.
    expect.set_options(timeout=TIMEOUT_MS)
    # Chromium's sandbox needs user namespaces that a root shell in a container lacks;
    # /dev/shm is often tiny there, too.
    args = ["--disable-dev-shm-usage"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=args
        )
        yield browser
        browser.close()


def _folder_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable:
    """``screenshot(page, "cart")`` → artifacts/e2e/<test>/NN-cart.png, numbered in order."""
    folder = ARTIFACTS / _folder_name(request)
    shutil.rmtree(folder, ignore_errors=True)  # only this run's steps
    numbers = itertools.count(1)

    def take(page, step: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w-]+", "-", step.lower()).strip("-")
        path = folder / f"{next(numbers):02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def new_context(browser, live_server, request, screenshot) -> Iterator[Callable]:
    """``new_context(**PHONE)``: a browser context whose relative URLs go to the live server.

    Several contexts in one test are several shoppers. All are closed afterwards; when the
    test failed, each open page is photographed first.
    """
    contexts = []
    violations: list[str] = []

    def record(message) -> None:
        if "CSP violation" in message.text or "Content Security Policy" in message.text:
            violations.append(message.text)

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **(DESKTOP | options))
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(_CSP_REPORTER)
        context.on("console", record)
        contexts.append(context)
        return context

    yield make
    report = getattr(request.node, "report_call", None)
    for context in contexts:
        if report is not None and report.failed:
            for page in context.pages:
                try:
                    screenshot(page, "failed")
                except Exception:  # noqa: BLE001 - a crashed page must not hide the failure
                    pass
        context.close()
    # The shop's own pages pass its Content-Security-Policy (skinshop.middleware).
    if violations and not (report is not None and report.failed):
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def phone_page(new_context):
    return new_context(**PHONE).new_page()


# The document's width against the screen's, and the widest elements when it is wider, so a
# failure names its culprit. Not against window.innerWidth: with mobile emulation Chromium
# widens the layout viewport to the content (innerWidth becomes the overflowing width, 809 for
# an 800px box on a 390px phone), so "scrollWidth <= innerWidth" could never fail there.
_OVERFLOW_JS = """(width) => {
  const label = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const culprits = [...document.body.querySelectorAll('*')]
    .map((el) => [el, el.getBoundingClientRect().right])
    .filter(([, right]) => right > width + 0.5)
    .sort((a, b) => b[1] - a[1]).slice(0, 5)
    .map(([el, right]) => label(el) + ' ends at ' + Math.round(right) + 'px');
  return {scrollWidth: document.documentElement.scrollWidth, culprits};
}"""


@pytest.fixture
def assert_no_horizontal_scroll() -> Callable:
    def check(page) -> None:
        page.wait_for_load_state("load")  # images in, so their sizes count
        width = page.viewport_size["width"]
        result = page.evaluate(_OVERFLOW_JS, width)
        assert result["scrollWidth"] <= width, (
            f"{page.url} scrolls sideways: {result['scrollWidth']}px wide on a {width}px "
            f"screen; widest: {result['culprits']}"
        )

    return check


@pytest.fixture
def step(screenshot, assert_no_horizontal_scroll) -> Callable:
    """``step(page, "cart")``: photographs the page and checks it fits the screen's width."""

    def take(page, name: str) -> None:
        # From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
        page.evaluate("window.scrollTo(0, 0)")
        screenshot(page, name)
        assert_no_horizontal_scroll(page)

    return take
