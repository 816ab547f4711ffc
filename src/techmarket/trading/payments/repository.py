"""The queries of payments received under contracts (实际到账)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.listings.repository import city_of, province_of
from techmarket.models.listing import Achievement
from techmarket.models.payment import ContractPayment
from techmarket.models.trade import Trade


async def contract_payments(
    session: AsyncSession, trade_id: int, after_id: int | None, limit: int
) -> list[ContractPayment]:
    stmt = (
        select(ContractPayment)
        .where(ContractPayment.trade_id == trade_id)
        .order_by(ContractPayment.id)
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(ContractPayment.id > after_id)
    return list((await session.execute(stmt)).scalars())


async def totals(session: AsyncSession, trade_id: int) -> tuple[int, int]:
    """(confirmed, awaiting confirmation) fen of one contract."""
    confirmed = ContractPayment.confirmed_at.is_not(None)
    stmt = select(
        func.coalesce(func.sum(ContractPayment.amount_fen).filter(confirmed), 0),
        func.coalesce(func.sum(ContractPayment.amount_fen).filter(~confirmed), 0),
    ).where(ContractPayment.trade_id == trade_id)
    received, awaiting = (await session.execute(stmt)).one()
    return int(received), int(awaiting)


async def received_stats(session: AsyncSession, threshold_fen: int) -> dict[str, Any]:
    """Confirmed payments received: in all, by the deal's pricing mode, the achievement's
    industry, province and city; the contracts that received any, and those whose
    received total reached ``threshold_fen``."""
    per_contract = (
        select(
            ContractPayment.trade_id,
            func.sum(ContractPayment.amount_fen).label("received_fen"),
        )
        .where(ContractPayment.confirmed_at.is_not(None))
        .group_by(ContractPayment.trade_id)
        .subquery()
    )
    out: dict[str, Any] = {"threshold_fen": threshold_fen}
    for name, column in (
        ("by_mode", Trade.mode),
        ("by_industry", Achievement.industry),
        ("by_province", province_of(Achievement.region_code)),
        ("by_city", city_of(Achievement.region_code)),
    ):
        stmt = (
            select(column, func.sum(per_contract.c.received_fen))
            .select_from(per_contract)
            .join(Trade, Trade.id == per_contract.c.trade_id)
            .join(Achievement, Achievement.id == Trade.achievement_id)
            .group_by(column)
        )
        out[name] = {str(key): int(fen) for key, fen in (await session.execute(stmt)).all()}
    counted = select(
        func.count(),
        func.coalesce(func.sum(per_contract.c.received_fen), 0),
        func.count().filter(per_contract.c.received_fen >= threshold_fen),
    ).select_from(per_contract)
    contracts, received, reached = (await session.execute(counted)).one()
    out["contracts"], out["received_fen"] = int(contracts), int(received)
    out["contracts_reaching_threshold"] = int(reached)
    return out
