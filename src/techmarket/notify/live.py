"""The inbox live while a page is open: the transaction that stores notifications NOTIFYs
the ids of the users told (PostgreSQL delivers it at commit, never for a rollback); one
listener per process wakes the pages those users have open."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import Collection

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.trading import repository as trades

log = logging.getLogger("techmarket.notify.live")

CHANNEL = "notifications"
USERS_PER_PAYLOAD = 500  # ids of up to 20 digits: well below PostgreSQL's 8000 bytes
RECONNECT_DELAY = 0.5  # seconds between attempts to listen again
KEEPALIVE_INTERVAL = 10.0  # seconds of silence before the connection is asked
KEEPALIVE_TIMEOUT = 5.0


async def announce(session: AsyncSession, user_ids: Collection[int]) -> None:
    """Wake the open pages of ``user_ids`` when the caller's transaction commits."""
    ids = sorted(user_ids)
    payloads = [
        json.dumps(ids[i : i + USERS_PER_PAYLOAD]) for i in range(0, len(ids), USERS_PER_PAYLOAD)
    ]
    if payloads:
        await trades.notify(session, CHANNEL, payloads)


class Listener:
    """One per process: a LISTEN connection (re-established if lost) and, per user, the
    events of their open pages. A page woken reads the inbox itself (so after a lost
    connection every page is woken: it may have missed something)."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._pages: dict[int, set[asyncio.Event]] = defaultdict(set)
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

    def watch(self, user_id: int) -> asyncio.Event:
        woken = asyncio.Event()
        self._pages[user_id].add(woken)
        return woken

    def unwatch(self, user_id: int, woken: asyncio.Event) -> None:
        self._pages[user_id].discard(woken)
        if not self._pages[user_id]:
            del self._pages[user_id]

    def _wake(self, user_ids: Collection[int]) -> None:
        for user_id in user_ids:
            for woken in self._pages.get(user_id, ()):
                woken.set()

    def _deliver(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._wake(json.loads(payload))

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("LISTEN %s lost; reconnecting", CHANNEL)
            finally:
                self.ready.clear()
            await asyncio.sleep(RECONNECT_DELAY)

    async def _listen_once(self) -> None:
        conn = await asyncpg.connect(self._dsn, timeout=KEEPALIVE_TIMEOUT)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(CHANNEL, self._deliver)
            self._wake(list(self._pages))  # what came while no one listened
            self.ready.set()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_INTERVAL)
                    break
                await conn.fetchval("SELECT 1", timeout=KEEPALIVE_TIMEOUT)
        finally:
            conn.terminate()
