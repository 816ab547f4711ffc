"""The inbox live while a page is open: the transaction that stores notifications NOTIFYs
the ids of the users told (PostgreSQL delivers it at commit, never for a rollback); one
listener per process wakes the pages those users have open."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.listening import Listening
from techmarket.trading import repository as trades

CHANNEL = "notifications"
USERS_PER_PAYLOAD = 500  # ids of up to 20 digits: well below PostgreSQL's 8000 bytes


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
        self._pages: dict[int, set[asyncio.Event]] = defaultdict(set)
        self._listening = Listening(
            database_url,
            CHANNEL,
            lambda payload: self._wake(json.loads(payload)),
            lambda: self._wake(list(self._pages)),  # what came while no one listened
        )
        self.ready = self._listening.ready

    async def start(self) -> None:
        await self._listening.start()

    async def stop(self) -> None:
        await self._listening.stop()

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
