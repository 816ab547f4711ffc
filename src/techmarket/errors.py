"""Domain errors and their RFC 9457 problem-details rendering."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("techmarket.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """A failure a client can act on. Subclasses fix ``code`` and ``status``."""

    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400
    title: ClassVar[str] = "Request cannot be processed"
    # True when the request's changes so far must be committed despite the error
    # (e.g. a failed login is itself a recorded fact).
    keeps_changes: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class NotAuthenticated(DomainError):
    code, status, title = "not_authenticated", 401, "Authentication required"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["WWW-Authenticate"] = "Bearer"


class Forbidden(DomainError):
    code, status, title = "forbidden", 403, "Not allowed"


class NotFound(DomainError):
    code, status, title = "not_found", 404, "Not found"


class Conflict(DomainError):
    code, status, title = "conflict", 409, "Conflicts with the current state"


class InvalidInput(DomainError):
    code, status, title = "invalid_input", 422, "Invalid input"


class RateLimited(DomainError):
    code, status, title = "rate_limited", 429, "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None) -> None:
        super().__init__(detail, retry_after=retry_after)
        self.headers["Retry-After"] = str(retry_after)


def problem(
    status: int, code: str, title: str, detail: str, request: Request, **extra: Any
) -> JSONResponse:
    body = {
        "type": f"https://techmarket.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


async def domain_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    response = problem(exc.status, exc.code, exc.title, exc.detail, request, **exc.extra)
    response.headers.update(exc.headers)
    return response


async def validation_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
    return problem(
        422,
        "validation_error",
        "Invalid request",
        "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors),
        request,
        errors=errors,
    )


async def http_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    response = problem(exc.status_code, code, str(exc.detail), str(exc.detail), request)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def unexpected_problem(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal_error", "Internal error", "An unexpected error occurred", request)


Handler = Callable[[Request, Exception], Awaitable[Response]]

# Every error, including framework and unexpected ones, as problem details. The web pages
# wrap these handlers (techmarket.web.error_pages) to answer people with pages instead.
HANDLERS: dict[type[Exception], Handler] = {
    DomainError: domain_problem,
    RequestValidationError: validation_problem,
    StarletteHTTPException: http_problem,
    Exception: unexpected_problem,
}


def install(app: FastAPI) -> None:
    """Render every error as problem details."""
    for exc_class, handler in HANDLERS.items():
        app.add_exception_handler(exc_class, handler)
