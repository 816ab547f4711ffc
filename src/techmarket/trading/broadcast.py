"""Fan-out of trade events: NOTIFY in the transaction that records them (so they are sent
at commit, never for a rollback), LISTEN in every process, and from there to every
websocket watching that trade. Messages are the websocket protocol's own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("techmarket.broadcast")

CHANNEL = "trade_events"
QUEUE_SIZE = 1000


def message(event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any] | None:
    """The protocol message for a trade event, or None for events watchers don't get."""
    seq = data["seq"]
    if event_type == "trade.bid_accepted":
        return {
            "type": "bid",
            "seq": seq,
            "amount_fen": data["amount_fen"],
            "bidder_alias": data["alias"],
            "at": at.isoformat(),
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
    """Queue ``messages`` for every process; PostgreSQL delivers them at commit."""
    if messages:
        payload = json.dumps({"trade_id": trade_id, "messages": messages}, ensure_ascii=False)
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


class Broadcaster:
    """One per process: a LISTEN connection (re-established if it drops) and, per trade,
    the queues of the websockets watching it."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._watchers: dict[int, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)
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

    def subscribe(self, trade_id: int) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._watchers[trade_id].add(queue)
        return queue

    def unsubscribe(self, trade_id: int, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._watchers[trade_id].discard(queue)
        if not self._watchers[trade_id]:
            del self._watchers[trade_id]

    def _deliver(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        event = json.loads(payload)
        for queue in list(self._watchers.get(event["trade_id"], ())):
            for msg in event["messages"]:
                try:
                    queue.put_nowait(msg)
                except asyncio.QueueFull:  # a stalled watcher resumes from its last seq
                    log.warning("watcher queue full for trade %s", event["trade_id"])

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
