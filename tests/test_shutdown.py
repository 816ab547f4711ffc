"""A serving process stopping (SIGTERM), in this process with a real uvicorn: the bid in
hand is placed and acknowledged before its socket closes 1001, the bid behind it is not
answered (the client sends it to another process), and new bids are refused."""

import asyncio
import hmac
import json
import socket
import time

import httpx
import uvicorn
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from techmarket.accounts.service import SESSION_COOKIE
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.models.trade import Bid, Trade
from techmarket.server import Server
from techmarket.trading.pg_broadcast import PostgresBroadcaster
from tests.trading.helpers import committed_auction
from tests.trading.test_desk import _waiting_for_a_lock
from tests.trading.test_live import NOW, START_PRICE, STEP, receive, token_for

GRACE = 10


async def test_the_bid_in_hand_is_acknowledged_then_the_socket_closes_going_away(
    engine: AsyncEngine, committed: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    trade_id, (bidder, other) = await committed_auction(committed, 2)
    tokens = [await token_for(committed, who) for who in (bidder, other)]
    broadcaster = PostgresBroadcaster(engine.url.render_as_string(hide_password=False))
    await broadcaster.start()
    app = create_app(settings, clock=FixedClock(NOW), engine=engine, sessionmaker=committed)
    app.state.broadcaster = broadcaster
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    server = Server(uvicorn.Config(app, log_level="warning"), app, GRACE)
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    base = f"127.0.0.1:{listening.getsockname()[1]}"
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://{base}") as http,
            connect(f"ws://{base}/ws/trades/{trade_id}?token={tokens[0]}") as ws,
        ):
            assert (await http.get("/healthz")).status_code == 200  # a kept-alive connection
            await receive(ws, lambda m: m["type"] == "snapshot")
            async with committed.begin() as holder:  # a slow batch ahead holds the trade
                await holder.execute(select(Trade).where(Trade.id == trade_id).with_for_update())
                for i, request_id in enumerate(("in-hand", "behind")):
                    bid = {"type": "bid", "request_id": request_id}
                    await ws.send(json.dumps(bid | {"amount_fen": START_PRICE + STEP * i}))
                await _waiting_for_a_lock(committed)  # the first is at the desk
                stopped_at = time.monotonic()
                server.should_exit = True  # as SIGTERM
                await asyncio.wait_for(app.state.stopping.begun.wait(), 10)

                refused = await http.post(
                    f"/api/v1/trades/{trade_id}/bids",
                    json={"amount_fen": START_PRICE + 5 * STEP},
                    headers={"Authorization": f"Bearer {tokens[1]}"},
                )
                assert refused.status_code == 503
                assert refused.json()["code"] == "going_away"
                assert refused.headers["connection"] == "close"
            answers = []
            try:
                async with asyncio.timeout(GRACE):
                    while True:
                        answers.append(json.loads(await ws.recv()))
            except ConnectionClosed:
                pass
            assert ws.close_code == 1001
        await serving
        assert time.monotonic() - stopped_at < GRACE  # it drained, not timed out
    finally:
        server.should_exit = True
        await serving
        await broadcaster.stop()

    replies = [a for a in answers if "request_id" in a]
    assert [(r["type"], r["request_id"]) for r in replies] == [("ack", "in-hand")]
    async with committed() as session:
        bids = (await session.execute(select(Bid).where(Bid.trade_id == trade_id))).scalars()
        assert [b.id for b in bids] == [replies[0]["bid_id"]]


async def test_once_the_process_stops_the_api_and_the_page_refuse_bids_going_away(
    engine: AsyncEngine, committed: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    trade_id, (bidder,) = await committed_auction(committed, 1)
    bearer = await token_for(committed, bidder)
    app = create_app(settings, clock=FixedClock(NOW), engine=engine, sessionmaker=committed)
    app.state.stopping.begin()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        api = await http.post(
            f"/api/v1/trades/{trade_id}/bids",
            json={"amount_fen": START_PRICE},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        http.cookies.set(SESSION_COOKIE, bearer)  # signed in on the page, with its form token
        form_token = hmac.new(app.state.session_key, b"csrf\0" + bearer.encode(), "sha256")
        page = await http.post(
            f"/trades/{trade_id}/bids",
            data={"amount": "10000", "csrf_token": form_token.hexdigest()},
        )
    assert api.status_code == page.status_code == 503
    assert api.json()["code"] == "going_away"
    assert "这次出价没有提交，请再提交一次" in page.text
