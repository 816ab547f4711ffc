"""Public market statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy import func
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


async def market_stats(session: AsyncSession, now: datetime) -> dict[str, Any]:
    published = Achievement.status == AchievementStatus.published
    open_demand = (Demand.status == DemandStatus.published) & (Demand.deadline > now)
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
        "organisations": {
            "verified_by_kind": await count_by(
                session, Organisation.kind, Organisation.status == OrgStatus.verified
            ),
        },
        "responses": {"by_status": await count_by(session, DemandResponse.status)},
        "deals": await deal_stats(session),
    }


@router.get("/stats")
async def stats(session: Session, now: Now) -> dict[str, Any]:
    """Counts of published achievements, open demands, verified organisations by kind,
    responses, and deals (count and volume) by pricing mode; by industry and province."""
    return await market_stats(session, now)
