"""Demo data, with its published password, goes only where no real accounts are."""

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import demo
from techmarket.clock import FixedClock
from techmarket.models.mandate import Mandate
from techmarket.models.notification import Notification
from techmarket.models.org import User
from techmarket.models.trade import Registration
from techmarket.trading import repository as trades
from tests.factories import make_org, make_user


async def test_the_embedded_database_of_a_real_deployment_gets_no_demo(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession, clock: FixedClock
) -> None:
    await make_user(session, await make_org(session))
    await session.commit()
    with pytest.raises(demo.DemoRefused, match="accounts of its own"):
        await demo.load(sessionmaker, clock.now(), on_database_url=False)


async def test_a_new_embedded_database_gets_the_demo_and_keeps_it(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    first = await demo.load(sessionmaker, clock.now(), on_database_url=False)
    assert ("浙江大学", "prof@zju.demo.techmarket.cn", "member") in first
    again = await demo.load(sessionmaker, clock.now(), on_database_url=False)
    assert again == first
    async with sessionmaker() as session:  # one express licence, taken once (not again)
        found = await trades.deals(session, None, 100)
    licensed = [d["buyer"] for d in found if d["mode"] == "express_licence"]
    assert licensed == ["嘉兴绿能新能源科技有限公司"]
    # The demo's people find notifications in their inbox on first start.
    async with sessionmaker() as session:
        rows = await session.execute(
            select(User.email, Notification.title)
            .join(Notification, Notification.user_id == User.id)
            .order_by(Notification.id)
        )
        told: dict[str, list[str]] = {}
        for email, title in rows:
            told.setdefault(email, []).append(title)
    assert told["buyer@weilai.demo.techmarket.cn"] == [
        "竞买报名成功",
        "收到新的报价",
        "您的交易进入公示",
    ]
    assert told["admin@poc.demo.techmarket.cn"] == ["收到概念验证申请"] * 4
    assert {"概念验证申请已入选", "概念验证已结题"} <= set(told["tto@zjut.demo.techmarket.cn"])
    assert told["admin@hzjz.demo.techmarket.cn"] == ["收到新的委托"]  # the one still offered
    assert told["broker@hzjz.demo.techmarket.cn"] == ["竞买报名成功"]  # it registered the client


async def test_the_demo_shows_agencies_with_brokers_and_mandates_in_each_state(
    sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock
) -> None:
    await demo.load(sessionmaker, clock.now(), on_database_url=False)
    await demo.load(sessionmaker, clock.now(), on_database_url=False)  # nothing twice
    async with sessionmaker() as session:
        found = (await session.execute(select(Mandate).order_by(Mandate.id))).scalars().all()
        acted = (
            await session.execute(select(Registration).where(Registration.mandate_id.is_not(None)))
        ).scalars()
        assert sorted(str(m.status) for m in found) == [
            "accepted",
            "accepted",
            "accepted",  # under which a broker made the offer of a concluded agreement
            "offered",
            "revoked",
        ]
        # The live auction's bidder registered by its broker, under the mandate to bid.
        bidding = [
            m.id for m in found if m.scope == ["register_and_bid"] and m.status == "accepted"
        ]
        assert [r.mandate_id for r in acted] == bidding
