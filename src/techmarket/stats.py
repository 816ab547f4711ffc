"""Public market statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.db import Session
from techmarket.deps import Now
from techmarket.listings.repository import count_by
from techmarket.models.listing import (
    Achievement,
    AchievementStatus,
    Demand,
    DemandResponse,
    DemandStatus,
)
from techmarket.models.org import Organisation, OrgStatus
from techmarket.trading.repository import deal_stats

router = APIRouter(prefix="/api/v1", tags=["stats"])


def _province(column: Any) -> Any:
    return func.substr(column, 1, 2) + "0000"


def _published() -> Any:
    return Achievement.status == AchievementStatus.published


def _open_demand(now: datetime) -> Any:
    return (Demand.status == DemandStatus.published) & (Demand.deadline > now)


async def _verified_by_kind(session: AsyncSession) -> dict[str, int]:
    return await count_by(session, Organisation.kind, Organisation.status == OrgStatus.verified)


async def headline(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """The figures the home page shows: totals only. The breakdowns by industry and
    province of ``market_stats`` read every published achievement (about a second at
    1,400,000 of them); a total is one index-only count."""
    return {
        "achievements": {
            "published": await session.scalar(select(func.count()).where(_published()))
        },
        "demands": {"open": await session.scalar(select(func.count()).where(_open_demand(now)))},
        "organisations": {"verified_by_kind": await _verified_by_kind(session)},
        "deals": await deal_stats(session),
    }


async def market_stats(session: AsyncSession, now: datetime) -> dict[str, Any]:
    published, open_demand = _published(), _open_demand(now)
    achievements_by_industry = await count_by(session, Achievement.industry, published)
    demands_by_industry = await count_by(session, Demand.industry, open_demand)
    return {
        "achievements": {
            "published": sum(achievements_by_industry.values()),
            "by_industry": achievements_by_industry,
            "by_province": await count_by(session, _province(Achievement.region_code), published),
        },
        "demands": {
            "open": sum(demands_by_industry.values()),
            "by_industry": demands_by_industry,
            "by_province": await count_by(session, _province(Demand.region_code), open_demand),
            "by_status": await count_by(
                session, Demand.status, Demand.status != DemandStatus.draft
            ),
        },
        "organisations": {"verified_by_kind": await _verified_by_kind(session)},
        "responses": {"by_status": await count_by(session, DemandResponse.status)},
        "deals": await deal_stats(session),
    }


@router.get("/stats")
async def stats(session: Session, now: Now) -> dict[str, Any]:
    """Counts of published achievements, open demands, verified organisations by kind,
    responses, and deals (count and volume) by pricing mode; by industry and province."""
    return await market_stats(session, now)
