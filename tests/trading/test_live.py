"""The live auction websocket against a real uvicorn in this process: every watcher gets
every event in order and once, whatever happens to the LISTEN connection or its inbox;
limits count per user and per address; a token sent as the first message is answered."""

import asyncio
import json
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from techmarket.accounts.policy import Principal
from techmarket.accounts.service import hash_token
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.models.ledger import LedgerEntry
from techmarket.models.org import AccessToken, Organisation
from techmarket.models.trade import Trade
from techmarket.server import Sockets
from techmarket.trading import broadcast, withdrawals
from techmarket.trading.bidding import BidOrder
from techmarket.trading.pg_broadcast import PostgresBroadcaster
from techmarket.trading.throttle import Rate, Throttle
from tests.conftest import START
from tests.factories import make_user
from tests.trading.helpers import committed_auction

NOW = START + timedelta(minutes=15)
START_PRICE, STEP = 1_000_000, 100_000


@dataclass
class Live:
    app: FastAPI
    url: str
    broadcaster: broadcast.Broadcaster

    def ws(self, trade_id: int, token: str | None = None) -> Any:
        query = f"?token={token}" if token else ""
        return connect(f"{self.url}/ws/trades/{trade_id}{query}")


@pytest.fixture
async def live(
    engine: AsyncEngine, committed: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[Live]:
    """A serving process: uvicorn on a port of its own, with its own LISTEN connection."""
    broadcaster = PostgresBroadcaster(engine.url.render_as_string(hide_password=False))
    await broadcaster.start()
    app = create_app(settings, clock=FixedClock(NOW), engine=engine, sessionmaker=committed)
    app.state.broadcaster = broadcaster
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()  # clients may connect at once: the backlog holds them until served
    config = uvicorn.Config(app, log_level="warning", ws_ping_interval=None, ws=Sockets)
    server = uvicorn.Server(config)  # with the websocket protocol of `techmarket serve`
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    yield Live(app, f"ws://127.0.0.1:{listening.getsockname()[1]}", broadcaster)
    server.should_exit = True
    await serving
    await broadcaster.stop()


async def token_for(committed: async_sessionmaker[AsyncSession], who: Principal) -> str:
    token = secrets.token_urlsafe(16)
    async with committed.begin() as session:
        session.add(
            AccessToken(
                user_id=who.user.id,
                token_hash=hash_token(token),
                created_at=START,
                expires_at=START + timedelta(days=1),
            )
        )
    return token


async def receive(ws: ClientConnection, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    async with asyncio.timeout(10):
        while True:
            msg = json.loads(await ws.recv())
            if wanted(msg):
                return dict(msg)


async def events_until(ws: ClientConnection, last_seq: int) -> list[dict[str, Any]]:
    """Every trade event the socket sends, up to the one numbered ``last_seq``."""
    got: list[dict[str, Any]] = []
    while not got or got[-1]["seq"] < last_seq:
        got.append(await receive(ws, lambda m: m["type"] in ("bid", "extended", "closed")))
    return got


async def ledgered_seqs(committed: async_sessionmaker[AsyncSession], trade_id: int) -> list[int]:
    """The seqs of the trade's events that watchers get, from the ledger."""
    async with committed() as session:
        stmt = (
            select(LedgerEntry.canonical)
            .where(LedgerEntry.subject == f"trade/{trade_id}")
            .order_by(LedgerEntry.idx)
        )
        bodies = [json.loads(raw) for raw in (await session.execute(stmt)).scalars()]
    return [
        b["data"]["seq"] for b in bodies if b["type"] in ("trade.bid_accepted", "trade.extended")
    ]


async def test_every_watcher_gets_every_event_in_order_once_though_the_listener_is_cut(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    trade_id, bidders = await committed_auction(committed, 6)
    desk = live.app.state.desk
    async with live.ws(trade_id) as one, live.ws(trade_id) as two:
        snapshots = [await receive(w, lambda m: m["type"] == "snapshot") for w in (one, two)]
        for i, bidder in enumerate(bidders[:3]):
            await desk.place(trade_id, BidOrder(bidder, START_PRICE + STEP * i))
        async with committed.begin() as session:  # mid-auction, the listener's backend dies
            killed = await session.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN %'"
                )
            )
            assert killed.scalars().all() == [True]
        await asyncio.wait_for(live.broadcaster.lost.wait(), 10)  # the process knows
        for i, bidder in enumerate(bidders[3:], start=3):  # while nobody listens
            await desk.place(trade_id, BidOrder(bidder, START_PRICE + STEP * i))
        expected = await ledgered_seqs(committed, trade_id)
        for watcher, snapshot in zip((one, two), snapshots, strict=True):
            got = await events_until(watcher, expected[-1])
            assert [e["seq"] for e in got] == [s for s in expected if s > snapshot["seq"]]
            assert [e["amount_fen"] for e in got] == [START_PRICE + STEP * i for i in range(6)]


async def test_a_watcher_whose_inbox_overflows_still_gets_every_event(
    live: Live, committed: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    trade_id, bidders = await committed_auction(committed, 5)
    monkeypatch.setattr(broadcast, "QUEUE_SIZE", 2)  # one batch of five is more than fits
    async with live.ws(trade_id) as watcher:
        snapshot = await receive(watcher, lambda m: m["type"] == "snapshot")
        await asyncio.gather(
            *(
                live.app.state.desk.place(trade_id, BidOrder(b, START_PRICE + STEP * i))
                for i, b in enumerate(bidders)
            )
        )
        expected = await ledgered_seqs(committed, trade_id)
        got = await events_until(watcher, expected[-1])
    assert [e["seq"] for e in got] == [s for s in expected if s > snapshot["seq"]]
    assert len(got) == 5


async def test_a_token_sent_as_the_first_message_is_answered_with_the_bidders_alias(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    trade_id, (bidder,) = await committed_auction(committed, 1)
    token = await token_for(committed, bidder)
    async with live.ws(trade_id) as ws:
        snapshot = await receive(ws, lambda m: m["type"] == "snapshot")
        assert snapshot["you"] == {"registered": False, "alias": None}
        await ws.send(json.dumps({"type": "auth", "token": token}))
        you = await receive(ws, lambda m: m["type"] in ("you", "error"))
    assert you["type"] == "you" and you["registered"] is True
    async with live.ws(trade_id, token) as ws:  # the same alias as with a token in the URL
        snapshot = await receive(ws, lambda m: m["type"] == "snapshot")
    assert you["alias"] == snapshot["you"]["alias"] is not None


async def test_every_bid_a_watcher_gets_names_its_ledger_entry_live_and_on_resume(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    """The room links each line of its bid ladder to the line's receipt."""
    trade_id, (bidder,) = await committed_auction(committed, 1)
    async with live.ws(trade_id) as ws:
        await receive(ws, lambda m: m["type"] == "snapshot")
        placed = await live.app.state.desk.place(trade_id, BidOrder(bidder, START_PRICE))
        live_bid = await receive(ws, lambda m: m["type"] == "bid")
    async with live.ws(trade_id) as ws:  # a page that saw nothing catches up
        await receive(ws, lambda m: m["type"] == "snapshot")
        await ws.send(json.dumps({"type": "resume", "after_seq": 0}))
        resumed = await receive(ws, lambda m: m["type"] == "bid")
    index = placed["accepted"][0]["ledger_index"]
    assert live_bid["ledger_index"] == resumed["ledger_index"] == index


async def test_the_session_cookie_signs_a_same_origin_socket_in_and_a_cross_site_one_not(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    """The room's page signs its socket in with the browser's HttpOnly session cookie
    (the handshake carries it); a page of another origin gets a watcher's socket only."""
    trade_id, (bidder,) = await committed_auction(committed, 1)
    cookie = {"Cookie": f"tm_session={await token_for(committed, bidder)}"}
    url = f"{live.url}/ws/trades/{trade_id}"
    origin = live.url.replace("ws://", "http://")
    async with connect(url, additional_headers=cookie, origin=origin) as ws:  # type: ignore[arg-type]
        mine = await receive(ws, lambda m: m["type"] == "snapshot")
    async with connect(url, additional_headers=cookie, origin="http://evil.example") as ws:  # type: ignore[arg-type]
        theirs = await receive(ws, lambda m: m["type"] == "snapshot")
    assert mine["you"]["registered"] is True and mine["you"]["alias"]
    assert theirs["you"] == {"registered": False, "alias": None}


async def test_bids_are_limited_per_user_however_many_sockets_they_open(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    live.app.state.throttle = Throttle(bids=Rate(4, 3600))
    trade_id, (bidder,) = await committed_auction(committed, 1)
    token = await token_for(committed, bidder)
    codes = []
    async with live.ws(trade_id, token) as one, live.ws(trade_id, token) as two:
        for ws in (one, two):
            await receive(ws, lambda m: m["type"] == "snapshot")
        for i in range(3):
            for name, ws in (("a", one), ("b", two)):
                bid = {"type": "bid", "request_id": f"{name}{i}", "amount_fen": START_PRICE}
                await ws.send(json.dumps(bid))
                answer = await receive(ws, lambda m: m["type"] in ("ack", "error"))
                codes.append(answer.get("code", "ack"))
    assert codes.count("rate_limited") == 2  # six bids, four allowed in all
    assert codes[:4] == ["ack", "too_low", "too_low", "too_low"]


async def test_sockets_are_capped_per_address(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    live.app.state.throttle = Throttle(sockets_per_address=2)
    trade_id, _ = await committed_auction(committed, 1)
    async with live.ws(trade_id) as one, live.ws(trade_id) as two, live.ws(trade_id) as three:
        for ws in (one, two):
            await receive(ws, lambda m: m["type"] == "snapshot")
        with pytest.raises(ConnectionClosed) as closed:
            await receive(three, lambda m: False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429
    async with live.ws(trade_id) as again:  # a closed socket no longer counts
        await receive(again, lambda m: m["type"] == "snapshot")


async def test_malformed_messages_and_resumes_count_against_the_limits(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    live.app.state.throttle = Throttle(resumes=Rate(1, 3600), messages=Rate(4, 3600))
    trade_id, _ = await committed_auction(committed, 1)
    async with live.ws(trade_id) as ws:
        await receive(ws, lambda m: m["type"] == "snapshot")
        await ws.send(json.dumps({"type": "resume", "after_seq": 0}))
        await ws.send(json.dumps({"type": "resume", "after_seq": 0}))
        limited = await receive(ws, lambda m: m["type"] == "error")
        assert limited["code"] == "rate_limited"
        for _ in range(2):  # the third and fourth messages
            await ws.send("{not json")
            assert (await receive(ws, lambda m: m["type"] == "error"))["code"] == "invalid"
        await ws.send("{not json")  # the fifth
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws, lambda m: False)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4429


async def test_readyz_reports_a_listener_that_is_down(live: Live, engine: AsyncEngine) -> None:
    http = live.url.replace("ws://", "http://")
    async with httpx.AsyncClient() as client:
        assert (await client.get(f"{http}/readyz")).status_code == 200
        await live.broadcaster.stop()
        down = await client.get(f"{http}/readyz")
    assert down.status_code == 503 and down.json()["status"] == "listener_down"


async def test_a_resume_from_a_negative_seq_is_invalid_and_the_socket_goes_on(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    trade_id, (bidder,) = await committed_auction(committed, 1)
    await live.app.state.desk.place(trade_id, BidOrder(bidder, START_PRICE))
    async with live.ws(trade_id) as ws:
        await receive(ws, lambda m: m["type"] == "snapshot")
        await ws.send(json.dumps({"type": "resume", "after_seq": -5}))
        assert (await receive(ws, lambda m: m["type"] == "error"))["code"] == "invalid"
        await ws.send(json.dumps({"type": "resume", "after_seq": 0}))
        assert (await receive(ws, lambda m: m["type"] == "bid"))["amount_fen"] == START_PRICE


async def test_watchers_hear_that_the_seller_withdrew_the_auction(
    live: Live, committed: async_sessionmaker[AsyncSession]
) -> None:
    trade_id, _ = await committed_auction(committed, 1)
    async with committed.begin() as session:
        trade = await session.get(Trade, trade_id)
        assert trade is not None
        org = await session.get(Organisation, trade.seller_org_id)
        assert org is not None
        seller = Principal(user=await make_user(session, org), org=org)
    async with live.ws(trade_id) as ws:
        await receive(ws, lambda m: m["type"] == "snapshot")
        async with committed.begin() as session:
            _, index = await withdrawals.withdraw(session, seller, trade_id, NOW)
        told = await receive(ws, lambda m: m["type"] == "withdrawn")
    assert told["ledger_index"] == index
