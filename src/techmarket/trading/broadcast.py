"""Fan-out of trade events: NOTIFY in the transaction that records them (so they are sent
at commit, never for a rollback), LISTEN in every process, and from there to every
websocket watching that trade. Messages are the websocket protocol's own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict, deque
from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple

import asyncpg
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import metrics
from techmarket.trading import repository as repo

log = logging.getLogger("techmarket.broadcast")

CHANNEL = "trade_events"
QUEUE_SIZE = 1000  # events waiting for one watcher; beyond, it catches up from the ledger
KEEPALIVE_INTERVAL = 10.0  # seconds of silence before the LISTEN connection is asked
KEEPALIVE_TIMEOUT = 5.0  # seconds it has to answer
RECONNECT_DELAY = 0.5  # seconds between attempts to listen again
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


def message(
    event_type: str, data: dict[str, Any], at: datetime, ledger_index: int
) -> dict[str, Any] | None:
    """The protocol message for a trade event, or None for events watchers don't get;
    each names its ledger entry, so a page can link every line to its receipt."""
    seq = data["seq"]
    if event_type == "trade.bid_accepted":
        return {
            "type": "bid",
            "seq": seq,
            "amount_fen": data["amount_fen"],
            "bidder_alias": data["alias"],
            "at": data.get("received_at", at.isoformat()),  # the receipt time decides
            "ends_at": data["ends_at"],
            "ledger_index": ledger_index,
        }
    if event_type == "trade.extended":
        return {
            "type": "extended",
            "seq": seq,
            "ends_at": data["ends_at"],
            "ledger_index": ledger_index,
        }
    if event_type == "trade.converted":  # a listing became an auction among its intents
        return {
            "type": "converted",
            "seq": seq,
            "ends_at": data["terms"]["ends_at"],
            "ledger_index": ledger_index,
        }
    if event_type == "trade.withdrawn":  # by the seller, before any bid or intent
        return {"type": "withdrawn", "seq": seq, "ledger_index": ledger_index}
    if event_type == "trade.closed":
        return {
            "type": "closed",
            "seq": seq,
            "result": data["result"],
            "final_price_fen": data["final_price_fen"],
            "winner_alias": data["winner_alias"],
            "ledger_index": ledger_index,
        }
    return None


async def notify(session: AsyncSession, messages: Mapping[int, list[dict[str, Any]]]) -> None:
    """Queue every trade's ``messages`` (by trade id) for every process in one
    notification (as many as PostgreSQL's payload limit needs); PostgreSQL delivers them
    at commit, in order. A notification is a JSON array of ``{"trade_id", "messages"}``."""
    payloads: list[str] = []
    groups: list[str] = []  # of the payload being filled
    size = 2  # its bytes: the brackets, and those of the groups and messages in it
    for trade_id, trade_messages in messages.items():
        encoded: list[str] = []
        overhead = len(_group(trade_id, [])) + 1  # and its separator
        for msg in trade_messages:
            text = encode(msg)
            length = len(text.encode()) + 1
            if (groups or encoded) and size + overhead + length > PAYLOAD_LIMIT:
                if encoded:  # the trade goes on in the next notification
                    groups.append(_group(trade_id, encoded))
                payloads.append(f"[{','.join(groups)}]")
                groups, encoded, size = [], [], 2
            encoded.append(text)
            size += length
        if encoded:
            groups.append(_group(trade_id, encoded))
            size += overhead
    if groups:
        payloads.append(f"[{','.join(groups)}]")
    if payloads:
        await repo.notify(session, CHANNEL, payloads)


def _group(trade_id: int, encoded: list[str]) -> str:
    return f'{{"trade_id":{trade_id},"messages":[{",".join(encoded)}]}}'


class Resume(NamedTuple):
    """A client's request for the events after ``after_seq`` that its snapshot summed up."""

    after_seq: int


class Leave(NamedTuple):
    """The last thing a socket's sender does, after all before it: close the socket."""

    code: int
    reason: str


class Inbox:
    """What one websocket's sender has still to send, oldest first: trade events (at most
    QUEUE_SIZE) and the client's own replies. Events that do not fit are dropped and the
    inbox says it ``missed`` some, as it does when the LISTEN connection was lost: its
    sender then catches up from the ledger. The sender takes all there is at once."""

    def __init__(self) -> None:
        self._items: deque[Event | str | Resume | Leave] = deque()
        self._events = 0
        self.missed = False
        self._waiter: asyncio.Future[None] | None = None

    def put(self, event: Event) -> None:
        if self._events >= QUEUE_SIZE:  # a stalled watcher: it catches up from the ledger
            metrics.INBOX_OVERFLOWS.inc()
            self._items = deque(i for i in self._items if not isinstance(i, Event))
            self._events = 0
            self.miss()
            return
        self._items.append(event)
        self._events += 1
        self._wake()

    def reply(self, item: str | Resume) -> bool:
        """A message for this client alone (ack, error), or its request to resume; False
        if QUEUE_SIZE of them wait already (a client that sends but does not read)."""
        if len(self._items) - self._events >= QUEUE_SIZE:
            return False
        self._items.append(item)
        self._wake()
        return True

    def leave(self, code: int, reason: str) -> None:
        """Close the socket once everything before is sent (not counted: it is the last)."""
        self._items.append(Leave(code, reason))
        self._wake()

    def miss(self) -> None:
        self.missed = True
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def take(self) -> tuple[bool, list[Event | str | Resume | Leave]]:
        """Whether events were missed since the last take, and everything waiting; after
        waiting for something if there is nothing."""
        while not self._items and not self.missed:
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        missed, items = self.missed, list(self._items)
        self.missed, self._events = False, 0
        self._items.clear()
        return missed, items


class Broadcaster:
    """One per process: a LISTEN connection, kept alive and re-established if it drops,
    and, per trade, the inboxes of the websockets watching it. After every (re)connect
    every inbox is told it missed events: what was sent while no one listened is in the
    ledger."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._watchers: dict[int, set[Inbox]] = defaultdict(set)
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

    def subscribe(self, trade_id: int) -> Inbox:
        inbox = Inbox()
        self._watchers[trade_id].add(inbox)
        return inbox

    def unsubscribe(self, trade_id: int, inbox: Inbox) -> None:
        self._watchers[trade_id].discard(inbox)
        if not self._watchers[trade_id]:
            del self._watchers[trade_id]

    def _deliver(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        for group in json.loads(payload):  # the trades one commit touched
            inboxes = self._watchers.get(group["trade_id"], ())
            if not inboxes:
                continue
            events = [Event.of(msg) for msg in group["messages"]]  # encoded once
            for inbox in inboxes:
                for event in events:
                    inbox.put(event)

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
            for inboxes in self._watchers.values():
                for inbox in inboxes:
                    inbox.miss()
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
