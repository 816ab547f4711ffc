"""The Broadcaster on PostgreSQL: LISTEN on the channel ``notify`` writes to, in the
transaction that records the events (so they arrive at commit, never for a rollback)."""

from __future__ import annotations

from techmarket import metrics
from techmarket.listening import Listening
from techmarket.trading.broadcast import CHANNEL, Inbox, Watchers, Write


class PostgresBroadcaster:
    """One per process: a LISTEN connection, kept alive and re-established if it drops.
    After every (re)connect every inbox is told it missed events: what was sent while no
    one listened is in the ledger."""

    def __init__(self, database_url: str) -> None:
        self._watchers = Watchers()
        self._listening = Listening(
            database_url,
            CHANNEL,
            self._watchers.deliver,
            self._watchers.missed,
            on_lost=metrics.BROADCAST_RECONNECTS.inc,
        )
        self.ready = self._listening.ready  # set while listening
        self.lost = self._listening.lost  # set while not, after having listened

    async def start(self) -> None:
        metrics.listener_started(self)
        await self._listening.start()

    async def stop(self) -> None:
        metrics.listener_stopped(self)
        await self._listening.stop()

    def subscribe(self, trade_id: int, write: Write | None = None) -> Inbox:
        return self._watchers.subscribe(trade_id, write)

    def unsubscribe(self, trade_id: int, inbox: Inbox) -> None:
        self._watchers.unsubscribe(trade_id, inbox)
