"""GET /metrics: the series an operator watches move when the service works, with bounded
labels, and only for the networks allowed to scrape."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx_ws import aconnect_ws
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.db import make_engine
from techmarket.metrics import RequestMetrics
from techmarket.trading import broadcast
from techmarket.trading.pg_broadcast import PostgresBroadcaster
from tests.factories import account
from tests.inprocess import serving
from tests.trading.helpers import bid, open_auction

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(client: httpx.AsyncClient) -> Samples:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_a_small_auction_moves_the_desk_ledger_and_websocket_series(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    settings: Settings,
    clock: FixedClock,
) -> None:
    async with serving(settings, clock, engine, sessionmaker) as client:
        trade = await open_auction(client, await account(session, client))
        bidder, other = await account(session, client), await account(session, client)
        for who in (bidder, other):
            registered = await client.post(
                f"/api/v1/trades/{trade['id']}/registrations", headers=who.headers
            )
            assert registered.status_code == 201, registered.text
        clock.advance(timedelta(minutes=15))
        start = trade["terms"]["start_price_fen"]
        before = await scrape(client)

        by_http = await bid(client, other, trade["id"], start)
        assert by_http.status_code == 200, by_http.text
        async with aconnect_ws(f"/ws/trades/{trade['id']}?token={bidder.token}", client) as ws:
            assert (await ws.receive_json(timeout=5))["type"] == "snapshot"
            await ws.send_json({"type": "bid", "request_id": "r1", "amount_fen": start + 100_000})
            ack = await ws.receive_json(timeout=5)
            assert ack["type"] == "ack", ack
            during = await scrape(client)
        after = await scrape(client)

    assert moved(before, during, "techmarket_ws_connections") == 1
    assert moved(before, after, "techmarket_ws_connections") == 0
    assert moved(before, after, "techmarket_ws_messages_total", direction="in") == 1
    assert (
        moved(before, after, "techmarket_ws_messages_total", direction="out") == 2
    )  # snapshot, ack
    assert moved(before, after, "techmarket_ws_closes_total", by="client", code="1000") == 1
    assert moved(before, after, "techmarket_desk_batch_bids_count") == 1
    assert moved(before, after, "techmarket_desk_bid_ack_seconds_count") == 1
    assert value(after, "techmarket_desk_waiting_bids") == 0
    http_bids = {"method": "POST", "route": "/api/v1/trades/{trade_id}/bids", "status": "200"}
    assert moved(before, after, "techmarket_http_request_duration_seconds_count", **http_bids) == 1
    # Both bids appended to the ledger, each in a transaction of its own.
    assert moved(before, after, "techmarket_ledger_lock_wait_seconds_count") == 2
    assert moved(before, after, "techmarket_ledger_commit_seconds_count") == 2
    assert moved(before, after, "techmarket_ledger_lock_held_seconds_count") == 2
    assert value(after, "techmarket_ledger_entries") == ack["ledger_index"] + 1
    assert value(after, "techmarket_ledger_entries") > value(before, "techmarket_ledger_entries")


async def test_a_request_is_counted_by_its_route_never_by_its_path(
    client: httpx.AsyncClient,
) -> None:
    probe = uuid.uuid4().hex
    before = await scrape(client)
    assert (await client.get(f"/api/v1/trades/{probe}")).status_code == 422
    assert (await client.get(f"/no/such/{probe}")).status_code == 404
    assert (await client.request("BREW", "/healthz")).status_code == 405
    assert (await client.get("/static/site.css")).status_code == 200
    assert (await client.get(f"/static/{probe}.css")).status_code == 404
    response = await client.get("/metrics")
    after = await scrape(client)

    assert probe not in response.text
    count = "techmarket_http_request_duration_seconds_count"
    route = {"method": "GET", "route": "/api/v1/trades/{trade_id}", "status": "422"}
    assert moved(before, after, count, **route) == 1
    assert moved(before, after, count, method="GET", route="unmatched", status="404") == 1
    assert moved(before, after, count, method="other", route="/healthz", status="405") == 1
    files = {"method": "GET", "route": "/static/{path}"}
    assert moved(before, after, count, **files, status="200") == 1
    assert moved(before, after, count, **files, status="404") == 1


async def test_a_failing_scheduled_job_is_counted_with_its_runs(
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def unreachable(*args: Any) -> None:
        raise ConnectionError("database went away")

    broken = scheduler.TradeJob("close auction", unreachable, scheduler.CLOSE_AUCTIONS.act)
    monkeypatch.setattr(scheduler, "TRADE_JOBS", (broken, scheduler.END_LISTINGS))
    before = await scrape(client)
    await scheduler.run_due(sessionmaker, clock)
    after = await scrape(client)

    runs = "techmarket_scheduler_job_duration_seconds_count"
    failures = "techmarket_scheduler_job_failures_total"
    assert moved(before, after, runs, job="close auction") == 1
    assert moved(before, after, failures, job="close auction") == 1
    assert moved(before, after, runs, job="end listing") == 1
    assert moved(before, after, failures, job="end listing") == 0
    assert moved(before, after, runs, job="expire_demands") == 1


async def test_the_pool_tells_connections_in_use_and_callers_waiting(
    database_url: str, client: httpx.AsyncClient
) -> None:
    small = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        before = await scrape(client)
        async with small.connect() as held:
            await held.execute(text("SELECT 1"))
            waiting = asyncio.create_task(_select_one(small))
            during = await _when(client, lambda s: value(s, "techmarket_db_pool_waiting") >= 1)
        await waiting
        after = await scrape(client)
    finally:
        await small.dispose()

    assert moved(before, during, "techmarket_db_pool_in_use") == 1
    assert moved(before, during, "techmarket_db_pool_waiting") == 1
    assert moved(before, after, "techmarket_db_pool_in_use") == 0
    assert moved(before, after, "techmarket_db_pool_waiting") == 0


async def _when(client: httpx.AsyncClient, wanted: Callable[[Samples], bool]) -> Samples:
    """The first scrape that shows what is wanted (the scrape yields to the other tasks)."""
    async with asyncio.timeout(5):
        while not wanted(samples := await scrape(client)):
            pass
    return samples


async def _select_one(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def test_the_listener_is_down_while_its_connection_is_lost_and_reconnects_are_counted(
    engine: AsyncEngine, client: httpx.AsyncClient
) -> None:
    listener = PostgresBroadcaster(engine.url.render_as_string(hide_password=False))
    await listener.start()
    release = asyncio.Event()
    listening = listener._listening
    listen_once = listening._listen_once

    async def after_release() -> None:  # it listens again when the test says so
        await release.wait()
        await listen_once()

    listening._listen_once = after_release  # type: ignore[method-assign]
    try:
        up = await scrape(client)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN %'"
                )
            )
        await asyncio.wait_for(listener.lost.wait(), 10)
        down = await scrape(client)
        release.set()
        await asyncio.wait_for(listener.ready.wait(), 10)
        again = await scrape(client)
    finally:
        await listener.stop()
    stopped = await scrape(client)

    assert value(up, "techmarket_broadcast_listener_up") == 1
    assert value(down, "techmarket_broadcast_listener_up") == 0
    assert value(again, "techmarket_broadcast_listener_up") == 1
    assert moved(up, again, "techmarket_broadcast_reconnects_total") == 1
    assert ("techmarket_broadcast_listener_up", frozenset()) not in stopped


def test_an_overflowing_inbox_is_counted() -> None:
    overflows = "techmarket_broadcast_inbox_overflows_total"
    before = REGISTRY.get_sample_value(overflows)
    inbox = broadcast.Inbox()
    for seq in range(broadcast.QUEUE_SIZE + 1):
        inbox.put(broadcast.Event.of({"seq": seq}))
    assert REGISTRY.get_sample_value(overflows) == (before or 0) + 1


async def test_only_the_allowed_networks_may_scrape(
    engine: AsyncEngine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    for networks, status in (("10.0.0.0/8, 192.168.0.0/16", 403), ("10.0.0.0/8, 127.0.0.1", 200)):
        monkeypatch.setenv("TECHMARKET_METRICS_NETWORKS", networks)
        allowed = settings.model_copy(update={"metrics_networks": Settings().metrics_networks})
        app = create_app(allowed, engine=engine)
        transport = httpx.ASGITransport(app=app)  # the client is 127.0.0.1
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            response = await client.get("/metrics")
        assert response.status_code == status, response.text
        if status == 403:
            assert response.json()["code"] == "metrics_not_allowed"
            assert "techmarket_" not in response.text


def test_a_malformed_network_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHMARKET_METRICS_NETWORKS", "10.0.0.0/8, intranet")
    with pytest.raises(ValidationError, match="metrics_networks"):
        Settings()


async def test_close_codes_of_the_clients_choosing_are_one_series() -> None:
    async def socket(scope: Any, receive: Any, send: Any) -> None:  # accepts, then hears
        await receive()
        await send({"type": "websocket.accept"})
        await receive()

    def closes(code: str) -> float:
        labels = {"by": "client", "code": code}
        return REGISTRY.get_sample_value("techmarket_ws_closes_total", labels) or 0.0

    before = {code: closes(code) for code in ("other", "1001", "4321")}
    for code in (4321, 3999, 1001):
        inbound = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": code}]

        async def receive(inbound: list[dict[str, Any]] = inbound) -> dict[str, Any]:
            return inbound.pop(0)

        async def send(message: Any) -> None:
            pass

        await RequestMetrics(socket)({"type": "websocket", "path": "/ws"}, receive, send)
    assert closes("other") - before["other"] == 2
    assert closes("1001") - before["1001"] == 1
    assert closes("4321") == before["4321"] == 0


def test_handing_a_notification_to_watchers_is_timed() -> None:
    delivered = "techmarket_broadcast_delivery_cpu_seconds_count"
    before = REGISTRY.get_sample_value(delivered)
    watchers = broadcast.Watchers()
    watchers.subscribe(7)
    watchers.deliver('[{"trade_id":8,"messages":[{"seq":1}]}]')  # no one here watches 8
    assert REGISTRY.get_sample_value(delivered) == before
    watchers.deliver('[{"trade_id":8,"messages":[]},{"trade_id":7,"messages":[{"seq":1}]}]')
    assert REGISTRY.get_sample_value(delivered) == (before or 0) + 1
