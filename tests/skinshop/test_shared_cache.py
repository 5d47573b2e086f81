"""The shared cache production uses (skinshop.cache): Django's Redis backend with one client
kept per connection pool, and what every cache user relies on still working through it."""

import os

import environ
import pytest
from django.core.cache.backends.redis import RedisCache

from skinshop.cache import SharedRedisCache, keeping_clients

pytestmark = pytest.mark.redis


@pytest.fixture
def shared():
    cache = SharedRedisCache(
        os.environ.get("TEST_REDIS_URL", ""), {"KEY_PREFIX": f"shared-cache-test-{os.getpid()}"}
    )
    yield cache
    cache.clear()


def test_a_redis_cache_url_gets_the_backend_that_keeps_its_clients():
    redis = environ.Env().cache_url_config("redis://127.0.0.1:6379/1")
    memory = environ.Env().cache_url_config("locmemcache://")

    assert keeping_clients(redis) == {**redis, "BACKEND": "skinshop.cache.SharedRedisCache"}
    assert keeping_clients(memory) == memory
    assert issubclass(SharedRedisCache, RedisCache)


def test_every_operation_reuses_one_client_per_pool(shared):
    shared.set("a", 1)
    shared.get("a")
    client = shared._cache.get_client(write=True)

    shared.incr("a")
    shared.get_many(["a", "b"])

    assert shared._cache.get_client(write=True) is client
    assert shared._cache.get_client(write=False) is client  # one server: one pool


def test_values_counters_and_expiry_behave_as_with_djangos_backend(shared):
    shared.set("price", {"amount": "12.50"}, timeout=60)
    shared.set_many({"x": 1, "y": 2})
    shared.add("x", 99)  # already there: unchanged
    shared.set("gone", 1, timeout=0)

    assert shared.get("price") == {"amount": "12.50"}
    assert shared.get_many(["x", "y", "z"]) == {"x": 1, "y": 2}
    assert shared.incr("x", 5) == 6
    assert shared.get("gone") is None
    shared.delete("price")
    assert shared.get("price", "missing") == "missing"
