"""What every visitor sees alike, kept in the shared cache: the storefront's product list and
product pages, and the product list API.

One version stands for the whole catalog. Each entry is stored with the version it was built
under, and is served only while that version is still current. Every change to a product, its
stock, its category, its image, an ingredient or a skin concern draws a new version: model
saves and deletions through the receivers below (admin, services, seeds alike), stock
movements in ``catalog.stock`` (a bulk update, which sends no signal). The version is drawn at
once and again when the transaction commits: an entry built from the old rows while the change
was not yet committed then carries a version that is already gone.

The version is read before the database, so an entry is never newer than its version says.
Entries hold nothing personal: pages cache only their content block, rendered from explicit
values (no context processors: no user, cart, messages), the CSRF token of a form goes in
per request in place of ``CSRF_MARKER``. They expire after ``CATALOG_CACHE_SECONDS`` in any
case, which also bounds the life of signed image links inside them.
"""

import hashlib
import secrets
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context, engines
from django.utils.safestring import SafeString, mark_safe

VERSION_KEY = "catalog:version"
# Stands for the request's CSRF token inside a shared fragment (see ``with_csrf_token``).
CSRF_MARKER = "csrf-token-of-this-request"


def _new_version() -> str:
    return secrets.token_hex(8)


def bump_version(**_signal_kwargs) -> None:
    """The catalog changed: entries built before are stale (now, and once committed)."""
    cache.set(VERSION_KEY, _new_version(), timeout=None)
    transaction.on_commit(lambda: cache.set(VERSION_KEY, _new_version(), timeout=None))


def _current_version() -> str:
    version = _new_version()
    if cache.add(VERSION_KEY, version, timeout=None):
        return version
    return cache.get(VERSION_KEY) or version


def shared(kind: str, parts: Any, build: Callable[[], Any]) -> Any:
    """The cached value of ``build()`` for ``(kind, parts)`` under the catalog's current
    version, built and stored when missing or stale. ``parts`` (its ``repr``) names
    everything the value depends on besides the catalog, e.g. the whole query string."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    key = f"catalog:{kind}:{digest}"
    found = cache.get_many([VERSION_KEY, key])  # one round trip on a hit
    version = found.get(VERSION_KEY) or _current_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    cache.set(key, (version, value), timeout=settings.CATALOG_CACHE_SECONDS)
    return value


def query_parts(request: HttpRequest) -> tuple:
    """Every query parameter, in a stable order: a shared page or answer depends on all of them
    (filters, search, sort, page, and the other parameters its links carry along)."""
    return tuple(sorted(request.GET.lists()))


def render_fragment(template_name: str, context: dict, request: HttpRequest) -> SafeString:
    """A template rendered for a shared entry: from ``context`` alone, with the query string
    (``{% querystring %}``) as the only part of the request it can reach, and a form's CSRF
    token as ``CSRF_MARKER``."""
    template = engines["django"].engine.get_template(template_name)
    fragment_context = Context({**context, "csrf_token": CSRF_MARKER}, autoescape=True)
    fragment_context.request = SimpleNamespace(GET=request.GET)
    return mark_safe(template.render(fragment_context))  # noqa: S308 - rendered, escaped HTML


def with_csrf_token(fragment: SafeString, request: HttpRequest) -> SafeString:
    """A shared fragment with this request's CSRF token in its forms."""
    if CSRF_MARKER not in fragment:
        return fragment
    return mark_safe(fragment.replace(CSRF_MARKER, get_token(request)))  # noqa: S308
