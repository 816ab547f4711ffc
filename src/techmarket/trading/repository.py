"""SQL for trades, registrations, bids and bid request outcomes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.trade import Bid, BidRequest, Registration, Trade, TradeStatus


async def get_trade(session: AsyncSession, trade_id: int, *, lock: bool = False) -> Trade | None:
    stmt = select(Trade).where(Trade.id == trade_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def registrations(session: AsyncSession, trade_id: int) -> list[Registration]:
    stmt = select(Registration).where(Registration.trade_id == trade_id).order_by(Registration.id)
    return list((await session.execute(stmt)).scalars())


async def bids(session: AsyncSession, trade_id: int, after_seq: int = 0) -> list[Bid]:
    stmt = select(Bid).where(Bid.trade_id == trade_id, Bid.seq > after_seq).order_by(Bid.seq)
    return list((await session.execute(stmt)).scalars())


async def bid_request(
    session: AsyncSession, trade_id: int, org_id: int, key: str
) -> BidRequest | None:
    return await session.get(BidRequest, (trade_id, org_id, key))


async def due_for_close(session: AsyncSession, now: datetime, limit: int = 100) -> list[Trade]:
    """Open trades whose (extended) end has passed, locked; rows another process is
    closing right now are skipped, so each trade is closed exactly once."""
    stmt = (
        select(Trade)
        .where(Trade.status == TradeStatus.open, Trade.ends_at <= now)
        .order_by(Trade.ends_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def list_trades(
    session: AsyncSession, statuses: set[TradeStatus], after_id: int | None, limit: int
) -> list[Trade]:
    stmt = select(Trade).where(Trade.status.in_(statuses))
    if after_id is not None:
        stmt = stmt.where(Trade.id > after_id)
    return list((await session.execute(stmt.order_by(Trade.id).limit(limit))).scalars())
