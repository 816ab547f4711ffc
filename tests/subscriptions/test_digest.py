"""Beyond the day's cap, and for digest subscriptions, matches wait for one digest a day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.subscriptions.digest import send_digests
from tests.factories import Account, account
from tests.listings.helpers import published_achievement
from tests.subscriptions.helpers import tell_all, told


async def _subscribe(client: httpx.AsyncClient, who: Account, **fields: Any) -> None:
    body = {"name": "正极材料", "target": "achievement", "keywords": "正极材料", **fields}
    created = await client.post("/api/v1/subscriptions", json=body, headers=who.headers)
    assert created.status_code == 201, created.text


async def _digest(sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock) -> None:
    async with sessionmaker.begin() as session:
        await send_digests(session, clock.now())


async def test_pushes_beyond_the_cap_wait_for_the_next_days_digest(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    env: Callable[..., None],
) -> None:
    env(push_cap_per_day=1)
    buyer = await account(session, client)
    await _subscribe(client, buyer)
    seller = await account(session, client)
    titles = [f"正极材料第{n}代" for n in (1, 2, 3)]
    for title in titles:
        await published_achievement(client, seller, title=title)

    await tell_all(sessionmaker, clock)
    await _digest(sessionmaker, clock)  # today's matches wait for tomorrow's digest
    assert [(n.kind, n.title) for n in await told(session, buyer.user.id)] == [
        ("push", "新成果：正极材料第1代")
    ]

    clock.advance(timedelta(days=1))
    await _digest(sessionmaker, clock)
    await _digest(sessionmaker, clock)  # once a day
    told_now = await told(session, buyer.user.id)
    assert [(n.kind, n.key) for n in told_now] == [
        ("push", told_now[0].key),
        ("push_digest", "digest/2026-11-24"),
    ]
    digest = told_now[1]
    assert digest.title == "订阅摘要：2 条新匹配"
    assert [item["title"] for item in digest.reasons] == [f"新成果：{t}" for t in titles[1:]]


async def test_a_digest_subscription_gathers_a_days_matches_into_one_notification(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    buyer = await account(session, client)
    await _subscribe(client, buyer, digest=True)
    seller = await account(session, client)
    first = await published_achievement(client, seller, title="正极材料甲")
    second = await published_achievement(client, seller, title="正极材料乙")
    await tell_all(sessionmaker, clock)
    assert await told(session, buyer.user.id) == []

    clock.advance(timedelta(days=1))
    await _digest(sessionmaker, clock)

    [digest] = await told(session, buyer.user.id)
    assert digest.kind == "push_digest" and digest.link == "/my/subscriptions"
    assert f"/achievements/{first['id']}" in digest.body
    assert f"/achievements/{second['id']}" in digest.body
    assert [item["reasons"][0]["code"] for item in digest.reasons] == ["shared_terms"] * 2
