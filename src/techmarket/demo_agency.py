"""Demo data of the service side: the agencies' directory profiles, and deals whose
registered contracts have payments received: one confirmed, one awaiting the other
party's confirmation, and one past the received threshold (¥2,000,000). Through the same
services people use, so each step is on the ledger; skipped where done already."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import demo_brokers, demo_listings
from techmarket.accounts.policy import Principal
from techmarket.agencies import repository as agencies_repo
from techmarket.agencies import service as agencies
from techmarket.agencies.schemas import AgencyProfileUpdate
from techmarket.brokers import mandates
from techmarket.brokers.rules import ObjectKind, Scope
from techmarket.brokers.schemas import MandateCreate
from techmarket.config import get_settings
from techmarket.listings import repository as listings
from techmarket.models.listing import AchievementStatus
from techmarket.models.trade import PaymentTerms, TradeStatus
from techmarket.trading import agreements, deals, lifecycle
from techmarket.trading.payments import service as payments

# A demo login's principal, by e-mail (``demo._principal``).
Login = Callable[[AsyncSession, str], Awaitable[Principal]]

PROFILES = {
    "broker@jingji.demo.techmarket.cn": AgencyProfileUpdate(
        categories=["technology_transfer", "evaluation", "consulting"],
        regions=["330000"],
        description="技术转移全流程服务：成果评估、交易撮合、合同登记辅导，服务浙江全省。",
    ),
    "ip@zhilian.demo.techmarket.cn": AgencyProfileUpdate(
        categories=["intellectual_property", "legal", "finance"],
        regions=["330100", "310000"],
        description="专利代理与运营、知识产权质押融资、技术合同法律服务。",
    ),
}


@dataclass(frozen=True)
class DemoDeal:
    achievement: int  # index in demo_listings.achievements()
    seller: str  # e-mail of the lister (member) and of its TTO
    tto: str
    buyer: str
    price_fen: int
    # (amount, recorded by the seller?, confirmed?) in the order received
    payments: tuple[tuple[int, bool, bool], ...]
    # (agency admin, broker): the offer made for the buyer by that agency's broker, under a
    # mandate to negotiate this trade, so the deal records the broker's contribution
    broker: tuple[str, str] | None = None


NINGBO = demo_brokers.AGENCIES[1][4]  # its admin, then its broker


def demo_deals(listers: tuple[tuple[str, str], ...], buyers: tuple[str, ...]) -> list[DemoDeal]:
    def lister(i: int) -> tuple[str, str]:
        return listers[i % len(listers)]

    return [
        DemoDeal(24, *lister(24), buyers[2], 120_000_000, ((60_000_000, True, True),)),
        DemoDeal(26, *lister(26), buyers[3], 80_000_000, ((20_000_000, True, False),)),
        DemoDeal(
            35,
            *lister(35),
            buyers[4],
            300_000_000,
            ((150_000_000, True, True), (100_000_000, False, True)),
            broker=(NINGBO[0][0], NINGBO[1][0]),
        ),
    ]


async def load(
    session: AsyncSession,
    now: datetime,
    login: Login,
    listers: tuple[tuple[str, str], ...],
    buyers: tuple[str, ...],
) -> None:
    for email, profile in PROFILES.items():
        admin = await login(session, email)
        if await agencies_repo.profile(session, admin.org.id) is None:
            await agencies.update_profile(session, admin, admin.org.id, profile, now)
    for spec in demo_deals(listers, buyers):
        await _deal(session, now, login, spec)


async def _deal(session: AsyncSession, now: datetime, login: Login, spec: DemoDeal) -> None:
    """Concluded a month or two ago: the notice ran its period in the past."""
    title = demo_listings.achievements()[spec.achievement].title
    listed = await listings.achievement_by_title(session, title)
    if listed.status != AchievementStatus.published:
        return
    settings = get_settings()
    at = now - settings.notice_period - timedelta(days=40)
    seller, buyer = await login(session, spec.seller), await login(session, spec.buyer)
    trade, _ = await agreements.create(session, seller, listed.id, buyer.org.id, None, at)
    if trade.status == TradeStatus.pending_approval:
        await lifecycle.approve(session, await login(session, spec.tto), trade.id, at)
    offerer, acceptor = seller, buyer
    if spec.broker is not None:  # the buyer's broker makes the offer, the seller accepts
        offerer = await _broker_for(session, login, buyer, trade.id, spec.broker, at)
        acceptor = seller
    await agreements.offer(session, offerer, trade.id, spec.price_fen, "按评估价成交", at)
    trade, _ = await agreements.accept(session, acceptor, trade.id, settings, at)
    at += settings.notice_period
    journal = lifecycle.Journal(session)
    await agreements.conclude(session, trade, at, journal)
    await journal.write()
    signed = (at + timedelta(days=3)).date()
    number = f"DEMO-{signed.year}-{trade.id:04d}"
    await deals.record_contract(
        session, seller, trade.id, number, signed, PaymentTerms.instalments, at + timedelta(days=3)
    )
    at += timedelta(days=10)
    await deals.register_contract(session, seller, trade.id, f"3301{trade.id:012d}", at.date(), at)
    for n, (amount, by_seller, confirmed) in enumerate(spec.payments, start=1):
        at += timedelta(days=7)
        by, other = (seller, buyer) if by_seller else (buyer, seller)
        evidence = f"银行回单 {trade.id:04d}-{n}"
        payment, _ = await payments.record(session, by, trade.id, amount, at.date(), evidence, at)
        if confirmed:
            await payments.confirm(session, other, trade.id, payment.id, at + timedelta(days=1))


async def _broker_for(
    session: AsyncSession,
    login: Login,
    client: Principal,
    trade_id: int,
    agency_and_broker: tuple[str, str],
    at: datetime,
) -> Principal:
    """The broker of an agency the client gave (and the agency accepted) a mandate to
    negotiate this trade, acting for the client."""
    agency = await login(session, agency_and_broker[0])
    mandate, _ = await mandates.give(
        session,
        client,
        MandateCreate(
            agency_org_id=agency.org.id,
            object_kind=ObjectKind.trade,
            object_id=trade_id,
            scope=[Scope.negotiate],
            fee_terms="服务费为成交价的 2%，合同登记后 30 日内支付",
            share_pct=100,
            valid_until=at + timedelta(days=60),
        ),
        at,
    )
    await mandates.accept(session, agency, mandate.id, at)
    return await mandates.act_under(
        session, await login(session, agency_and_broker[1]), mandate.id, at
    )
