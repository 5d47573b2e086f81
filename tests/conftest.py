"""Suite-wide fixtures and the rule for tests that need a real service.

`make test` (scripts/test.sh) exports DATABASE_URL and TEST_REDIS_URL when PostgreSQL and
Redis answer. A test marked `postgres` or `redis` skips without its service on a developer's
machine, and fails under CI=true, where a missing service is an error.
"""

import os

import pytest
from django.conf import settings

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
def _media_in_tmp(settings, tmp_path, monkeypatch):
    """Each test writes its uploaded files, public and private, into its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.STORAGES["private"]["BACKEND"].endswith("FileSystemStorage"):
        settings.STORAGES = {
            **settings.STORAGES,
            "private": {
                **settings.STORAGES["private"],
                "OPTIONS": {"location": tmp_path / "private"},
            },
        }
    # A FileField resolves its storage callable once, when the model class is built: point the
    # private fields at the storage the test's settings just made.
    from django.core.files.storage import storages

    from diagnosis.models import Diagnosis

    for name in ("selfie", "heatmap"):
        monkeypatch.setattr(Diagnosis._meta.get_field(name), "storage", storages["private"])


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
