"""Hostile input at the edge: control characters, integers beyond bigint, tampered
cursors, nulls in a PATCH, loose money, offsets on times. Each is a clear 4xx, never a 500."""

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.models.org import OrgKind
from techmarket.pagination import encode_cursor
from techmarket.trading.pg_broadcast import PostgresBroadcaster
from tests.factories import Account, account
from tests.listings.fixtures import achievement, demand
from tests.trading.helpers import auction_terms, open_auction

BEYOND_INT64 = 2**63


@pytest.fixture
async def university(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client, kind=OrgKind.university, roles=("admin", "tto"))


@pytest.fixture
async def enterprise(client: httpx.AsyncClient, session: AsyncSession) -> Account:
    return await account(session, client)


def _refused(response: httpx.Response, status: int = 422) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


# Control characters ------------------------------------------------------------------


async def test_nul_in_a_title_is_a_validation_error(
    client: httpx.AsyncClient, enterprise: Account
) -> None:
    response = await client.post(
        "/api/v1/achievements",
        json=achievement(title="锂电池\x00正极材料"),
        headers=enterprise.headers,
    )
    problem = _refused(response)
    assert problem["code"] == "validation_error"
    assert "U+0000" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", "title"]


async def test_control_characters_in_free_text_but_not_line_breaks(
    client: httpx.AsyncClient, enterprise: Account
) -> None:
    bell = await client.post(
        "/api/v1/demands", json=demand(description="第一行\x07"), headers=enterprise.headers
    )
    assert "U+0007" in _refused(bell)["detail"]
    lines = await client.post(
        "/api/v1/demands",
        json=demand(description="第一行\r\n第二行\t完"),
        headers=enterprise.headers,
    )
    assert lines.status_code == 201, lines.text
    assert lines.json()["description"] == "第一行\r\n第二行\t完"


async def test_nul_in_a_query_parameter_is_a_validation_error(client: httpx.AsyncClient) -> None:
    problem = _refused(await client.get("/api/v1/achievements", params={"q": "电池\x00"}))
    assert problem["errors"][0]["loc"] == ["query", "q"]


async def test_nul_in_a_login_name_is_a_validation_error(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/token", data={"username": "a\x00@example.com", "password": "x" * 12}
    )
    assert _refused(response)["errors"][0]["loc"] == ["body", "username"]


# Integers beyond what PostgreSQL holds ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/trades/{BEYOND_INT64}",
        f"/api/v1/achievements/{BEYOND_INT64}",
        f"/api/v1/orgs/{BEYOND_INT64}",
        f"/api/v1/ledger/entries/{BEYOND_INT64}",
        f"/api/v1/ledger/entries?start={BEYOND_INT64}",
        f"/api/v1/ledger/proofs/inclusion?index=0&tree_size={BEYOND_INT64}",
        f"/api/v1/achievements?price_min_fen={BEYOND_INT64}",
        f"/api/v1/achievements?trl_min={2**15}",
        f"/api/v1/achievements?org_id={BEYOND_INT64}",
    ],
)
async def test_integers_beyond_int64_in_paths_and_queries(
    client: httpx.AsyncClient, path: str
) -> None:
    assert _refused(await client.get(path))["code"] == "validation_error"


async def test_an_id_beyond_int64_in_a_body(client: httpx.AsyncClient, enterprise: Account) -> None:
    response = await client.post(
        "/api/v1/trades", json=auction_terms(BEYOND_INT64), headers=enterprise.headers
    )
    problem = _refused(response)
    assert ["body", "auction", "achievement_id"] in [e["loc"] for e in problem["errors"]]


async def test_bids_after_a_seq_beyond_int64(
    client: httpx.AsyncClient, university: Account
) -> None:
    trade = await open_auction(client, university, university)
    response = await client.get(
        f"/api/v1/trades/{trade['id']}/bids", params={"cursor": encode_cursor(BEYOND_INT64)}
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid_cursor")


async def _websocket(
    app: Any, path: str, then: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Drive the ASGI app as a websocket client would: connect, read until the server
    closes or sends its first text frame, then ``then`` (e.g. a disconnect)."""
    inbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbound: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await inbound.put({"type": "websocket.connect"})
    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("127.0.0.1", 50000),
        "server": ("test", 80),
        "subprotocols": [],
    }
    served = asyncio.create_task(app(scope, inbound.get, outbound.put))
    frames = []
    async with asyncio.timeout(10):
        while True:
            frame = await outbound.get()
            frames.append(frame)
            if frame["type"] in ("websocket.close", "websocket.send"):
                break
        for message in then or []:
            await inbound.put(message)
        await served
    return frames


@pytest.fixture
def app(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> Any:
    return create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)


async def test_a_websocket_to_a_trade_id_beyond_int64_closes_with_a_reason(app: Any) -> None:
    frames = await _websocket(app, f"/ws/trades/{2**64}")
    assert [f["type"] for f in frames] == ["websocket.accept", "websocket.close"]
    assert frames[1]["code"] == 4422
    assert "trade_id" in frames[1]["reason"]


# Cursors ------------------------------------------------------------------------------


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("/api/v1/orgs", _b64(f"id:{BEYOND_INT64}")),
        ("/api/v1/orgs", _b64("id:-5")),
        ("/api/v1/trades", _b64("id:1 ")),
        ("/api/v1/deals", "%%%"),
        ("/api/v1/achievements", _b64('["newest", {"a": 1}, 3]')),
        ("/api/v1/achievements", _b64('["newest", "2026-01-01T00:00:00Z", "7"]')),
        ("/api/v1/achievements", _b64(f'["newest", null, {BEYOND_INT64}]')),
        ("/api/v1/achievements?sort=price_asc", _b64('["price_asc", "cheap", 1]')),
        ("/api/v1/achievements?sort=price_asc", _b64('["price_asc", true, 1]')),
        ("/api/v1/achievements?q=电池", _b64('["relevance", NaN, 1]')),
        ("/api/v1/demands", _b64("[" * 3000 + "]" * 3000)),
        ("/api/v1/demands", _b64("[" * 60 + "]" * 60)),
        ("/api/v1/demands", _b64('"newest"')),
    ],
)
async def test_tampered_cursors_are_bad_requests(
    client: httpx.AsyncClient, path: str, cursor: str
) -> None:
    separator = "&" if "?" in path else "?"
    response = await client.get(f"{path}{separator}cursor={cursor}")
    assert _refused(response, 400)["code"] == "invalid_cursor"


# PATCH with null -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["title", "description", "deadline", "is_challenge"])
async def test_patching_a_required_demand_field_to_null(
    client: httpx.AsyncClient, enterprise: Account, field: str
) -> None:
    created = await client.post("/api/v1/demands", json=demand(), headers=enterprise.headers)
    response = await client.patch(
        f"/api/v1/demands/{created.json()['id']}", json={field: None}, headers=enterprise.headers
    )
    problem = _refused(response)
    assert "may not be null" in problem["detail"]
    assert problem["errors"][0]["loc"] == ["body", field]


async def test_patching_a_nullable_field_to_null_still_clears_it(
    client: httpx.AsyncClient, enterprise: Account
) -> None:
    created = await client.post(
        "/api/v1/demands", json=demand(budget_max_fen=900_000_000), headers=enterprise.headers
    )
    assert created.status_code == 201, created.text
    response = await client.patch(
        f"/api/v1/demands/{created.json()['id']}",
        json={"budget_max_fen": None},
        headers=enterprise.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["budget_max_fen"] is None


# Money is a strict integer --------------------------------------------------------------


@pytest.mark.parametrize("price", [100000.0, "100000", True, 1.5])
async def test_fen_is_a_strict_integer(
    client: httpx.AsyncClient, enterprise: Account, price: Any
) -> None:
    response = await client.post(
        "/api/v1/achievements", json=achievement(asking_price_fen=price), headers=enterprise.headers
    )
    assert _refused(response)["errors"][0]["loc"][:2] == ["body", "asking_price_fen"]


async def test_a_bid_in_a_float_or_a_bool_is_refused(
    client: httpx.AsyncClient, university: Account, enterprise: Account
) -> None:
    trade = await open_auction(client, university, university)
    url = f"/api/v1/trades/{trade['id']}"
    await client.post(f"{url}/registrations", headers=enterprise.headers)
    for amount in (1_000_000.0, True, "1000000"):
        response = await client.post(
            f"{url}/bids", json={"amount_fen": amount}, headers=enterprise.headers
        )
        _refused(response)
    bids = (await client.get(f"{url}/bids")).json()["items"]
    assert bids == []


# Times are UTC on the wire --------------------------------------------------------------


async def test_terms_with_an_offset_come_back_in_utc(
    client: httpx.AsyncClient,
    university: Account,
    app: Any,
    engine: AsyncEngine,
) -> None:
    trade = await open_auction(  # START is 08:00 UTC, 16:00 in Beijing
        client,
        university,
        university,
        registration_deadline="2026-11-23T16:50:00+08:00",
        starts_at="2026-11-23T16:10:00+08:00",
        ends_at="2026-11-23T17:00:00+08:00",
    )
    expected = {
        "registration_deadline": "2026-11-23T08:50:00Z",
        "starts_at": "2026-11-23T08:10:00Z",
        "ends_at": "2026-11-23T09:00:00Z",
    }
    view = (await client.get(f"/api/v1/trades/{trade['id']}")).json()
    assert {k: view["terms"][k] for k in expected} == expected
    assert view["ends_at"] == expected["ends_at"]

    entries = (await client.get("/api/v1/ledger/entries", params={"limit": 1000})).json()
    bodies = [json.loads(e["canonical"]) for e in entries["entries"]]
    opened = [
        b for b in bodies if b["type"] == "trade.opened" and b["subject"] == f"trade/{trade['id']}"
    ]
    assert {k: opened[0]["data"]["terms"][k] for k in expected} == expected

    listening = PostgresBroadcaster(engine.url.render_as_string(hide_password=False))
    await listening.start()
    app.state.broadcaster = listening
    try:
        frames = await _websocket(
            app, f"/ws/trades/{trade['id']}", then=[{"type": "websocket.disconnect", "code": 1000}]
        )
    finally:
        await listening.stop()
    snapshot = json.loads(frames[-1]["text"])
    assert snapshot["type"] == "snapshot"
    assert snapshot["ends_at"] == expected["ends_at"]
    assert {k: snapshot["trade"]["terms"][k] for k in expected} == expected


@pytest.mark.parametrize(
    "times",
    [
        {"starts_at": "0001-01-01T00:00:00+08:00"},
        {"ends_at": "9999-12-31T23:59:59-08:00"},
        {"ends_at": "2026-11-23T17:00:00"},  # no offset: which day's 17:00?
    ],
)
async def test_times_out_of_range_or_without_an_offset(
    client: httpx.AsyncClient, enterprise: Account, times: dict[str, str]
) -> None:
    response = await client.post(
        "/api/v1/trades", json=auction_terms(1, **times), headers=enterprise.headers
    )
    field = next(iter(times))
    assert ["body", "auction", field] in [e["loc"] for e in _refused(response)["errors"]]
