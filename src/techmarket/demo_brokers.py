"""Demo mandates: two agencies with their brokers, and mandates their clients gave them in
each state (offered, in force and acted under, revoked). Idempotent; the organisations are
in ``AGENCIES``, which ``demo.ORGS`` takes in."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import demo_listings
from techmarket.accounts import repository as accounts_repo
from techmarket.accounts.policy import Principal
from techmarket.brokers import mandates
from techmarket.brokers import repository as repo
from techmarket.brokers.rules import ObjectKind, Scope
from techmarket.brokers.schemas import MandateCreate
from techmarket.listings import repository as listings
from techmarket.models.org import OrgKind, Role
from techmarket.models.trade import TradeStatus
from techmarket.trading import lifecycle
from techmarket.trading import repository as trades

# name, kind, region, credit code's first 17 characters, users (email, name, roles)
AGENCIES = (
    (
        "杭州技术转移服务中心",
        OrgKind.agency,
        "330106",
        "91330106MA2R00011",
        (
            ("admin@hzjz.demo.techmarket.cn", "杭州转移中心主任 许静", (Role.admin,)),
            ("broker@hzjz.demo.techmarket.cn", "技术经纪人 何明", (Role.broker,)),
        ),
    ),
    (
        "宁波科技成果转化服务有限公司",
        OrgKind.agency,
        "330212",
        "91330212MA2Q00009",
        (
            ("admin@nbzh.demo.techmarket.cn", "宁波转化公司经理 邵军", (Role.admin,)),
            ("broker@nbzh.demo.techmarket.cn", "技术经理人 唐雪", (Role.broker,)),
        ),
    ),
)
LIVE_AUCTION, LISTED, AGREEMENT, NBU = (demo_listings.achievements()[i].title for i in (0, 1, 5, 3))
OPEN = (TradeStatus.open, TradeStatus.listed, TradeStatus.notice)


async def _principal(session: AsyncSession, email: str) -> Principal:
    user = await accounts_repo.find_user_by_email(session, email)
    assert user is not None, email
    org = await accounts_repo.get_org(session, user.org_id)
    assert org is not None
    return Principal(user=user, org=org)


async def _trade_of(session: AsyncSession, title: str) -> int | None:
    listed = await listings.achievement_by_title(session, title)
    found = await trades.trades_of_achievement(session, listed.id, OPEN)
    return found[0].id if found else None


async def load(session: AsyncSession, now: datetime) -> None:
    """The mandates, unless the first agency holds some already."""
    hz = await _principal(session, AGENCIES[0][4][0][0])
    nb = await _principal(session, AGENCIES[1][4][0][0])
    if await repo.of_org(session, hz.org.id, None, 1):
        return
    hz_broker = await _principal(session, AGENCIES[0][4][1][0])
    until = now + timedelta(days=90)

    async def give(
        client: str, agency: Principal, kind: ObjectKind, object_id: int, scope: Scope
    ) -> int:
        mandate, _ = await mandates.give(
            session,
            await _principal(session, client),
            MandateCreate(
                agency_org_id=agency.org.id,
                object_kind=kind,
                object_id=object_id,
                scope=[scope],
                fee_terms="服务费为成交价的 3%，成交后 30 日内支付",
                share_pct=100,
                valid_until=until,
            ),
            now,
        )
        return mandate.id

    if (auction := await _trade_of(session, LIVE_AUCTION)) is not None:
        bidding = await give(
            "buyer@kangtai.demo.techmarket.cn",
            hz,
            ObjectKind.trade,
            auction,
            Scope.register_and_bid,
        )
        await mandates.accept(session, hz, bidding, now)
        acting = await mandates.act_under(session, hz_broker, bidding, now)
        await lifecycle.register(session, acting, auction, now)  # for 康泰医疗
    if (agreement := await _trade_of(session, AGREEMENT)) is not None:
        pricing = await give(
            "admin@zju.demo.techmarket.cn", nb, ObjectKind.trade, agreement, Scope.negotiate
        )
        await mandates.accept(session, nb, pricing, now)
    if (listed := await _trade_of(session, LISTED)) is not None:
        ended = await give(
            "buyer@hairui.demo.techmarket.cn", nb, ObjectKind.trade, listed, Scope.register_and_bid
        )
        await mandates.accept(session, nb, ended, now)
        await mandates.revoke(
            session, await _principal(session, "buyer@hairui.demo.techmarket.cn"), ended, now
        )
    offered = await listings.achievement_by_title(session, NBU)
    await give(
        "admin@nbu.demo.techmarket.cn", hz, ObjectKind.achievement, offered.id, Scope.negotiate
    )
