"""Cheap answers to polls: while a check is pending, a poll that sends back the ``ETag`` of the
answer it holds gets ``304 Not Modified`` from one indexed read, without loading the photos or
serializing anything. The result page polls so (static/js/diagnosis.js), and so may API
clients. A finished check has no ETag: its full answer is fetched once and the polling stops.
"""

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags

from diagnosis import selectors
from diagnosis.models import Diagnosis


def _etag(state: tuple, request: HttpRequest) -> str:
    # The answer's links are absolute, and its format follows the query and Accept: each
    # address and format has tags of its own.
    answer = (request.build_absolute_uri(), request.META.get("HTTP_ACCEPT", ""))
    text = "|".join(map(str, (*state, *answer)))
    return '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'


def not_modified(request: HttpRequest, pk, *, user, guest_token: str) -> HttpResponse | None:
    """A 304 when the poll's ``If-None-Match`` names the pending check's current answer; None
    (answer in full) otherwise, including for a check that is not the viewer's."""
    sent = request.META.get("HTTP_IF_NONE_MATCH")
    if not sent:
        return None
    state = selectors.pending_state(pk, user=user, guest_token=guest_token)
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
