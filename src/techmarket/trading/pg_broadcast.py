"""The Broadcaster on PostgreSQL: LISTEN on the channel ``notify`` writes to, in the
transaction that records the events (so they arrive at commit, never for a rollback)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy import make_url

from techmarket import metrics
from techmarket.trading.broadcast import CHANNEL, Inbox, Watchers, Write

log = logging.getLogger("techmarket.broadcast")

KEEPALIVE_INTERVAL = 10.0  # seconds of silence before the LISTEN connection is asked
KEEPALIVE_TIMEOUT = 5.0  # seconds it has to answer
RECONNECT_DELAY = 0.5  # seconds between attempts to listen again


class PostgresBroadcaster:
    """One per process: a LISTEN connection, kept alive and re-established if it drops.
    After every (re)connect every inbox is told it missed events: what was sent while no
    one listened is in the ledger."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._watchers = Watchers()
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # set while listening
        self.lost = asyncio.Event()  # set while not, after having listened

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen())
        metrics.listener_started(self)
        await asyncio.wait_for(self.ready.wait(), timeout=30)

    async def stop(self) -> None:
        metrics.listener_stopped(self)
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def subscribe(self, trade_id: int, write: Write | None = None) -> Inbox:
        return self._watchers.subscribe(trade_id, write)

    def unsubscribe(self, trade_id: int, inbox: Inbox) -> None:
        self._watchers.unsubscribe(trade_id, inbox)

    def _deliver(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._watchers.deliver(payload)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: listen again soon
                log.exception("LISTEN connection lost; reconnecting")
            finally:
                self.ready.clear()
                self.lost.set()
            metrics.BROADCAST_RECONNECTS.inc()
            await asyncio.sleep(RECONNECT_DELAY)

    async def _listen_once(self) -> None:
        """Listen until the connection is lost or stops answering."""
        conn = await asyncpg.connect(self._dsn, timeout=KEEPALIVE_TIMEOUT)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(CHANNEL, self._deliver)
            self._watchers.missed()
            self.lost.clear()
            self.ready.set()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_INTERVAL)
                    break
                # a half-open connection: nothing would ever arrive, so ask
                await conn.fetchval("SELECT 1", timeout=KEEPALIVE_TIMEOUT)
            log.warning("LISTEN connection lost; reconnecting")
        finally:
            conn.terminate()
