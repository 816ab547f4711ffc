"""Fan-out of trade events: NOTIFY in the transaction that records them (so they are sent
at commit, never for a rollback), LISTEN in every process, and from there to every
websocket watching that trade. Messages are the websocket protocol's own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("techmarket.broadcast")

CHANNEL = "trade_events"
QUEUE_SIZE = 1000
PAYLOAD_LIMIT = 7900  # bytes of messages in one notification (PostgreSQL's limit is 8000)


class Event(NamedTuple):
    """A trade event as watchers get it: its sequence number and the encoded message."""

    seq: int
    text: str

    @classmethod
    def of(cls, msg: dict[str, Any]) -> Event:
        return cls(msg["seq"], encode(msg))


def encode(msg: dict[str, Any]) -> str:
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":"))


def message(event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """The protocol message for a trade event, or None for events watchers don't get."""
    seq = data["seq"]
    if event_type == "trade.bid_accepted":
        return {
            "type": "bid",
            "seq": seq,
            "amount_fen": data["amount_fen"],
            "bidder_alias": data["alias"],
            "at": data.get("received_at", at.isoformat()),  # the receipt time decides
            "ends_at": data["ends_at"],
        }
    if event_type == "trade.extended":
        return {"type": "extended", "seq": seq, "ends_at": data["ends_at"]}
    if event_type == "trade.closed":
        return {
            "type": "closed",
            "seq": seq,
            "result": data["result"],
            "final_price_fen": data["final_price_fen"],
            "winner_alias": data["winner_alias"],
        }
    return None


async def notify(session: AsyncSession, trade_id: int, messages: list[dict[str, Any]]) -> None:
    """Queue ``messages`` for every process; PostgreSQL delivers them at commit, in order,
    as many notifications as its payload limit needs."""
    payloads: list[str] = []
    batch: list[str] = []
    size = 0
    for msg in messages:
        encoded = encode(msg)
        length = len(encoded.encode()) + 1  # and its separator
        if batch and size + length > PAYLOAD_LIMIT:
            payloads.append(_payload(trade_id, batch))
            batch, size = [], 0
        batch.append(encoded)
        size += length
    if batch:
        payloads.append(_payload(trade_id, batch))
    if payloads:
        await session.execute(
            text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
            {"channel": CHANNEL, "payloads": payloads},
        )


def _payload(trade_id: int, encoded: list[str]) -> str:
    return f'{{"trade_id":{trade_id},"messages":[{",".join(encoded)}]}}'


class Inbox:
    """A watcher's events not yet sent, oldest first, at most QUEUE_SIZE of them; its
    sender takes all there are at once."""

    def __init__(self) -> None:
        self._events: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: Event) -> bool:
        if len(self._events) >= QUEUE_SIZE:
            return False
        self._events.append(event)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)
        return True

    async def take(self) -> list[Event]:
        """Every event waiting, after waiting for one if there is none."""
        while not self._events:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        events = list(self._events)
        self._events.clear()
        return events


class Broadcaster:
    """One per process: a LISTEN connection (re-established if it drops) and, per trade,
    the inboxes of the websockets watching it."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._watchers: dict[int, set[Inbox]] = defaultdict(set)
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self.ready.wait(), timeout=30)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self, trade_id: int) -> Inbox:
        inbox = Inbox()
        self._watchers[trade_id].add(inbox)
        return inbox

    def unsubscribe(self, trade_id: int, inbox: Inbox) -> None:
        self._watchers[trade_id].discard(inbox)
        if not self._watchers[trade_id]:
            del self._watchers[trade_id]

    def _deliver(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        notification = json.loads(payload)
        trade_id = notification["trade_id"]
        events = [Event.of(msg) for msg in notification["messages"]]  # encoded once
        for inbox in self._watchers.get(trade_id, ()):
            if not all([inbox.put(event) for event in events]):
                # a stalled watcher: it resumes from the last seq it got
                log.warning("watcher inbox full for trade %s", trade_id)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: listen again soon
                log.exception("LISTEN connection lost; reconnecting")
                await asyncio.sleep(1)

    async def _listen_once(self) -> None:
        """Listen until the connection is lost."""
        conn = await asyncpg.connect(self._dsn)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(CHANNEL, self._deliver)
            self.ready.set()
            await lost.wait()
        finally:
            await conn.close()
