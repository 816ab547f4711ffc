"""The live auction websocket, ``/ws/trades/{trade_id}`` (protocol: DESIGN.md).

Bids go to the process's bidding desk (the same engine as HTTP, in batches); events come
from the process's broadcaster. Subscribe first, then snapshot, then de-duplicate by seq."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import datetime
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.db import unit_of_work
from techmarket.errors import DomainError, Forbidden, NotAuthenticated
from techmarket.models.ledger import LedgerEntry
from techmarket.trading import auctions, broadcast, desk, engine
from techmarket.trading import repository as repo
from techmarket.trading.router import trade_view
from techmarket.types import Fen, Id, Line

router = APIRouter()

RATE, BURST = 10.0, 20  # bids per second per connection, sustained and burst


class BidMessage(BaseModel):
    type: str
    request_id: Line = Field(min_length=1, max_length=100)
    amount_fen: Fen
    max_amount_fen: Fen | None = None


class Watcher:
    def __init__(self, websocket: WebSocket, trade_id: int) -> None:
        self.ws = websocket
        self.trade_id = trade_id
        self.app = websocket.app
        self.principal: Principal | None = None
        self.sent: set[int] = set()
        self.tokens, self.refilled = float(BURST), time.monotonic()

    async def send(self, msg: dict[str, Any]) -> None:
        """A message for this client alone: snapshot, ack or error."""
        await self.ws.send_text(broadcast.encode(msg))

    async def relay(self, event: broadcast.Event) -> None:
        """A trade event, once (the broadcast and a resume may both carry it)."""
        if event.seq not in self.sent:
            self.sent.add(event.seq)
            await self.ws.send_text(event.text)

    async def error(self, request_id: Any, code: str, message: str) -> None:
        await self.send(
            {"type": "error", "request_id": request_id, "code": code, "message": message}
        )

    async def authenticate(self, token: str) -> bool:
        try:
            async with unit_of_work(self.app.state.sessionmaker) as session:
                self.principal = await accounts.authenticate(
                    session, token, self.app.state.clock.now()
                )
        except NotAuthenticated:
            return False
        return True

    async def snapshot(self) -> bool:
        async with unit_of_work(self.app.state.sessionmaker) as session:
            try:
                trade = await auctions.load(session, self.principal, self.trade_id)
            except auctions.TradeNotFound:
                return False
            mine = None
            if self.principal is not None:
                registrations = await repo.registrations(session, trade.id)
                mine = next((r for r in registrations if r.org_id == self.principal.org.id), None)
        view = trade_view(trade).model_dump(mode="json")
        await self.send(
            {
                "type": "snapshot",
                "seq": trade.seq,
                "trade": view,
                "current_price_fen": trade.price_fen,
                "ends_at": view["ends_at"],
                "leader_alias": trade.leader_alias,
                "you": {"registered": mine is not None, "alias": mine.alias if mine else None},
            }
        )
        return True

    async def resume(self, after_seq: int) -> None:
        """Everything watchers get, after ``after_seq``, from the ledger itself."""
        async with unit_of_work(self.app.state.sessionmaker) as session:
            stmt = (
                select(LedgerEntry.canonical)
                .where(LedgerEntry.subject == f"trade/{self.trade_id}")
                .order_by(LedgerEntry.idx)
            )
            bodies = [json.loads(raw) for raw in (await session.execute(stmt)).scalars()]
        for body in bodies:
            if body["data"]["seq"] > after_seq:
                at = datetime.fromisoformat(body["ts"].replace("Z", "+00:00"))
                msg = broadcast.message(body["type"], body["data"], at)
                if msg is not None:
                    await self.relay(broadcast.Event.of(msg))

    def allowed(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.refilled) * RATE)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    async def bid(self, raw: dict[str, Any]) -> None:
        try:
            msg = BidMessage.model_validate(raw)
        except ValidationError as exc:
            await self.error(raw.get("request_id"), "invalid", exc.errors()[0]["msg"])
            return
        if self.principal is None:
            await self.error(msg.request_id, "unauthorized", "send a token first")
            return
        if not self.allowed():
            await self.error(msg.request_id, "rate_limited", f"at most {RATE:g} bids a second")
            return
        order = engine.BidOrder(self.principal, msg.amount_fen, msg.max_amount_fen, msg.request_id)
        try:
            result = await self.app.state.desk.place(self.trade_id, order)
        except engine.BidRefused as refused:
            await self.error(msg.request_id, refused.code, refused.detail)
            if refused.code == "unauthorized":  # the login or organisation is no longer valid
                close = 4000 + refused.status  # 4401, or 4403
                await self.ws.close(code=close, reason="unauthorized")
                raise WebSocketDisconnect(close) from None
            return
        except (NotAuthenticated, Forbidden) as exc:
            await self.error(msg.request_id, "unauthorized", exc.detail)
            return
        except DomainError as exc:
            await self.error(msg.request_id, "invalid", exc.detail)
            return
        except desk.BidsNotPlaced:  # the client resumes and retries with the same request_id
            await self.ws.close(code=1011, reason="bid not placed, retry")
            raise WebSocketDisconnect(1011) from None
        own = result["accepted"][0]
        await self.send(
            {
                "type": "ack",
                "request_id": msg.request_id,
                "bid_id": own["bid_id"],
                "seq": own["seq"],
                "ledger_index": own["ledger_index"],
            }
        )

    async def handle(self, text: str) -> None:
        try:
            raw = json.loads(text)
            kind = raw["type"]
        except (ValueError, KeyError, TypeError):
            await self.error(None, "invalid", "messages are JSON objects with a type")
            return
        if kind == "bid":
            await self.bid(raw)
        elif kind == "resume" and isinstance(raw.get("after_seq"), int):
            await self.resume(raw["after_seq"])
        elif kind == "auth" and isinstance(raw.get("token"), str):
            if not await self.authenticate(raw["token"]):
                await self.error(raw.get("request_id"), "unauthorized", "invalid token")
        else:
            await self.error(raw.get("request_id"), "invalid", f"unknown or malformed {kind!r}")


@router.websocket("/ws/trades/{trade_id}")
async def watch(websocket: WebSocket, trade_id: Id, token: Line | None = None) -> None:
    await websocket.accept()
    watcher = Watcher(websocket, trade_id)
    if token is not None and not await watcher.authenticate(token):
        await watcher.error(None, "unauthorized", "invalid token")
        await websocket.close(code=4401)
        return
    broadcaster = websocket.app.state.broadcaster
    inbox = broadcaster.subscribe(trade_id)  # before the snapshot: nothing slips between
    forward = None
    try:
        if not await watcher.snapshot():
            await watcher.error(None, "invalid", "no such trade")
            await websocket.close(code=4404)
            return

        async def forward_events() -> None:
            with contextlib.suppress(WebSocketDisconnect):  # the client went away
                while True:
                    for event in await inbox.take():
                        await watcher.relay(event)

        forward = asyncio.create_task(forward_events())
        while True:
            await watcher.handle(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
    finally:
        broadcaster.unsubscribe(trade_id, inbox)
        if forward:
            forward.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forward
