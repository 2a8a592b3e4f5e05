"""Errors that become 4xx problem responses. Domain code raises these, never HTTP types."""

from __future__ import annotations


class GongzhiError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class Invalid(GongzhiError):
    status = 422
    title = "Invalid input"


class NotFound(GongzhiError):
    status = 404
    title = "Not found"


class IllegalTransition(GongzhiError):
    status = 409
    title = "Illegal transition"


class Conflict(GongzhiError):
    status = 409
    title = "Conflict"


class Unauthorized(GongzhiError):
    status = 401
    title = "Unauthorized"


class Forbidden(GongzhiError):
    status = 403
    title = "Forbidden"


class TooManyRequests(GongzhiError):
    """Throttled: the response says when to try again (`Retry-After`, whole seconds)."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **extra: object) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.headers = {"Retry-After": str(retry_after)}


class Unavailable(GongzhiError):
    """The store (or a dependency) cannot answer now; the client should retry later."""

    status = 503
    title = "Service unavailable"
    retry_after = 2  # seconds

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
