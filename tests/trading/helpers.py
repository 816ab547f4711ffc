"""Setting up auctions in tests: over HTTP, or committed for concurrency tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.accounts.policy import Principal
from techmarket.listings import achievements
from techmarket.listings.schemas import AchievementCreate
from techmarket.models.org import OrgKind
from techmarket.trading import lifecycle
from techmarket.trading.schemas import AuctionCreate
from tests.conftest import START
from tests.factories import Account, make_org, make_user
from tests.listings.fixtures import achievement
from tests.listings.helpers import published_achievement


def auction_terms(achievement_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "achievement_id": achievement_id,
        "start_price_fen": 1_000_000,
        "increment_fen": 100_000,
        "deposit_fen": 200_000,
        "registration_deadline": (START + timedelta(minutes=50)).isoformat(),
        "starts_at": (START + timedelta(minutes=10)).isoformat(),
        "ends_at": (START + timedelta(hours=1)).isoformat(),
    }
    body.update(overrides)
    return body


async def open_auction(
    client: httpx.AsyncClient, seller: Account, tto: Account | None = None, **terms: Any
) -> dict[str, Any]:
    achievement = await published_achievement(client, seller, approver=tto)
    created = await client.post(
        "/api/v1/trades", json=auction_terms(achievement["id"], **terms), headers=seller.headers
    )
    assert created.status_code == 201, created.text
    trade = dict(created.json())
    if trade["status"] == "pending_approval":
        assert tto is not None
        approved = await client.post(f"/api/v1/trades/{trade['id']}/approve", headers=tto.headers)
        assert approved.status_code == 200, approved.text
        trade = dict(approved.json())
    return trade


async def bid(
    client: httpx.AsyncClient, who: Account, trade_id: int, amount: int, **extra: Any
) -> httpx.Response:
    headers = dict(who.headers)
    if "key" in extra:
        headers["Idempotency-Key"] = extra.pop("key")
    return await client.post(
        f"/api/v1/trades/{trade_id}/bids", json={"amount_fen": amount, **extra}, headers=headers
    )


async def enterprise(session: AsyncSession) -> Principal:
    org = await make_org(session, OrgKind.enterprise)
    return Principal(user=await make_user(session, org), org=org)


async def committed_auction(
    committed: async_sessionmaker[AsyncSession],
    bidders: int,
    signing_period: timedelta = timedelta(days=30),
) -> tuple[int, list[Principal]]:
    """An open auction (start 1,000,000 fen, increment 100,000) and ``bidders``
    registered enterprises, committed."""
    async with committed.begin() as session:
        seller = await enterprise(session)
        listed = await achievements.create(
            session, seller, AchievementCreate(**achievement()), START
        )
        await achievements.submit(session, seller, listed.id, START)
        trade, _ = await lifecycle.create(
            session, seller, AuctionCreate(**auction_terms(listed.id)), signing_period, START
        )
        principals = [await enterprise(session) for _ in range(bidders)]
        for principal in principals:
            await lifecycle.register(session, principal, trade.id, START)
    return trade.id, principals


async def agreement_on_notice(
    client: httpx.AsyncClient, seller: Account, buyer: Account, **achievement: Any
) -> dict[str, Any]:
    """An agreement whose agreed price is on public notice (``achievement``: fields of the
    achievement it sells)."""
    listed = await published_achievement(client, seller, **achievement)
    created = await client.post(
        "/api/v1/trades",
        json={"mode": "agreement", "achievement_id": listed["id"], "buyer_org_id": buyer.org.id},
        headers=seller.headers,
    )
    url = f"/api/v1/trades/{created.json()['id']}"
    await client.post(f"{url}/offers", json={"price_fen": 900_000}, headers=seller.headers)
    accepted = await client.post(f"{url}/accept", headers=buyer.headers)
    assert accepted.json()["status"] == "notice", accepted.text
    return dict(accepted.json())


async def raise_objection(
    client: httpx.AsyncClient, who: Account, trade_id: int, reasons: str
) -> dict[str, Any]:
    raised = await client.post(
        f"/api/v1/trades/{trade_id}/objections", json={"reasons": reasons}, headers=who.headers
    )
    assert raised.status_code == 201, raised.text
    return dict(raised.json())
