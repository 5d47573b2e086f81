"""Shared pieces of the REST API: errors as JSON a person can read."""

from rest_framework.views import exception_handler as drf_exception_handler


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

    The field-by-field ``errors`` stay for clients that highlight form fields.
    """
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    body = {"message": _first_message(data), "code": getattr(exc, "default_code", "error")}
    if isinstance(data, dict) and set(data) - {"detail"}:
        body["errors"] = data
    response.data = body
    return response
