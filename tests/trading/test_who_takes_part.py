"""Who may take part in the market: auditors write nothing, the operator never trades."""

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.clock import FixedClock
from techmarket.models.org import OrgKind
from tests.conftest import START
from tests.factories import Account, account
from tests.listings.fixtures import achievement, demand
from tests.listings.helpers import published_achievement, published_demand
from tests.trading.helpers import auction_terms, bid, open_auction

KINDS = [OrgKind.auditor, OrgKind.operator]


async def _listing(client: httpx.AsyncClient, seller: Account) -> dict[str, Any]:
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={
            "mode": "listed",
            "achievement_id": listed["id"],
            "listed_price_fen": 2_000_000,
            "deposit_fen": 100_000,
            "increment_fen": 50_000,
            "auction_minutes": 30,
            "listing_ends_at": (START + timedelta(days=10)).isoformat(),
        },
        headers=seller.headers,
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


async def _agreement(
    client: httpx.AsyncClient, seller: Account, buyer_org_id: int
) -> httpx.Response:
    listed = await published_achievement(client, seller)
    return await client.post(
        "/api/v1/trades",
        json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer_org_id},
        headers=seller.headers,
    )


async def _on_notice(client: httpx.AsyncClient, seller: Account, buyer: Account) -> int:
    created = await _agreement(client, seller, buyer.org.id)
    assert created.status_code == 201, created.text
    url = f"/api/v1/trades/{created.json()['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 1_000_000}, headers=seller.headers)
    accepted = await client.post(f"{url}/accept", headers=buyer.headers)
    assert accepted.json()["status"] == "notice", accepted.text
    return int(created.json()["id"])


def _refused(response: httpx.Response, code: str, status: int = 403) -> None:
    assert (response.status_code, response.json()["code"]) == (status, code), response.text


@pytest.mark.parametrize("kind", KINDS)
async def test_they_do_not_register_bid_or_register_intent(
    client: httpx.AsyncClient, session: AsyncSession, clock: FixedClock, kind: OrgKind
) -> None:
    caller = await account(session, client, kind=kind)
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    registered = await client.post(
        f"/api/v1/trades/{trade['id']}/registrations", headers=caller.headers
    )
    _refused(registered, "wrong_org_kind")
    clock.advance(timedelta(minutes=15))
    _refused(await bid(client, caller, trade["id"], 1_000_000), "unauthorized")

    listing = await _listing(client, seller)
    intent = await client.post(
        f"/api/v1/trades/{listing['id']}/registrations", headers=caller.headers
    )
    _refused(intent, "wrong_org_kind")
    standing = (await client.get(f"/api/v1/trades/{trade['id']}")).json()
    assert standing["current_price_fen"] is None


@pytest.mark.parametrize("kind", KINDS)
async def test_they_do_not_object_or_negotiate(
    client: httpx.AsyncClient, session: AsyncSession, kind: OrgKind
) -> None:
    caller = await account(session, client, kind=kind)
    seller, buyer = await account(session, client), await account(session, client)
    trade_id = await _on_notice(client, seller, buyer)
    objection = await client.post(
        f"/api/v1/trades/{trade_id}/objections", json={"reasons": "异议"}, headers=caller.headers
    )
    _refused(objection, "wrong_org_kind")
    # Nor may a seller name them as the buyer to negotiate with.
    _refused(await _agreement(client, seller, caller.org.id), "invalid_buyer", 422)


@pytest.mark.parametrize("kind", KINDS)
async def test_they_list_nothing_and_open_no_trades(
    client: httpx.AsyncClient, session: AsyncSession, kind: OrgKind
) -> None:
    caller = await account(session, client, kind=kind)
    listed = await client.post("/api/v1/achievements", json=achievement(), headers=caller.headers)
    _refused(listed, "wrong_org_kind")
    posted = await client.post("/api/v1/demands", json=demand(), headers=caller.headers)
    _refused(posted, "wrong_org_kind")
    enterprise = await account(session, client)
    open_demand = await published_demand(client, enterprise)
    response = await client.post(
        f"/api/v1/demands/{open_demand['id']}/responses",
        json={"text": "我们来做", "quoted_price_fen": 1_000_000},
        headers=caller.headers,
    )
    _refused(response, "wrong_org_kind")
    theirs = await published_achievement(client, enterprise)
    opened = await client.post(
        "/api/v1/trades", json=auction_terms(theirs["id"]), headers=caller.headers
    )
    _refused(opened, "not_your_org")
