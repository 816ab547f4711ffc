"""Demo data of express licences (一键许可): a ZJU achievement offered for a standard
non-exclusive licence at a fee, approved by ZJU's TTO and taken by one enterprise, through
the services people use (so it has its ledger entries, its deal and its contract)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import demo_listings
from techmarket.accounts.policy import Principal
from techmarket.listings import repository as listings
from techmarket.models.listing import AchievementStatus
from techmarket.models.trade import TradeStatus
from techmarket.trading import express, lifecycle
from techmarket.trading import repository as trades
from techmarket.trading.schemas import ExpressCreate

TITLE = demo_listings.achievements()[10].title  # a ZJU achievement offering ordinary licences
SELLER, TTO = "prof@zju.demo.techmarket.cn", "tto@zju.demo.techmarket.cn"
TAKER = "buyer@lvneng.demo.techmarket.cn"

People = Callable[[AsyncSession, str], Awaitable[Principal]]


async def load(session: AsyncSession, now: datetime, person: People) -> None:
    """The offer and its one take, unless the achievement has an express licence already."""
    listed = await listings.achievement_by_title(session, TITLE)
    if listed.status != AchievementStatus.published or await trades.express_offers(
        session, listed.id, list(TradeStatus)
    ):
        return
    offer, _ = await express.offer(
        session,
        await person(session, SELLER),
        ExpressCreate(
            achievement_id=listed.id,
            mode="express_licence",
            pricing="fixed",
            price_fen=15_000_000,
            term_years=5,
        ),
        now,
    )
    await lifecycle.approve(session, await person(session, TTO), offer.id, now)
    await express.take(session, await person(session, TAKER), offer.id, now)
