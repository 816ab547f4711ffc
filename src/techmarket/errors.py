"""Domain errors and their RFC 9457 problem-details rendering."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError, WebSocketRequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
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


class BadRequest(DomainError):
    code, status, title = "bad_request", 400, "Bad request"


class PayloadTooLarge(DomainError):
    code, status, title = "payload_too_large", 413, "Request too large"


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


# The framework's own codes, besides those of DomainError's subclasses.
_FRAMEWORK_CODES = {**{s: {c} for s, c in _HTTP_CODES.items()}, 422: {"validation_error"}}
# Declared on every operation, each with the closed set of codes it may carry.
DECLARED = (400, 401, 403, 404, 409, 413, 422, 429)


class Problem(BaseModel):
    """An RFC 9457 problem; some carry more members (``errors``, ``report``, ``retry_after``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str


def _subclasses(cls: type[DomainError]) -> list[type[DomainError]]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def problem_codes() -> dict[int, set[str]]:
    """Every ``code`` each status may carry: the framework's and every DomainError's (a
    class whose code varies by instance lists them in a ``STATUS`` code → status map)."""
    codes: dict[int, set[str]] = {s: set(c) for s, c in _FRAMEWORK_CODES.items()}
    for cls in _subclasses(DomainError):
        by_code: dict[str, int] = getattr(cls, "STATUS", {cls.code: cls.status})
        for code, status in by_code.items():
            codes.setdefault(status, set()).add(code)
    return codes


def _declare_problems(schema: dict[str, Any]) -> None:
    """Every operation answers errors as problem details: declare them, with the closed
    set of codes for each status, in place of FastAPI's default 422."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    base = Problem.model_json_schema()
    codes = problem_codes()
    for status in DECLARED:
        components[f"Problem{status}"] = {
            **base,
            "title": f"Problem{status}",
            "properties": {
                **base["properties"],
                "status": {"type": "integer", "const": status},
                "code": {"type": "string", "enum": sorted(codes.get(status, set()))},
            },
        }
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status in DECLARED:
                responses[str(status)] = {
                    "description": _PHRASES[status],
                    "content": {
                        PROBLEM_JSON: {"schema": {"$ref": f"#/components/schemas/Problem{status}"}}
                    },
                }


_PHRASES = {
    400: "Bad request (e.g. an invalid cursor)",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
}


def install_openapi(app: FastAPI) -> None:
    """The OpenAPI document with every operation's problem-details responses."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                routes=app.routes,
            )
            _declare_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _close_reason(exc: WebSocketRequestValidationError) -> str:
    """A close frame's reason holds at most 123 bytes."""
    first = exc.errors()[0]
    reason = f"{'.'.join(map(str, first['loc']))}: {first['msg']}"
    return reason.encode()[:123].decode(errors="ignore")


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
    """Render every error as problem details (and a websocket's bad parameters as a close)."""
    for exc_class, handler in HANDLERS.items():
        app.add_exception_handler(exc_class, handler)
    app.add_exception_handler(WebSocketRequestValidationError, _websocket_validation)


async def _websocket_validation(websocket: WebSocket, exc: Exception) -> None:
    # Accept first: a close before the handshake is a bare HTTP 403 the client cannot tell
    # from a refusal; 4422 says which parameter was wrong.
    assert isinstance(exc, WebSocketRequestValidationError)
    await websocket.accept()
    await websocket.close(code=4422, reason=_close_reason(exc))
