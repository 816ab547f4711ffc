"""This process's metrics (served by ``techmarket.scrape`` at ``GET /metrics``, README
"Metrics"): the series, and the few calls and middleware that move them.

Labels take bounded values only (route templates, never paths; known methods and close
codes), so that no client can make the series grow without end."""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A _created series beside every series would double their number; nothing reads them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Seconds, for what should take milliseconds (a bid's ack, a lock, a commit).
FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_SECONDS = Histogram(
    "techmarket_http_request_duration_seconds",
    "HTTP requests by method, route template and status, and how long each took "
    "(its _count is the number of requests)",
    ["method", "route", "status"],
)
WS_CONNECTIONS = Gauge("techmarket_ws_connections", "Websockets open now")
DELIVERY_ATTEMPTS = Counter(
    "techmarket_delivery_attempts_total",
    "E-mail and webhook attempts by channel and what came of them",
    ["channel", "status"],
)
WS_CLOSES = Counter(
    "techmarket_ws_closes_total",
    "Websockets ended, by who closed (server, client) and close code",
    ["by", "code"],
)
DESK_BATCH = Histogram(
    "techmarket_desk_batch_bids",
    "Bids placed in one transaction of the bidding desk",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
BID_ACK = Histogram(
    "techmarket_desk_bid_ack_seconds",
    "From a bid's receipt stamp to its ack, for bids placed by the desk (websocket)",
    buckets=FAST,
)
LEDGER_LOCK_WAIT = Histogram(
    "techmarket_ledger_lock_wait_seconds", "Waiting for the ledger head's row lock", buckets=FAST
)
LEDGER_LOCK_HELD = Histogram(
    "techmarket_ledger_lock_held_seconds",
    "The ledger head's row lock held: from taking it to its transaction's commit",
    buckets=FAST,
)
LEDGER_COMMIT = Histogram(
    "techmarket_ledger_commit_seconds",
    "The commit of a transaction that appended to the ledger",
    buckets=FAST,
)
LEDGER_ENTRIES = Gauge("techmarket_ledger_entries", "Entries in the ledger (read at each scrape)")
BROADCAST_RECONNECTS = Counter(
    "techmarket_broadcast_reconnects_total", "LISTEN connections lost (and listened again)"
)
BROADCAST_DELIVERY = Histogram(
    "techmarket_broadcast_delivery_cpu_seconds",
    "CPU time of handing one notification to the process's watchers of its trades",
    buckets=FAST,
)
INBOX_OVERFLOWS = Counter(
    "techmarket_broadcast_inbox_overflows_total",
    "Watchers too slow for their events, sent to catch up from the ledger",
)
JOB_SECONDS = Histogram(
    "techmarket_scheduler_job_duration_seconds",
    "Runs of the scheduler's jobs and how long each took (its _count is the runs)",
    ["job"],
)
JOB_FAILURES = Counter(
    "techmarket_scheduler_job_failures_total",
    "Failures of scheduled jobs, whole runs or single trades (each one logged)",
    ["job"],
)
POOL_WAITING = Gauge(
    "techmarket_db_pool_waiting", "Tasks waiting for a database connection from the pool"
)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class _Listener(Protocol):
    ready: asyncio.Event  # set while listening


class _Desk(Protocol):
    def waiting(self) -> int: ...


class _Live(Collector):
    """Series read at each scrape from the objects that know them; and the websockets'
    messages, counted here as plain numbers: a Counter takes a lock at each message, and
    every socket is served on the event loop's one thread."""

    def __init__(self) -> None:
        self.desks: weakref.WeakSet[Any] = weakref.WeakSet()
        self.pools: weakref.WeakSet[MeteredPool] = weakref.WeakSet()
        self.listeners: set[Any] = set()  # started and not stopped
        self.received = self.sent = 0  # websocket messages

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        messages = CounterMetricFamily(
            "techmarket_ws_messages",
            "Websocket messages, by direction (in, out)",
            labels=["direction"],
        )
        messages.add_metric(["in"], self.received)
        messages.add_metric(["out"], self.sent)
        yield messages
        yield GaugeMetricFamily(
            "techmarket_desk_waiting_bids",
            "Bids waiting at the bidding desk for a batch",
            value=sum(desk.waiting() for desk in list(self.desks)),
        )
        yield GaugeMetricFamily(
            "techmarket_db_pool_in_use",
            "Database connections checked out of the pool",
            value=sum(pool.checkedout() for pool in list(self.pools)),
        )
        if self.listeners:  # no sample in a process that has none (yet)
            yield GaugeMetricFamily(
                "techmarket_broadcast_listener_up",
                "1 while the LISTEN connection of trade events is up, 0 while it is down",
                value=min(int(listener.ready.is_set()) for listener in self.listeners),
            )


LIVE = _Live()
REGISTRY.register(LIVE)


def watch_desk(desk: _Desk) -> None:
    """Count ``desk``'s waiting bids (as long as it lives)."""
    LIVE.desks.add(desk)


def listener_started(listener: _Listener) -> None:
    LIVE.listeners.add(listener)


def listener_stopped(listener: _Listener) -> None:
    LIVE.listeners.discard(listener)


class MeteredPool(AsyncAdaptedQueuePool):
    """SQLAlchemy's pool for asyncio, counting who waits for a connection (the pool keeps
    no such count) and listed for the in-use gauge."""

    # Its log lines are SQLAlchemy's pool's, under the level SQLAlchemy gives its loggers.
    _sqla_logger_namespace = "sqlalchemy.pool.impl.AsyncAdaptedQueuePool"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        LIVE.pools.add(self)

    def _do_get(self) -> ConnectionPoolEntry:
        POOL_WAITING.inc()
        try:
            return super()._do_get()
        finally:
            POOL_WAITING.dec()


def bid_acked(received_at: datetime | None, now: datetime) -> None:
    """A bid received at ``received_at`` (its receipt stamp) is acknowledged ``now``."""
    if received_at is not None:
        BID_ACK.observe(max((now - received_at).total_seconds(), 0.0))


@dataclass
class _LockHeld:
    """The ledger's head lock, taken in a session's transaction ``root``."""

    root: SessionTransaction
    taken: float
    committing: float = 0.0
    committed: float | None = None


_HELD = "techmarket.metrics.ledger_lock"  # Session.info: the lock held, if any


def ledger_locked(session: AsyncSession, waited: float) -> None:
    """The ledger's head lock was taken in ``session``'s transaction after ``waited``
    seconds: when that transaction commits, its commit and how long the lock was held are
    timed (once per transaction, however many appends it makes)."""
    sync = session.sync_session
    root = sync.get_transaction()
    held = sync.info.get(_HELD)
    if root is None or (held is not None and held.root is root):
        return
    sync.info[_HELD] = _LockHeld(root, time.perf_counter())
    LEDGER_LOCK_WAIT.observe(waited)


@event.listens_for(Session, "before_commit")
def _committing(session: Session) -> None:
    if (held := session.info.get(_HELD)) is not None:
        held.committing = time.perf_counter()


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if (held := session.info.get(_HELD)) is not None:
        held.committed = time.perf_counter()


@event.listens_for(Session, "after_transaction_end")
def _released(session: Session, transaction: SessionTransaction) -> None:
    held = session.info.get(_HELD)
    if held is None or transaction is not held.root:
        return
    del session.info[_HELD]
    if held.committed is not None:  # not rolled back
        LEDGER_COMMIT.observe(held.committed - held.committing)
        LEDGER_LOCK_HELD.observe(held.committed - held.taken)


@contextmanager
def job_run(job: str) -> Iterator[None]:
    """Time a run of a scheduled ``job``; a run that raises counts as failed."""
    started = time.perf_counter()
    try:
        yield
    except Exception:
        JOB_FAILURES.labels(job).inc()
        raise
    finally:
        JOB_SECONDS.labels(job).observe(time.perf_counter() - started)


def job_failed(job: str) -> None:
    """One trade of a run of ``job`` failed (the run goes on)."""
    JOB_FAILURES.labels(job).inc()


def _route(scope: Scope) -> str:
    """The template of the route that took the request (a mount's, for its files)."""
    route = scope.get("route")
    if route is not None:
        return str(getattr(route, "path_format", None) or getattr(route, "path", "unmatched"))
    mounted = scope.get("root_path", "")[len(scope.get("app_root_path", "")) :]
    # A 404 by a path of the client's choosing: one series for all of them.
    return f"{mounted}/{{path}}" if mounted else "unmatched"


def _close_code(by: str, code: int) -> str:
    # A client may close with any code from 3000 to 4999: those are one series.
    return str(code) if by == "server" or code < 3000 else "other"


class RequestMetrics:
    """ASGI middleware: each request's duration by route template and status; each
    websocket open, its messages both ways and how it ended."""

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
        status = 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            HTTP_SECONDS.labels(method, _route(scope), str(status)).observe(
                time.perf_counter() - started
            )

    async def _socket(self, scope: Scope, receive: Receive, send: Send) -> None:
        ended: list[tuple[str, int]] = []  # who closed first, with which code
        opened = False

        async def sending(message: Message) -> None:
            nonlocal opened
            kind = message["type"]
            if kind == "websocket.send":
                LIVE.sent += 1
            elif kind == "websocket.accept":
                opened = True
                WS_CONNECTIONS.inc()
            elif kind == "websocket.close" and not ended:
                ended.append(("server", message.get("code", 1000)))
            await send(message)

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "websocket.receive":
                LIVE.received += 1
            elif message["type"] == "websocket.disconnect" and not ended:
                ended.append(("client", message.get("code", 1005)))
            return message

        try:
            await self.app(scope, receiving, sending)
        finally:
            if opened:
                WS_CONNECTIONS.dec()
            by, code = ended[0] if ended else ("server", 1006)
            WS_CLOSES.labels(by, _close_code(by, code)).inc()
