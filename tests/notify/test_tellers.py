"""Who is told of what, through the feed and the inbox API: bidders and the seller of a
close, the TTO of what awaits approval, the parties of an offer and an objection, the
operator of what it rules on; and no one of what they may not see."""

from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import scheduler
from techmarket.clock import FixedClock
from techmarket.models.org import OrgKind
from techmarket.notify import feed
from tests.factories import PASSWORD, Account, account, credit_code, login
from tests.listings.fixtures import achievement
from tests.trading.helpers import agreement_on_notice, bid, open_auction, raise_objection


async def _told(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
    *who: Account,
) -> list[list[str]]:
    """The feed tells what is new; then each one's inbox titles, oldest first."""
    await feed.step(sessionmaker, clock)
    inboxes = []
    for one in who:
        listed = await client.get("/api/v1/notifications", headers=one.headers)
        assert listed.status_code == 200, listed.text
        inboxes.append([n["title"] for n in reversed(listed.json()["items"])])
    return inboxes


async def test_a_close_tells_each_bidder_and_the_seller_their_result(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller = await account(session, client)
    trade = await open_auction(client, seller)
    url = f"/api/v1/trades/{trade['id']}"
    a, b, outsider = [await account(session, client) for _ in range(3)]
    for who in (a, b):
        assert (await client.post(f"{url}/registrations", headers=who.headers)).status_code == 201
    clock.advance(timedelta(minutes=15))
    await bid(client, a, trade["id"], 1_000_000)
    await bid(client, b, trade["id"], 1_100_000)
    clock.advance(timedelta(hours=1))
    await scheduler.run_due(sessionmaker, clock)

    told_a, told_b, told_seller, told_outsider = await _told(
        client, sessionmaker, clock, a, b, seller, outsider
    )
    assert told_a == ["竞买报名成功", "您的出价已被超过", "竞价已结束，您未竞得", "保证金已退还"]
    assert told_b == ["竞买报名成功", "您已竞得", "保证金已抵作价款"]
    assert told_seller == ["您的交易已成交"]
    assert told_outsider == []

    # Both parties are reminded once, three days before the signing deadline (30 days).
    clock.advance(timedelta(days=26, hours=23))
    await scheduler.run_due(sessionmaker, clock)
    b, seller = [replace(w, token=await login(client, w.user.email)) for w in (b, seller)]
    assert (await _told(client, sessionmaker, clock, b))[0][-1] == "保证金已抵作价款"
    clock.advance(timedelta(hours=2))
    await scheduler.run_due(sessionmaker, clock)
    await scheduler.run_due(sessionmaker, clock)
    told_b, told_seller = await _told(client, sessionmaker, clock, b, seller)
    assert told_b[-2:] == ["保证金已抵作价款", "签约期限临近"]
    assert told_seller == ["您的交易已成交", "签约期限临近"]


async def test_what_awaits_approval_is_told_to_the_tto_and_the_operator_only(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    member = await account(session, client, kind=OrgKind.university, roles=("member",))
    tto = await account(session, client, roles=("tto",), org=member.org)
    other_tto = await account(session, client, kind=OrgKind.university, roles=("tto",))
    operator = await account(session, client, kind=OrgKind.operator)
    created = await client.post("/api/v1/achievements", json=achievement(), headers=member.headers)
    url = f"/api/v1/achievements/{created.json()['id']}"
    assert (await client.post(f"{url}/submit", headers=member.headers)).status_code == 200
    await feed.step(sessionmaker, clock)  # told while it waits
    assert (await client.post(f"{url}/approve", headers=tto.headers)).status_code == 200
    auction: dict[str, Any] = {
        "achievement_id": created.json()["id"],
        "start_price_fen": 1_000_000,
        "increment_fen": 100_000,
        "deposit_fen": 200_000,
        "registration_deadline": (clock.now() + timedelta(minutes=50)).isoformat(),
        "starts_at": (clock.now() + timedelta(minutes=10)).isoformat(),
        "ends_at": (clock.now() + timedelta(hours=1)).isoformat(),
    }
    opened = await client.post("/api/v1/trades", json=auction, headers=member.headers)
    assert opened.json()["status"] == "pending_approval", opened.text
    registered = await client.post(
        "/api/v1/orgs",
        json={
            "name": "新注册的企业",
            "kind": "enterprise",
            "region_code": "330100",
            "credit_code": credit_code(),
            "admin": {"email": "new@example.com", "display_name": "新用户", "password": PASSWORD},
        },
    )
    assert registered.status_code == 201, registered.text

    told_tto, told_member, told_other, told_operator = await _told(
        client, sessionmaker, clock, tto, member, other_tto, operator
    )
    assert told_tto == ["成果待您审批", "交易待您审批"]
    assert told_member == [] and told_other == []  # not the TTO, not their organisation
    assert told_operator == ["新机构待审核"]


async def test_an_offer_a_notice_and_an_objection_are_told_to_whom_they_concern(
    client: httpx.AsyncClient,
    session: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FixedClock,
) -> None:
    seller, buyer, objector, bystander = [await account(session, client) for _ in range(4)]
    operator = await account(session, client, kind=OrgKind.operator)
    trade = await agreement_on_notice(client, seller, buyer)
    objection = await raise_objection(client, objector, trade["id"], "价格明显偏低")
    told_seller, told_buyer = await _told(client, sessionmaker, clock, seller, buyer)
    assert told_seller == ["您的交易进入公示", "您的交易收到异议"]
    assert told_buyer == ["收到新的报价", "您的交易进入公示", "您的交易收到异议"]

    ruled = await client.post(
        f"/api/v1/trades/{trade['id']}/objections/{objection['objection_id']}/dismiss",
        headers=operator.headers,
    )
    assert ruled.status_code == 200, ruled.text
    told = await _told(client, sessionmaker, clock, seller, objector, operator, bystander)
    assert [t[-1:] for t in told[:2]] == [["异议被驳回"], ["异议被驳回"]]
    assert told[2] == ["有异议待裁定"]
    assert told[3] == []
