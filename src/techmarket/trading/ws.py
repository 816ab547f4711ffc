"""The live auction websocket, ``/ws/trades/{trade_id}`` (protocol: DESIGN.md, README).

Bids go to the process's bidding desk (the same engine as HTTP, in batches); events come
from the process's broadcaster. One task sends everything a socket sends: the snapshot,
then every event after it in seq order, each once, with the client's replies between;
only while that task waits, with nothing before it, does the broadcaster write an event
itself (broadcast.Inbox). Subscribe first, then snapshot; whatever the inbox missed comes
from the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import server
from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.brokers import mandates
from techmarket.db import unit_of_work
from techmarket.errors import DomainError, Forbidden, NotAuthenticated
from techmarket.trading import bidding, broadcast, desk, lifecycle, throttle
from techmarket.trading import repository as repo
from techmarket.trading.views import trade_view
from techmarket.types import Fen, Id, Line

router = APIRouter()

CLOSE_UNAUTHORIZED = 4401
CLOSE_NOT_FOUND = 4404
CLOSE_RESYNC = 4409  # the socket fell too far behind: reconnect for a fresh snapshot
CLOSE_TOO_MANY = 4429  # too many sockets, or messages, from one user or address
CLOSE_NOT_PLACED = 1011  # a bid's transaction failed: reconnect, retry the same request_id
CLOSE_GOING_AWAY = 1001  # the process stops: resume on another, resend unanswered bids
RESUME_LIMIT = 1000  # events one resume, or one catch-up, sends at most


class BidMessage(BaseModel):
    type: str
    request_id: Line = Field(min_length=1, max_length=100)
    amount_fen: Fen
    max_amount_fen: Fen | None = None


class Closing(Exception):
    """Close the socket with this code (after its sender stopped)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class Watcher:
    def __init__(
        self,
        websocket: WebSocket,
        trade_id: int,
        inbox: broadcast.Inbox,
        mandate_id: int | None = None,
    ) -> None:
        self.ws = websocket
        self.mandate_id = mandate_id  # a broker's, acting for its client
        self.trade_id = trade_id
        self.app = websocket.app
        self.inbox = inbox
        self.throttle: throttle.Throttle = websocket.app.state.throttle
        self.address = f"address:{websocket.client.host if websocket.client else '?'}"
        self.principal: Principal | None = None
        self.snapshot_seq = 0  # the events the snapshot summed up
        self.in_hand = asyncio.Lock()  # held while a client's message is handled

    @property
    def who(self) -> str:
        """Whom the limits count: the user, or before a token the address."""
        return f"user:{self.principal.user.id}" if self.principal else self.address

    def reply(self, msg: dict[str, Any] | broadcast.Resume) -> None:
        text = msg if isinstance(msg, broadcast.Resume) else broadcast.encode(msg)
        if not self.inbox.reply(text):
            raise Closing(CLOSE_TOO_MANY, "replies are not being read")

    def error(self, request_id: Any, code: str, message: str) -> None:
        self.reply({"type": "error", "request_id": request_id, "code": code, "message": message})

    async def authenticate(self, token: str) -> bool:
        """Take the token's user as this socket's; at most SOCKETS_PER_USER each."""
        try:
            async with unit_of_work(self.app.state.sessionmaker) as session:
                now = self.app.state.clock.now()
                principal = await accounts.authenticate(session, token, now)
                if self.mandate_id is not None:
                    principal = await mandates.act_under(session, principal, self.mandate_id, now)
        except (NotAuthenticated, Forbidden):  # e.g. no such mandate of the broker's agency
            return False
        if self.principal is not None:
            self.throttle.close_socket(self.who)
        key = f"user:{principal.user.id}"
        if not self.throttle.open_socket(key, self.throttle.sockets_per_user):
            self.principal = None
            raise Closing(
                CLOSE_TOO_MANY, f"at most {self.throttle.sockets_per_user} sockets a user"
            )
        self.principal = principal
        return True

    async def snapshot(self) -> str | None:
        """The trade as it stands, or None if there is no such trade for this caller."""
        async with unit_of_work(self.app.state.sessionmaker) as session:
            try:
                trade = await lifecycle.load(session, self.principal, self.trade_id)
            except lifecycle.TradeNotFound:
                return None
            you = await self._you(session)
        view = trade_view(trade).model_dump(mode="json")
        self.snapshot_seq = self.inbox.seq = trade.seq  # events up to here are in it
        return broadcast.encode(
            {
                "type": "snapshot",
                "seq": trade.seq,
                "trade": view,
                "current_price_fen": trade.price_fen,
                "ends_at": view["ends_at"],
                "leader_alias": trade.leader_alias,
                "you": you,
            }
        )

    async def _you(self, session: AsyncSession) -> dict[str, Any]:
        """The bidder's part: registered or not, and under which alias."""
        mine = None
        if self.principal is not None:
            registrations = await repo.registrations(session, self.trade_id)
            mine = next((r for r in registrations if r.org_id == self.principal.org.id), None)
        return {"registered": mine is not None, "alias": mine.alias if mine else None}

    async def send_all(self, snapshot: str) -> None:
        """The socket's one sender: the snapshot, then all else in order, until closed."""
        await self.ws.send_text(snapshot)
        while True:
            missed, items = await self.inbox.take()
            if missed:
                await self._catch_up()
            for item in items:
                if isinstance(item, broadcast.Event):
                    if item.seq > self.inbox.seq:
                        self.inbox.seq = item.seq
                        await self.ws.send_text(item.text)
                elif isinstance(item, broadcast.Resume):
                    await self._resume(item.after_seq)
                elif isinstance(item, broadcast.Leave):
                    raise Closing(item.code, item.reason)
                else:
                    await self.ws.send_text(item)

    async def _events_after(self, after_seq: int, limit: int) -> list[tuple[int, str | None]]:
        """The trade's events after ``after_seq`` from the ledger: (seq, message text, or
        None for an event watchers don't get)."""
        async with unit_of_work(self.app.state.sessionmaker) as session:
            raw = await repo.trade_entries_after(session, self.trade_id, after_seq, limit)
        events: list[tuple[int, str | None]] = []
        for body in map(json.loads, raw):
            at = datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))
            msg = broadcast.message(body["type"], body["data"], at, body["index"])
            events.append((body["data"]["seq"], broadcast.encode(msg) if msg else None))
        return events

    async def _catch_up(self) -> None:
        """Events the inbox missed (a full inbox, a lost LISTEN connection), in order."""
        events = await self._events_after(self.inbox.seq, RESUME_LIMIT + 1)
        if len(events) > RESUME_LIMIT:
            raise Closing(CLOSE_RESYNC, "too far behind: reconnect")
        for seq, text in events:
            self.inbox.seq = seq
            if text is not None:
                await self.ws.send_text(text)

    async def _resume(self, after_seq: int) -> None:
        """The events the snapshot summed up, after ``after_seq`` (at most RESUME_LIMIT; the
        client resumes again from the last it got). Later ones came, or come, live."""
        wanted = min(self.snapshot_seq - after_seq, RESUME_LIMIT)
        if wanted > 0:
            for _, text in await self._events_after(after_seq, wanted):
                if text is not None:
                    await self.ws.send_text(text)

    async def bid(self, raw: dict[str, Any], received_at: datetime) -> None:
        try:
            msg = BidMessage.model_validate(raw)
        except ValidationError as exc:
            self.error(raw.get("request_id"), "invalid", exc.errors()[0]["msg"])
            return
        if self.principal is None:
            self.error(msg.request_id, "unauthorized", "send a token first")
            return
        if not self.throttle.bids.allow(self.who):
            self.error(
                msg.request_id, "rate_limited", f"at most {self.throttle.bids} bids per user"
            )
            return
        order = bidding.BidOrder(
            self.principal, msg.amount_fen, msg.max_amount_fen, msg.request_id, received_at
        )
        try:
            result = await self.app.state.desk.place(self.trade_id, order)
        except bidding.BidRefused as refused:
            self.error(msg.request_id, refused.code, refused.detail)
            if refused.code == "unauthorized":  # the login or organisation is no longer valid
                raise Closing(4000 + refused.status, "unauthorized") from None  # 4401, 4403
            return
        except (NotAuthenticated, Forbidden) as exc:
            self.error(msg.request_id, "unauthorized", exc.detail)
            return
        except DomainError as exc:
            self.error(msg.request_id, "invalid", exc.detail)
            return
        except desk.BidsNotPlaced:  # the client resumes and retries with the same request_id
            raise Closing(CLOSE_NOT_PLACED, "bid not placed, retry") from None
        except desk.Closed:  # the process stops: unanswered, the client resends it elsewhere
            return
        own = result["accepted"][0]
        self.reply(
            {
                "type": "ack",
                "request_id": msg.request_id,
                "bid_id": own["bid_id"],
                "seq": own["seq"],
                "ledger_index": own["ledger_index"],
            }
        )

    async def handle(self, text: str) -> None:
        received_at = self.app.state.clock.now()  # a bid's receipt time decides
        if not self.throttle.messages.allow(self.who):
            raise Closing(CLOSE_TOO_MANY, f"at most {self.throttle.messages} messages")
        try:
            raw = json.loads(text)
            kind = raw["type"]
        except (ValueError, KeyError, TypeError):
            self.error(None, "invalid", "messages are JSON objects with a type")
            return
        if kind == "bid":
            await self.bid(raw, received_at)
        elif kind == "resume" and _is_seq(raw.get("after_seq")):
            if self.throttle.resumes.allow(self.who):
                self.reply(broadcast.Resume(raw["after_seq"]))
            else:
                self.error(None, "rate_limited", f"at most {self.throttle.resumes} resumes")
        elif kind == "auth" and isinstance(raw.get("token"), str):
            if not await self.authenticate(raw["token"]):
                self.error(raw.get("request_id"), "unauthorized", "invalid token")
                return
            async with unit_of_work(self.app.state.sessionmaker) as session:
                self.reply({"type": "you", **await self._you(session)})
        else:
            self.error(raw.get("request_id"), "invalid", f"unknown or malformed {kind!r}")

    async def receive_all(self) -> None:
        while True:
            text = await self.ws.receive_text()
            async with self.in_hand:
                await self.handle(text)

    async def leave(self) -> None:
        """The process stops: once the message in hand is answered, handle no other; send
        all that is due, then close 1001 (the client resumes on another process)."""
        await self.in_hand.acquire()  # for good
        self.inbox.leave(CLOSE_GOING_AWAY, "going away")


@router.websocket("/ws/trades/{trade_id}")
async def watch(
    websocket: WebSocket, trade_id: Id, token: Line | None = None, mandate: Id | None = None
) -> None:
    """``mandate``: a broker bids for the mandate's client (checked again at each bid)."""
    await websocket.accept()
    broadcaster = websocket.app.state.broadcaster
    frames = (websocket.scope.get("extensions") or {}).get(server.FRAMES)  # if served so
    # before the snapshot: nothing slips between
    inbox = broadcaster.subscribe(trade_id, frames["write"] if frames else None)
    watcher = Watcher(websocket, trade_id, inbox, mandate)
    websocket.app.state.stopping.join(watcher)  # the process stops: it leaves (1001)
    counted = watcher.throttle.open_socket(watcher.address, watcher.throttle.sockets_per_address)
    try:
        if not counted:
            raise Closing(CLOSE_TOO_MANY, f"at most {watcher.throttle.sockets_per_address} sockets")
        if token is not None and not await watcher.authenticate(token):
            await websocket.send_text(broadcast.encode(_error("unauthorized", "invalid token")))
            raise Closing(CLOSE_UNAUTHORIZED, "invalid token")
        if token is None and (cookie := _session_cookie(websocket)) is not None:
            await watcher.authenticate(cookie)  # an ended session watches, as on the pages
        snapshot = await watcher.snapshot()
        if snapshot is None:
            await websocket.send_text(broadcast.encode(_error("invalid", "no such trade")))
            raise Closing(CLOSE_NOT_FOUND, "no such trade")
        await _serve(watcher, snapshot)
    except Closing as closing:
        with contextlib.suppress(Exception):  # the client may be gone already
            await websocket.close(code=closing.code, reason=closing.reason)
    except WebSocketDisconnect:
        pass
    finally:
        websocket.app.state.stopping.left(watcher)
        broadcaster.unsubscribe(trade_id, inbox)
        if watcher.principal is not None:
            watcher.throttle.close_socket(watcher.who)
        if counted:
            watcher.throttle.close_socket(watcher.address)


async def _serve(watcher: Watcher, snapshot: str) -> None:
    """Send and receive until either side ends; a Closing from either is raised."""
    tasks = [
        asyncio.create_task(watcher.send_all(snapshot)),
        asyncio.create_task(watcher.receive_all()),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        with contextlib.suppress(WebSocketDisconnect, OSError):  # the client went away
            task.result()


def _session_cookie(websocket: WebSocket) -> str | None:
    """The browser's session token, from a page of this very origin only: another site's
    page could otherwise open a socket that bids with its visitor's cookie (cross-site
    websocket hijacking; browsers send cookies on the handshake and allow any origin)."""
    origin = websocket.headers.get("origin")
    if origin is None or urlsplit(origin).netloc != websocket.headers.get("host"):
        return None
    return websocket.cookies.get(accounts.SESSION_COOKIE)


def _error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "request_id": None, "code": code, "message": message}


def _is_seq(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63
