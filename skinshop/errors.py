"""The application's one error hierarchy.

A service raises an ``ApplicationError`` when a request cannot be done as asked: ``message``
is for the person (pages show it as it is), ``code`` for programs that branch on the kind,
``status`` the HTTP status the API answers with. ``skinshop.api.exception_handler`` maps them,
so no view translates them itself. Plain Python: services raise these without knowing of HTTP
frameworks.
"""


class ApplicationError(Exception):
    """Something the caller asked for that cannot be done; 400 unless a subclass says more."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class NotFound(ApplicationError):
    """What the request names does not exist (or is not the caller's to see)."""

    status = 404
    code = "not_found"


class Conflict(ApplicationError):
    """The request is well formed but the state of things does not allow it (yet)."""

    status = 409
    code = "conflict"


class PaymentRequired(ApplicationError):
    status = 402
    code = "payment_required"


class TooManyRequests(ApplicationError):
    """A rate limit is used up; ``retry_after`` seconds until it resets (the Retry-After
    header)."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
