"""Listed trading (挂牌交易): no intent, one intent, several intents → an auction."""

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.audit import rule_books
from techmarket.clock import FixedClock
from techmarket.ledger.note import Verifier
from techmarket.ledger.verify import verify_export
from techmarket.scheduler import CLOSE_AUCTIONS, END_LISTINGS
from tests.conftest import START
from tests.factories import Account, account
from tests.ledger.helpers import export_lines, public_key
from tests.listings.helpers import published_achievement
from tests.trading.helpers import bid, open_auction

LISTED = 2_000_000


async def _listing(client: httpx.AsyncClient, seller: Account) -> dict[str, Any]:
    listed = await published_achievement(client, seller)
    created = await client.post(
        "/api/v1/trades",
        json={
            "mode": "listed",
            "achievement_id": listed["id"],
            "listed_price_fen": LISTED,
            "deposit_fen": 100_000,
            "increment_fen": 50_000,
            "auction_minutes": 30,
            "listing_ends_at": (START + timedelta(days=10)).isoformat(),
        },
        headers=seller.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "listed"
    return dict(created.json())


async def _end(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock, days: float = 10
) -> None:
    clock.advance(timedelta(days=days, seconds=1))
    await scheduler.run(sessionmaker, clock, END_LISTINGS)


async def _verify(client: httpx.AsyncClient) -> None:
    verify_export(
        await export_lines(client),
        Verifier.parse(await public_key(client)),
        rule_books=rule_books(),
    )


async def test_no_intent_leaves_it_unsold(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    trade = await _listing(client, await account(session, client))
    await _end(sessionmaker, clock)
    assert (await client.get(f"/api/v1/trades/{trade['id']}")).json()["status"] == "unsold"
    achievement = (await client.get(f"/api/v1/achievements/{trade['achievement_id']}")).json()
    assert achievement["status"] == "published"  # the seller may list it again
    await _verify(client)


async def test_one_intent_is_a_deal_at_the_listed_price(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    trade = await _listing(client, await account(session, client))
    buyer = await account(session, client)
    url = f"/api/v1/trades/{trade['id']}"
    as_bidder = await client.post(f"{url}/registrations", headers=buyer.headers)
    assert (as_bidder.status_code, as_bidder.json()["code"]) == (409, "wrong_mode")
    intent = await client.post(f"{url}/intents", headers=buyer.headers)
    assert (intent.status_code, intent.json()["deposit_status"]) == (201, "held")
    # An auction takes registrations to bid, not intents: the same shape, its own name.
    auction = await open_auction(client, await account(session, client))
    on_auction = await client.post(f"/api/v1/trades/{auction['id']}/intents", headers=buyer.headers)
    assert (on_auction.status_code, on_auction.json()["code"]) == (409, "wrong_mode")
    registered = await client.post(
        f"/api/v1/trades/{auction['id']}/registrations", headers=buyer.headers
    )
    assert registered.json().keys() == intent.json().keys()
    await _end(sessionmaker, clock)
    done = (await client.get(f"/api/v1/trades/{trade['id']}")).json()
    assert (done["status"], done["current_price_fen"], done["buyer_org_id"]) == (
        "sold",
        LISTED,
        buyer.org.id,
    )
    await _verify(client)


async def test_several_intents_become_an_auction_among_exactly_them(
    client: httpx.AsyncClient,
    session: AsyncSession,
    clock: FixedClock,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    trade = await _listing(client, await account(session, client))
    url = f"/api/v1/trades/{trade['id']}"
    a, b = await account(session, client), await account(session, client)
    for who in (a, b):
        assert (await client.post(f"{url}/intents", headers=who.headers)).is_success
    too_soon = await bid(client, a, trade["id"], LISTED)
    assert too_soon.json()["code"] == "not_open"  # a listing takes intents, not bids

    await _end(sessionmaker, clock)
    auction = (await client.get(url)).json()
    assert auction["status"] == "open"
    assert auction["terms"]["start_price_fen"] == LISTED
    latecomer = await account(session, client)
    refused = await client.post(f"{url}/intents", headers=latecomer.headers)
    assert refused.json()["code"] == "registration_closed"
    a, b = (await account(session, client, org=a.org), await account(session, client, org=b.org))

    assert (await bid(client, a, trade["id"], LISTED - 50_000)).json()["code"] == "invalid"
    assert (await bid(client, a, trade["id"], LISTED)).status_code == 200
    assert (await bid(client, b, trade["id"], LISTED + 50_000)).status_code == 200
    clock.advance(timedelta(minutes=31))
    assert await scheduler.run(sessionmaker, clock, CLOSE_AUCTIONS) == 1
    await session.commit()
    done = (await client.get(url)).json()
    assert (done["status"], done["current_price_fen"], done["buyer_org_id"]) == (
        "sold",
        LISTED + 50_000,
        b.org.id,
    )
    await _verify(client)
