"""A bid is authorised at the moment it is placed, by the websocket and by HTTP alike: an
open socket whose login ended, or whose organisation was suspended, is refused and closed."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from httpx_ws import WebSocketDisconnect, aconnect_ws
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts import service as accounts
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.models.org import Organisation, OrgKind, OrgStatus
from techmarket.trading import bidding as bidding
from tests.conftest import START
from tests.factories import Account, account
from tests.trading.conftest import InProcess
from tests.trading.helpers import bid, open_auction

STEP = 100_000
# The auction runs two days, beyond a token's lifetime (12 hours by default).
LONG = {"ends_at": (START + timedelta(days=2)).isoformat()}


async def _bidding(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock
) -> tuple[dict[str, Any], Account]:
    """An open auction and a registered bidder, once bidding has started."""
    trade = await open_auction(client, await account(session, client), **LONG)
    bidder = await account(session, client)
    registered = await client.post(
        f"/api/v1/trades/{trade['id']}/registrations", headers=bidder.headers
    )
    assert registered.status_code == 201, registered.text
    clock.advance(timedelta(minutes=15))
    return trade, bidder


async def _bid_until_closed(ws: Any, amount: int) -> tuple[dict[str, Any], int]:
    """Bid; the answer, and the close code the server then closes the socket with."""
    await ws.send_json({"type": "bid", "request_id": "late", "amount_fen": amount})
    answer = await ws.receive_json(timeout=5)
    with pytest.raises(WebSocketDisconnect) as closed:
        await ws.receive_json(timeout=5)
    return dict(answer), closed.value.code


async def _acked(ws: Any, amount: int) -> None:
    await ws.send_json({"type": "bid", "request_id": f"r{amount}", "amount_fen": amount})
    answer = await ws.receive_json(timeout=5)
    assert answer["type"] == "ack", answer


async def test_an_open_socket_is_refused_and_closed_after_logout(
    in_process: InProcess, session: AsyncSession, clock: FixedClock
) -> None:
    async with in_process() as client:
        trade, bidder = await _bidding(client, session, clock)
        start = trade["terms"]["start_price_fen"]
        async with aconnect_ws(f"/ws/trades/{trade['id']}?token={bidder.token}", client) as ws:
            assert (await ws.receive_json(timeout=5))["you"]["registered"] is True
            await _acked(ws, start)

            logout = await client.post("/api/v1/auth/logout", headers=bidder.headers)
            assert logout.status_code == 204

            answer, code = await _bid_until_closed(ws, start + STEP)
        assert (answer["type"], answer["code"], answer["request_id"]) == (
            "error",
            "unauthorized",
            "late",
        )
        assert code == 4401
        standing = (await client.get(f"/api/v1/trades/{trade['id']}")).json()
        assert standing["current_price_fen"] == start  # the refused bid did not count


async def test_an_open_socket_is_refused_and_closed_once_its_token_expires(
    in_process: InProcess, session: AsyncSession, clock: FixedClock, settings: Settings
) -> None:
    async with in_process() as client:
        trade, bidder = await _bidding(client, session, clock)
        start = trade["terms"]["start_price_fen"]
        async with aconnect_ws(f"/ws/trades/{trade['id']}?token={bidder.token}", client) as ws:
            await ws.receive_json(timeout=5)
            await _acked(ws, start)

            clock.advance(timedelta(minutes=settings.token_lifetime_minutes))

            answer, code = await _bid_until_closed(ws, start + STEP)
        assert (answer["type"], answer["code"]) == ("error", "unauthorized")
        assert code == 4401
        expired = await bid(client, bidder, trade["id"], start + STEP)
        assert expired.status_code == 401


async def test_an_open_socket_is_refused_and_closed_once_the_organisation_is_suspended(
    in_process: InProcess, session: AsyncSession, clock: FixedClock
) -> None:
    async with in_process() as client:
        trade, bidder = await _bidding(client, session, clock)
        operator = await account(session, client, kind=OrgKind.operator)
        start = trade["terms"]["start_price_fen"]
        async with aconnect_ws(f"/ws/trades/{trade['id']}?token={bidder.token}", client) as ws:
            await ws.receive_json(timeout=5)
            await _acked(ws, start)

            suspended = await client.post(
                f"/api/v1/orgs/{bidder.org.id}/suspend",
                json={"reason": "资质过期"},
                headers=operator.headers,
            )
            assert suspended.status_code == 200, suspended.text

            answer, code = await _bid_until_closed(ws, start + STEP)
        assert (answer["type"], answer["code"]) == ("error", "unauthorized")
        assert code == 4403
        over_http = await bid(client, bidder, trade["id"], start + STEP)
        assert over_http.status_code == 403


async def test_a_bid_is_refused_when_the_login_ends_after_the_request_was_authenticated(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    """The HTTP door authenticates at the start of the request; the engine checks again
    when it places the bid (here: the token revoked, then the organisation suspended, in
    between)."""
    trade = await open_auction(client, await account(session, client))
    bidder = await account(session, client)
    await client.post(f"/api/v1/trades/{trade['id']}/registrations", headers=bidder.headers)
    clock.advance(timedelta(minutes=15))
    now = clock.now()
    start = trade["terms"]["start_price_fen"]

    principal = await accounts.authenticate(session, bidder.token, now)
    await accounts.logout(session, bidder.token, now)
    with pytest.raises(bidding.BidRefused) as refused:
        await bidding.place_bid(session, principal, trade["id"], start, None, None, now, clock)
    assert (refused.value.code, refused.value.status) == ("unauthorized", 401)

    again = await account(session, client, org=bidder.org)
    principal = await accounts.authenticate(session, again.token, now)
    async with sessionmaker() as operator:  # meanwhile, in another transaction
        suspend = update(Organisation).where(Organisation.id == bidder.org.id)
        await operator.execute(suspend.values(status=OrgStatus.suspended))
        await operator.commit()
    with pytest.raises(bidding.BidRefused) as refused:
        await bidding.place_bid(session, principal, trade["id"], start, None, None, now, clock)
    assert (refused.value.code, refused.value.status) == ("unauthorized", 403)
