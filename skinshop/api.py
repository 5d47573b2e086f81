"""Shared pieces of the REST API: errors as JSON a person can read, and pagination."""

import logging

from django.db import DatabaseError, DataError, IntegrityError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from skinshop.errors import ApplicationError, TooManyRequests

logger = logging.getLogger(__name__)

# accounts.authentication.SessionAuthentication: what an unsafe request without a token meets.
CSRF_REQUIRED = OpenApiResponse(
    description="CSRF check failed: without an API token, send the `X-CSRFToken` header (from "
    "`GET /api/v1/auth/csrf/` or the `csrftoken` cookie); only a JSON body from a client that "
    "holds no session cookie is exempt."
)


class Pagination(PageNumberPagination):
    """DRF's pages, except that an empty ``?page=`` is an invalid page (404) like ``?page=x``,
    instead of quietly meaning page 1."""

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is not None and value.strip() == "":
            raise NotFound(self.invalid_page_message.format(page_number="", message="empty"))
        return super().get_page_number(request, paginator)


class ServiceUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The shop could not reach its database. Nothing was saved; please try again."
    default_code = "service_unavailable"


def _first_message(detail) -> str:
    if isinstance(detail, dict):
        for field, value in detail.items():
            message = _first_message(value)
            return message if field in ("detail", "non_field_errors") else f"{field}: {message}"
        return "Invalid request."
    if isinstance(detail, list):
        return _first_message(detail[0]) if detail else "Invalid request."
    return str(detail)


def exception_handler(exc, context):
    """DRF's handler, plus a top-level ``message`` that sums the error up in one sentence.

    The field-by-field ``errors`` stay for clients that highlight form fields. A service's
    ``ApplicationError`` answers with its own status, message and code: the one place they
    are turned into responses.
    """
    if isinstance(exc, ApplicationError):
        return _application_error_response(exc)
    if isinstance(exc, DatabaseError) and not _is_data_error(exc):
        # A dropped connection or a database that is down: the transaction was rolled back, so
        # the client may simply retry (with its Idempotency-Key for an order).
        logger.exception("Database unavailable during an API request")
        exc = ServiceUnavailable()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    body = {"message": _first_message(data), "code": getattr(exc, "default_code", "error")}
    if isinstance(data, dict) and set(data) - {"detail"}:
        body["errors"] = data
    response.data = body
    return response


def _application_error_response(exc: ApplicationError) -> Response:
    headers = {}
    if isinstance(exc, TooManyRequests):
        headers["Retry-After"] = str(exc.retry_after)
    set_rollback()  # as DRF does for its own errors, should a request run in a transaction
    return Response({"message": exc.message, "code": exc.code}, status=exc.status, headers=headers)


def _is_data_error(exc: DatabaseError) -> bool:
    # Constraint violations and bad values are bugs to see as 500s, not outages.
    return isinstance(exc, (DataError, IntegrityError))
