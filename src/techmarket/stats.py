"""Public market statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.db import Session
from techmarket.deps import Now
from techmarket.listings import repository as listings
from techmarket.trading.repository import deal_stats

router = APIRouter(prefix="/api/v1", tags=["stats"])

TOP_SELLERS = 10

# Keys of the ``by_*`` maps: an enum value (mode, industry, kind, status), a 6-digit region
# code (province ``330000``, city ``330100``) or a month ``2026-11`` in Beijing time.
Counts = dict[str, int]


class DealFigures(BaseModel):
    count: int
    volume_fen: int


class MonthDeals(DealFigures):
    by_mode: dict[str, DealFigures]


class TopSeller(DealFigures):
    org_id: int
    name: str


class DealStats(DealFigures):
    by_mode: dict[str, DealFigures]
    by_industry: dict[str, DealFigures]
    by_province: dict[str, DealFigures]
    by_city: dict[str, DealFigures]
    by_month: dict[str, MonthDeals] = Field(description="by month of conclusion")
    top_sellers: list[TopSeller] = Field(description=f"the {TOP_SELLERS} largest by volume")


class AchievementStats(BaseModel):
    published: int
    by_industry: Counts
    by_province: Counts
    by_city: Counts
    by_month: Counts = Field(description="published that month, whatever became of them")


class DemandStats(BaseModel):
    open: int
    by_industry: Counts
    by_province: Counts
    by_city: Counts
    by_month: Counts = Field(description="published that month, whatever became of them")
    by_status: Counts


class OrganisationStats(BaseModel):
    verified_by_kind: Counts


class ResponseStats(BaseModel):
    by_status: Counts


class MarketStats(BaseModel):
    achievements: AchievementStats
    demands: DemandStats
    organisations: OrganisationStats
    responses: ResponseStats
    deals: DealStats


async def headline(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """The figures the home page shows: totals only. The breakdowns by industry and
    province of ``market_stats`` read every published achievement (about a second at
    1,400,000 of them); a total is one index-only count."""
    return {
        "achievements": {"published": await listings.count_published_achievements(session)},
        "demands": {"open": await listings.count_open_demands(session, now)},
        "organisations": {"verified_by_kind": await listings.verified_orgs_by_kind(session)},
        "deals": await deal_stats(session, 0),  # by mode; no top sellers
    }


async def market_stats(session: AsyncSession, now: datetime) -> dict[str, Any]:
    """What the market holds now (published achievements, open demands: by industry,
    province, city), what it published each month (whatever became of it since), and
    its deals (see ``deal_stats``)."""
    return {
        "achievements": await listings.published_achievement_counts(session),
        "demands": await listings.open_demand_counts(session, now),
        "organisations": {"verified_by_kind": await listings.verified_orgs_by_kind(session)},
        "responses": {"by_status": await listings.responses_by_status(session)},
        "deals": await deal_stats(session, TOP_SELLERS),
    }


@router.get("/stats", response_model=MarketStats)
async def get_stats(session: Session, now: Now) -> dict[str, Any]:
    """Counts of published achievements and open demands (by industry, province and city),
    of those published each month (Beijing time), verified organisations by kind,
    responses, and deals (count and volume: by pricing mode, industry, province, city and
    month of conclusion; the top sellers by volume)."""
    return await market_stats(session, now)
