"""Fixed-window counters in the cache, for limits that must hold across web processes.

With CACHE_URL pointing at Redis every process counts in the same place; the default
per-process memory cache is right for one process (`make run`) and tests.
"""

import hashlib
import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone


def _key(name: str, window_seconds: int) -> str:
    window = int(timezone.now().timestamp() // window_seconds)
    # Names carry what clients typed (any length, any character): hashed into a safe key.
    digest = hashlib.sha256(name.encode()).hexdigest()[:32]
    return f"ratelimit:{digest}:{window_seconds}:{window}"


def hit(name: str, *, window_seconds: int, amount: int = 1) -> int:
    """Counts ``amount`` events for ``name`` in the current window; returns the window's count."""
    key = _key(name, window_seconds)
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key, amount)
    except ValueError:  # expired between add and incr
        cache.set(key, amount, timeout=window_seconds)
        return amount


def release(name: str, *, window_seconds: int, amount: int = 1) -> None:
    """Takes back events counted by ``hit`` (e.g. a log-in attempt that succeeded)."""
    try:
        cache.decr(_key(name, window_seconds), amount)
    except ValueError:  # the window ended meanwhile: nothing to take back
        pass


def seconds_left(window_seconds: int) -> int:
    """Seconds until the current window ends and its counts start again (for Retry-After)."""
    return max(1, window_seconds - int(timezone.now().timestamp()) % window_seconds)


def count(name: str, *, window_seconds: int) -> int:
    """The current window's count for ``name``, without counting."""
    return int(cache.get(_key(name, window_seconds), 0))


def client_address(request: HttpRequest) -> str | None:
    """The client's address for per-address limits. Behind NUM_PROXIES trusted proxies it is
    the entry they appended to X-Forwarded-For; entries before it are the client's word and
    would let anyone dodge a limit."""
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-min(proxies, len(hops))]
    return request.META.get("REMOTE_ADDR") or None


def address_bucket(address: str | None) -> str | None:
    """What a per-address limit counts against: an IPv4 address, or an IPv6 address's /64.

    One IPv6 subscriber gets a whole /64 (2^64 addresses): counted per address, anyone could
    take a fresh one for each try. An IPv4-mapped IPv6 address counts as its IPv4 address.
    """
    if not address:
        return None
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
