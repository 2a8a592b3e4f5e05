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
