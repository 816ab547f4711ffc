"""Logs an operator can follow: every line of a request or a websocket names it (request or
connection id), its user, organisation and trade; sockets' connects, closes and refusals
are logged; no secret is ever written."""

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.logs import context
from techmarket.models.trade import Trade
from techmarket.trading import bidding
from techmarket.trading.bidding import BidOrder
from techmarket.trading.desk import BidsNotPlaced, Desk
from tests.factories import PASSWORD, Account, account
from tests.inprocess import serving
from tests.logcapture import Captured, captured_logs
from tests.trading.helpers import bid, enterprise, open_auction

RESERVE = 1_357_900  # digits no other number of the trade has


async def test_every_request_is_logged_once_with_its_id(client: httpx.AsyncClient) -> None:
    with captured_logs() as logs:
        given = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        made = await client.get("/healthz")
    assert given.headers["x-request-id"] == "abc-123"
    assert len(made.headers["x-request-id"]) == 32
    first, second = logs.lines("request")
    assert first["request_id"] == "abc-123"
    assert second["request_id"] == made.headers["x-request-id"]
    assert (first["method"], first["path"], first["status"]) == ("GET", "/healthz", 200)
    assert first["duration_ms"] >= 0


@pytest.fixture
def debug_logs() -> Iterator[Captured]:
    """Everything logged at DEBUG, from before the test's database connection is made (a
    connection decides at its start whether to log its statements and rows)."""
    with captured_logs("DEBUG") as logs:
        yield logs


async def test_a_whole_trade_is_logged_in_context_and_without_secrets(
    debug_logs: Captured,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    async with serving(settings, clock, engine, sessionmaker) as client:
        seller = await account(session, client)  # each logs in with its password
        trade = await open_auction(client, seller, reserve_fen=RESERVE)
        bidders = [await account(session, client), await account(session, client)]
        for who in bidders:
            registered = await client.post(
                f"/api/v1/trades/{trade['id']}/registrations", headers=who.headers
            )
            assert registered.status_code == 201, registered.text
        clock.advance(timedelta(minutes=15))
        start = trade["terms"]["start_price_fen"]
        assert (await bid(client, bidders[0], trade["id"], start)).status_code == 200
        async with aconnect_ws(f"/ws/trades/{trade['id']}", client) as ws:
            await ws.send_json({"type": "auth", "token": bidders[1].token})
            await ws.send_json({"type": "bid", "request_id": "b1", "amount_fen": start * 2})
            while (await ws.receive_json(timeout=5))["type"] != "ack":
                pass
        clock.advance(timedelta(hours=1))
        await scheduler.run_due(sessionmaker, clock)
    closed = await session.scalar(select(Trade).where(Trade.id == trade["id"]))
    assert closed is not None and closed.status != "open"

    _no_secrets(debug_logs.text, [seller, *bidders], closed.reserve_salt)
    assert not [line for line in debug_logs.lines() if line["logger"].endswith("Pool")]
    requests = debug_logs.lines("request")
    assert requests and all(line["request_id"] for line in requests)
    assert len({line["request_id"] for line in requests}) == len(requests)
    logins = [r for r in requests if r["path"] == "/api/v1/auth/token"]
    assert {r["user_id"] for r in logins} == {a.user.id for a in (seller, *bidders)}
    http_bid = next(r for r in requests if r["path"].endswith("/bids"))
    assert _who(http_bid) == (bidders[0].user.id, bidders[0].org.id, trade["id"])
    connected = debug_logs.lines("websocket connected")
    ended = debug_logs.lines("websocket closed")
    assert len(connected) == len(ended) == 1
    assert connected[0]["connection_id"] == ended[0]["connection_id"]
    assert connected[0]["trade_id"] == trade["id"]
    assert _who(ended[0]) == (bidders[1].user.id, bidders[1].org.id, trade["id"])
    assert (ended[0]["closed_by"], ended[0]["close_code"]) == ("client", 1000)


def _who(line: dict[str, Any]) -> tuple[Any, Any, Any]:
    return line.get("user_id"), line.get("org_id"), line.get("trade_id")


def _no_secrets(text: str, accounts: list[Account], salt: str) -> None:
    assert PASSWORD not in text
    assert "$argon2" not in text  # password hashes
    for who in accounts:
        assert who.token not in text
        assert hashlib.sha256(who.token.encode()).hexdigest() not in text
    assert salt not in text
    assert str(RESERVE) not in text


async def test_a_refused_socket_is_logged_with_its_code_and_without_the_token(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> None:
    forged = "forged-token-1f3a9c"
    with captured_logs() as logs:
        async with (
            serving(settings, clock, engine, sessionmaker) as client,
            aconnect_ws(f"/ws/trades/1?token={forged}", client) as ws,
        ):
            given_id = ws.response.headers["x-request-id"] if ws.response else None
            try:
                while True:
                    await ws.receive_json(timeout=5)
            except WebSocketDisconnect as closed:
                assert closed.code == 4401
    (refused,) = logs.lines("websocket refused")
    assert refused["level"] == "warning"
    assert (refused["closed_by"], refused["close_code"]) == ("server", 4401)
    assert refused["connection_id"] == given_id and refused["trade_id"] == 1
    assert forged not in logs.text


async def test_an_unhandled_error_is_logged_with_its_request_id(
    settings: Settings, engine: AsyncEngine
) -> None:
    app = create_app(settings, engine=engine)

    @app.get("/api/v1/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with captured_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/api/v1/boom", headers={"X-Request-ID": "boom-1"})
    assert response.status_code == 500
    (error,) = [line for line in logs.lines() if line["level"] == "error"]
    assert error["request_id"] == "boom-1"
    assert "a bug" in error["exc"]
    (request,) = logs.lines("request")
    assert (request["request_id"], request["status"]) == ("boom-1", 500)


async def test_a_failed_batch_is_logged_as_its_trades_not_as_its_first_bidders(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def unreachable(*args: Any) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(bidding, "place_batches", unreachable)
    desk = Desk(sessionmaker, clock)
    order = BidOrder(await enterprise(session), 1_000_000)
    with (
        captured_logs() as logs,
        context(connection_id="first-bidder", user_id=1),
        pytest.raises(BidsNotPlaced),
    ):
        await desk.place(42, order)
    (failed,) = [line for line in logs.lines() if line["logger"] == "techmarket.desk"]
    assert failed["trade_id"] == 42
    assert "connection_id" not in failed and "user_id" not in failed


async def test_a_trade_path_of_other_digits_is_refused_not_failed(
    client: httpx.AsyncClient,
) -> None:
    for digits in ("²", "١٢", "1e3", "9" * 5000):
        response = await client.get(f"/api/v1/trades/{digits}")
        assert response.status_code == 422, (digits, response.text)
