"""Fan-out of trade events: NOTIFY in the transaction that records them (so they are sent
at commit, never for a rollback), a Broadcaster in every process, and from there to every
websocket watching that trade. Messages are the websocket protocol's own."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, NamedTuple, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from websockets.frames import Frame, Opcode

from techmarket import metrics
from techmarket.trading import repository as repo

CHANNEL = "trade_events"
QUEUE_SIZE = 1000  # events waiting for one watcher; beyond, it catches up from the ledger
PAYLOAD_LIMIT = 7900  # bytes of messages in one notification (PostgreSQL's limit is 8000)


class Event(NamedTuple):
    """A trade event as watchers get it: its sequence number, the encoded message, and
    that as a websocket frame from a server (unmasked, no extension), the same bytes for
    every socket."""

    seq: int
    text: str
    frame: bytes

    @classmethod
    def of(cls, msg: dict[str, Any]) -> Event:
        text = encode(msg)
        return cls(msg["seq"], text, Frame(Opcode.TEXT, text.encode()).serialize(mask=False))


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
    at commit, in order."""
    await queue(session, payloads(messages))


async def queue(session: AsyncSession, found: list[str]) -> None:
    """Queue the notification payloads ``found`` for every process, delivered at commit."""
    if found:
        await repo.notify(session, CHANNEL, found)


def payloads(messages: Mapping[int, list[dict[str, Any]]]) -> list[str]:
    """Every trade's ``messages`` (by trade id) in as few notifications as PostgreSQL's
    payload limit allows. A notification is a JSON array of ``{"trade_id", "messages"}``."""
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
    return payloads


def _group(trade_id: int, encoded: list[str]) -> str:
    return f'{{"trade_id":{trade_id},"messages":[{",".join(encoded)}]}}'


class Resume(NamedTuple):
    """A client's request for the events after ``after_seq`` that its snapshot summed up."""

    after_seq: int


class Leave(NamedTuple):
    """The last thing a socket's sender does, after all before it: close the socket."""

    code: int
    reason: str


Write = Callable[[bytes], bool]  # a frame to a socket as it is, if it can take one now


class Inbox:
    """What one websocket's sender has still to send, oldest first: trade events (at most
    QUEUE_SIZE) and the client's own replies. Events that do not fit are dropped and the
    inbox says it ``missed`` some, as it does when the LISTEN connection was lost: its
    sender then catches up from the ledger. The sender takes all there is at once.

    With ``write`` (the server's, see techmarket.server) an event that finds the sender
    idle, with nothing before it, is written to the socket at once, its frame as it is:
    one event reaches thousands of watchers without waking a task for each."""

    def __init__(self, write: Write | None = None) -> None:
        self._items: deque[Event | str | Resume | Leave] = deque()
        self._events = 0
        self.missed = False
        self._waiter: asyncio.Future[None] | None = None
        self._write = write
        self.seq = 0  # the last event its socket has had (high-water mark)

    def put(self, event: Event) -> None:
        write = self._write
        if write and self._idle() and event.seq > self.seq and write(event.frame):
            self.seq = event.seq
            metrics.LIVE.sent += 1
            return
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

    def _idle(self) -> bool:
        """The sender waits for something, so all before is sent (whatever is queued, or
        missed, ends the wait): the socket is free for this event."""
        return self._waiter is not None and not self._waiter.done()

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


class Broadcaster(Protocol):
    """A process's end of the fan-out, whatever carries the events between processes
    (PostgreSQL's LISTEN/NOTIFY today: techmarket.trading.pg_broadcast; a message bus
    would be one module more). ``ready`` is set while events arrive, ``lost`` while they
    do not after they did; every inbox is told it missed events whenever they may have
    been lost (its socket catches up from the ledger)."""

    ready: asyncio.Event
    lost: asyncio.Event

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def subscribe(self, trade_id: int, write: Write | None = None) -> Inbox: ...

    def unsubscribe(self, trade_id: int, inbox: Inbox) -> None: ...


class Watchers:
    """Per trade, the inboxes of the websockets watching it in this process: what every
    Broadcaster keeps, and hands each notification to."""

    def __init__(self) -> None:
        self._inboxes: dict[int, set[Inbox]] = defaultdict(set)

    def subscribe(self, trade_id: int, write: Write | None = None) -> Inbox:
        inbox = Inbox(write)
        self._inboxes[trade_id].add(inbox)
        return inbox

    def unsubscribe(self, trade_id: int, inbox: Inbox) -> None:
        self._inboxes[trade_id].discard(inbox)
        if not self._inboxes[trade_id]:
            del self._inboxes[trade_id]

    def deliver(self, payload: str) -> None:
        """A notification as ``notify`` wrote it: a JSON array of ``{"trade_id",
        "messages"}``, any number of trades, each one's messages in order."""
        started = time.thread_time()
        watched = False
        for group in json.loads(payload):  # the trades one commit touched
            inboxes = self._inboxes.get(group["trade_id"], ())
            if not inboxes:
                continue
            watched = True
            events = [Event.of(msg) for msg in group["messages"]]  # framed once
            for inbox in inboxes:
                for event in events:
                    inbox.put(event)
        if watched:
            metrics.BROADCAST_DELIVERY.observe(time.thread_time() - started)

    def missed(self) -> None:
        """Events may have been lost: every inbox catches up from the ledger."""
        for inboxes in self._inboxes.values():
            for inbox in inboxes:
                inbox.miss()
