"""Suite-wide fixtures and the rule for tests that need a real service.

`make test` (scripts/test.sh) exports DATABASE_URL and TEST_REDIS_URL when PostgreSQL and
Redis answer. A test marked `postgres` or `redis` skips without its service on a developer's
machine, and fails under CI=true, where a missing service is an error.
"""

import os
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.conf import settings

from tests.support.storage import use_private_storage
from tests.support.worker import CeleryWorker, database_url, sending_to, unique_queue

IN_CI = os.environ.get("CI") == "true"


def _require(service: str, available: bool) -> None:
    if available:
        return
    if IN_CI:
        pytest.fail(f"{service} is required under CI=true and is not configured")
    pytest.skip(f"{service} is not reachable on this machine")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres"):
        engine = settings.DATABASES["default"]["ENGINE"]
        _require("PostgreSQL", engine == "django.db.backends.postgresql")
    if item.get_closest_marker("redis"):
        _require("Redis", bool(os.environ.get("TEST_REDIS_URL")))


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rate-limit counters (uploads, failed log-ins) live in the cache, which outlives a test.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _one_rate_window(monkeypatch):
    """The rate limits' clock stands still: a test that counts up to a limit must not see its
    count start again because the wall clock crossed into the next window (an hour, a quarter)
    between two requests. tests/skinshop/test_ratelimit.py moves this clock itself."""
    from skinshop import ratelimit

    moment = datetime(2026, 1, 1, 12, 29, 30, tzinfo=UTC)
    monkeypatch.setattr(ratelimit, "timezone", SimpleNamespace(now=lambda: moment))


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path, monkeypatch):
    """Each test writes its uploaded files, public and private, into its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    private = settings.STORAGES["private"]
    if private["BACKEND"].endswith("FileSystemStorage"):
        private = {**private, "OPTIONS": {"location": tmp_path / "private"}}
    use_private_storage(settings, monkeypatch, private)


@pytest.fixture(autouse=True)
def account_emails_sent(monkeypatch):
    """Account e-mails go to a Celery task; here it runs in the test process as a worker would,
    so they land in ``mailoutbox``. The list holds what was queued (kwargs of each task)."""
    from accounts.tasks import send_email

    queued = []

    def apply_async(kwargs=None, **options):
        queued.append(kwargs)
        return send_email.apply(kwargs=kwargs)

    monkeypatch.setattr(send_email, "apply_async", apply_async)
    return queued


@pytest.fixture
def wsgi_calls_keep_the_test_transaction():
    """What Django's test client does: a request through the bare WSGI app (schemathesis'
    ``from_wsgi``) must not close the connection that holds the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# --- A real Celery worker (tests/support/worker.py) ----------------------------------------
@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, tmp_path_factory):
    """A real Celery worker (prefork, one pool process) for the whole session, on Redis, the
    test database and a private media folder of its own, consuming a queue no other run uses.

    Tests use it through ``celery_worker``, which wires the test process to it.
    """
    redis_url = os.environ.get("TEST_REDIS_URL", "")
    _require("Redis", bool(redis_url))
    db = settings.DATABASES["default"]
    _require("PostgreSQL", db["ENGINE"] == "django.db.backends.postgresql")
    folder = tmp_path_factory.mktemp("celery-worker")
    worker = CeleryWorker(
        queue=unique_queue(),
        broker_url=redis_url,
        database_url=database_url(db),  # the test database pytest-django created
        private_root=folder / "private",
        log_path=folder / "worker.log",
        # A task redelivered after its pool process died waits for the lease to lapse.
        env={"DIAGNOSIS_LEASE_SECONDS": "6"},
    )
    with worker:
        yield worker


@pytest.fixture
def celery_worker(celery_worker_process, request, settings, monkeypatch):
    """The session's worker, with this test wired to it: the test process sends the analysis
    to the worker's queue on Redis, and both share one private media folder.

    The worker reads committed rows only: the test needs
    ``@pytest.mark.django_db(transaction=True)`` (or ``live_server``). On a failure the tail of
    the worker's log is printed.
    """
    from skinshop.celery import app

    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    if not (transactional or "live_server" in request.fixturenames):
        pytest.fail(
            "celery_worker needs @pytest.mark.django_db(transaction=True): "
            "a worker cannot see rows the test has not committed"
        )
    worker = celery_worker_process
    use_private_storage(
        settings,
        monkeypatch,
        {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": worker.private_root},
        },
    )
    failed_before = request.session.testsfailed
    with sending_to(app, broker_url=worker.broker_url, queue=worker.queue):
        yield worker
    if request.session.testsfailed > failed_before:
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_sep("-", f"celery worker log ({worker.log_path}), last lines")
            reporter.write_line(worker.log_tail())
