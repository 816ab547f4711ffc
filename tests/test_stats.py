"""Market statistics over HTTP: deals by city, by month of conclusion (Beijing time) and
the top sellers, as /api/v1/stats returns them next to its older figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.clock import FixedClock
from techmarket.scheduler import CONCLUDE_AGREEMENTS
from tests.factories import Account, account
from tests.trading.helpers import agreement_on_notice

# The notice of 15 days ends at 16:30 UTC on 30 November: 00:30 on 1 December in Beijing.
ACCEPTED = datetime(2026, 11, 15, 16, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(ACCEPTED)


async def concluded_deals(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    seller_name: str = "杭州测试大学",
) -> tuple[Account, Account]:
    """Two agreement deals of 900,000 fen each, concluded at the end of their notice: one
    by ``seller_name`` (an achievement in Hangzhou), one by another seller (Chengdu)."""
    seller, other, buyer = [await account(session, client) for _ in range(3)]
    seller.org.name = seller_name
    await session.commit()
    await agreement_on_notice(client, seller, buyer)
    await agreement_on_notice(client, other, buyer, region_code="510104")
    clock.advance(timedelta(days=15))
    await scheduler.run(sessionmaker, clock, CONCLUDE_AGREEMENTS)
    await session.commit()
    return seller, other


async def test_deals_by_city_month_and_seller(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller, other = await concluded_deals(client, session, sessionmaker, clock)

    deals = (await client.get("/api/v1/stats")).json()["deals"]
    one = {"count": 1, "volume_fen": 900_000}
    assert deals["count"] == 2 and deals["volume_fen"] == 1_800_000  # as before
    assert deals["by_province"] == {"330000": one, "510000": one}
    assert deals["by_city"] == {"330100": one, "510100": one}
    # Concluded on 30 November in UTC, which is 1 December in China.
    assert deals["by_month"] == {"2026-12": {"count": 2, "volume_fen": 1_800_000}}
    sellers = deals["top_sellers"]
    assert [(s["org_id"], s["count"], s["volume_fen"]) for s in sellers] == [
        (seller.org.id, 1, 900_000),
        (other.org.id, 1, 900_000),
    ]
    assert sellers[0]["name"] == "杭州测试大学"
