"""Cheap answers to polls: while a check is pending, its owner's poll that sends back the
``ETag`` of the answer it holds gets ``304 Not Modified`` from the session and one indexed read,
without loading the photos or serializing anything. The result page polls so
(static/js/diagnosis.js, ``views.status_json``), and so may API clients (``api``, which answers
before DRF's dispatch). A finished check has no ETag: its full answer is fetched once and the
polling stops. Anything else (not the owner's, finished, a stale or missing tag) is answered
in full by the view, as without ``If-None-Match``.
"""

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from diagnosis import selectors, session
from diagnosis.models import Diagnosis


def _etag(state: tuple, request: HttpRequest) -> str:
    # The answer's links are absolute, and its format follows the query and Accept: each
    # address and format has tags of its own.
    answer = (request.build_absolute_uri(), request.META.get("HTTP_ACCEPT", ""))
    text = "|".join(map(str, (*state, *answer)))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def not_modified(request: HttpRequest, pk, *, user) -> HttpResponse | None:
    """A 304 when the poll's ``If-None-Match`` names the current answer of a pending check that
    is the viewer's own (``user``'s, or for an anonymous one the session's guest token); None
    (answer in full) otherwise: someone else's check (staff's view of it included), a finished
    one, a stale or missing tag."""
    sent = request.META.get("HTTP_IF_NONE_MATCH")
    if not sent:
        return None
    state = selectors.pending_state(pk, user=user, guest_token=session.guest_token(request))
    if state is None:
        return None
    tag = _etag(state, request)
    if tag not in {etag.removeprefix("W/") for etag in parse_etags(sent)}:
        return None
    response = HttpResponseNotModified()
    response["ETag"] = tag
    response["Cache-Control"] = "private, no-store"
    return response


def with_etag(response: HttpResponse, request: HttpRequest, diagnosis: Diagnosis):
    """The full answer, tagged while its check is pending (from the row it was made from)."""
    if diagnosis.status in selectors.PENDING:
        state = tuple(getattr(diagnosis, field) for field in selectors.PENDING_STATE_FIELDS)
        response["ETag"] = _etag(state, request)
    return response
