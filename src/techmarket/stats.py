"""Public market statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.db import Session
from techmarket.deps import Now
from techmarket.listings.repository import city_of, count_by, month_of, province_of
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


TOP_SELLERS = 10


async def market_stats(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """What the market holds now (published achievements, open demands: by industry,
    province, city), what it published each month (whatever became of it since), and
    its deals (see ``deal_stats``)."""
    published = Achievement.status == AchievementStatus.published
    open_demand = (Demand.status == DemandStatus.published) & (Demand.deadline > now)
    achievements_by_industry = await count_by(session, Achievement.industry, published)
    demands_by_industry = await count_by(session, Demand.industry, open_demand)
    return {
        "achievements": {
            "published": sum(achievements_by_industry.values()),
            "by_industry": achievements_by_industry,
            "by_province": await count_by(session, province_of(Achievement.region_code), published),
            "by_city": await count_by(session, city_of(Achievement.region_code), published),
            "by_month": await count_by(
                session, month_of(Achievement.published_at), Achievement.published_at.is_not(None)
            ),
        },
        "demands": {
            "open": sum(demands_by_industry.values()),
            "by_industry": demands_by_industry,
            "by_province": await count_by(session, province_of(Demand.region_code), open_demand),
            "by_city": await count_by(session, city_of(Demand.region_code), open_demand),
            "by_month": await count_by(
                session, month_of(Demand.published_at), Demand.published_at.is_not(None)
            ),
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
        "deals": await deal_stats(session, TOP_SELLERS),
    }


@router.get("/stats")
async def stats(session: Session, now: Now) -> dict[str, Any]:
    """Counts of published achievements and open demands (by industry, province and city),
    of those published each month (Beijing time), verified organisations by kind,
    responses, and deals (count and volume: by pricing mode, industry, province, city and
    month of conclusion; the top sellers by volume)."""
    return await market_stats(session, now)
