"""Publications pushed to the subscriptions and institutions they match, with reasons."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.models.org import OrgKind
from tests.factories import account
from tests.listings.helpers import published_achievement, published_demand
from tests.subscriptions.helpers import codes, tell_all, told
from tests.trading.helpers import open_auction

RICE = {
    "title": "耐盐碱水稻新品种选育技术",
    "summary": "通过分子标记辅助育种获得耐盐碱水稻品种，亩产提高。",
    "ip_type": "plant_variety",
    "patent_numbers": [],
    "industry": "agriculture",
    "keywords": ["水稻", "育种"],
}


async def test_a_published_demand_reaches_the_tto_of_each_institution_it_matches(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    battery = await account(session, client, OrgKind.university)
    battery_tto = await account(session, client, roles=("tto",), org=battery.org)
    rice = await account(session, client, OrgKind.university)
    rice_tto = await account(session, client, roles=("tto",), org=rice.org)
    quiet = await account(session, client, OrgKind.institute)
    quiet_tto = await account(session, client, roles=("tto",), org=quiet.org)
    await published_achievement(client, battery, battery_tto)
    await published_achievement(client, rice, rice_tto, **RICE)
    await published_achievement(client, quiet, quiet_tto)
    # The institute's admin switches its standing push off.
    off = await client.put("/api/v1/standing-push", json={"enabled": False}, headers=quiet.headers)
    assert off.status_code == 200 and off.json() == {"enabled": False}
    buyer = await account(session, client)
    demand = await published_demand(client, buyer)

    await tell_all(sessionmaker, clock)

    pushed = [n for n in await told(session, battery_tto.user.id) if n.kind == "push"]
    assert [(n.link, n.title) for n in pushed] == [
        (f"/demands/{demand['id']}", "新需求：寻求动力电池正极材料技术")
    ]
    why = codes(pushed[0])
    assert why["your_achievement"] == "高能量密度锂离子电池正极材料及其制备方法"
    assert "正极" in why["shared_terms"] and why["same_industry"] == "新材料"
    assert await told(session, battery.user.id) == []  # its admin is not the TTO
    assert await told(session, rice_tto.user.id) == []  # rice matches no battery demand
    assert await told(session, quiet_tto.user.id) == []  # switched off


async def test_a_subscription_by_keyword_and_region_pushes_what_fits_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    buyer = await account(session, client)
    created = await client.post(
        "/api/v1/subscriptions",
        json={
            "name": "浙江的正极材料",
            "target": "achievement",
            "keywords": "正极材料",
            "region_code": "330000",
        },
        headers=buyer.headers,
    )
    assert created.status_code == 201, created.text
    seller = await account(session, client)
    fits = await published_achievement(client, seller)
    await published_achievement(client, seller, region_code="440106")  # Guangdong
    await published_achievement(client, seller, **RICE)  # Zhejiang, other words

    await tell_all(sessionmaker, clock)

    pushed = await told(session, buyer.user.id)
    assert [n.link for n in pushed] == [f"/achievements/{fits['id']}"]
    why = codes(pushed[0])
    assert why["shared_terms"] == "正极、材料" and why["same_province"] == "330000"
    assert await told(session, seller.user.id) == []


async def test_an_auction_opening_is_pushed_to_subscribers_of_trades(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    buyer = await account(session, client)
    created = await client.post(
        "/api/v1/subscriptions",
        json={"name": "锂电池拍卖", "target": "trade", "keywords": "锂电池"},
        headers=buyer.headers,
    )
    assert created.status_code == 201, created.text
    seller = await account(session, client)
    trade = await open_auction(client, seller)

    await tell_all(sessionmaker, clock)

    pushed = await told(session, buyer.user.id)
    assert [(n.link, n.title) for n in pushed] == [
        (f"/trades/{trade['id']}", "新交易（竞价拍卖）：高能量密度锂离子电池正极材料及其制备方法")
    ]
