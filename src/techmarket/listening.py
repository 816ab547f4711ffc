"""A process's LISTEN on one PostgreSQL channel, kept alive: asked when silent (a
half-open connection would never deliver again) and listened again when lost. What was
notified while no one listened is the caller's to catch up on, told by ``connected``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy import make_url

log = logging.getLogger("techmarket.listening")

KEEPALIVE_INTERVAL = 10.0  # seconds of silence before the connection is asked
KEEPALIVE_TIMEOUT = 5.0  # seconds it has to answer
RECONNECT_DELAY = 0.5  # seconds between attempts to listen again


def _nothing() -> None:
    pass


class Listening:
    """LISTEN on ``channel``: ``deliver`` gets each payload, ``connected`` runs after every
    (re)connect, ``on_lost`` after every loss."""

    def __init__(
        self,
        database_url: str,
        channel: str,
        deliver: Callable[[str], None],
        connected: Callable[[], None],
        on_lost: Callable[[], None] = _nothing,
    ) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._channel = channel
        self._deliver = deliver
        self._connected = connected
        self._on_lost = on_lost
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()  # set while listening
        self.lost = asyncio.Event()  # set while not, after having listened

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen())
        await asyncio.wait_for(self.ready.wait(), timeout=30)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _heard(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._deliver(payload)

    async def _listen(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database went away: listen again soon
                log.exception("LISTEN %s lost; reconnecting", self._channel)
            finally:
                self.ready.clear()
                self.lost.set()
            self._on_lost()
            await asyncio.sleep(RECONNECT_DELAY)

    async def _listen_once(self) -> None:
        """Listen until the connection is lost or stops answering."""
        conn = await asyncpg.connect(self._dsn, timeout=KEEPALIVE_TIMEOUT)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(self._channel, self._heard)
            self._connected()
            self.lost.clear()
            self.ready.set()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), KEEPALIVE_INTERVAL)
                    break
                # a half-open connection: nothing would ever arrive, so ask
                await conn.fetchval("SELECT 1", timeout=KEEPALIVE_TIMEOUT)
            log.warning("LISTEN %s lost; reconnecting", self._channel)
        finally:
            conn.terminate()
