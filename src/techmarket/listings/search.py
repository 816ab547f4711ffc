"""Searching and matching listings (the SQL is in the repository, scoring in matching)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import AwareDatetime, Field, TypeAdapter
from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Principal
from techmarket.listings import lifecycle, matching
from techmarket.listings import repository as repo
from techmarket.listings.repository import SearchQuery, region_prefix
from techmarket.listings.schemas import RegionCode, Sort, Trl
from techmarket.listings.taxonomy import CooperationMode, Industry, IpType, TransferMode
from techmarket.listings.text import any_term_query, tsquery_literal, words
from techmarket.models.listing import Achievement, AchievementStatus, Demand, DemandStatus
from techmarket.pagination import InvalidCursor, decode_keyset, encode_keyset
from techmarket.poc import repository as poc
from techmarket.types import FEN_MAX, Id, Line

# Query parameters arrive as text: a lax integer here, bounded like a price.
PriceFilter = Annotated[int, Ge(0), Le(FEN_MAX)]


@dataclass
class Filters:
    """What every listing search may filter on."""

    q: Line | None = None
    industry: Industry | None = None
    region: RegionCode | None = None
    org_id: Id | None = None


@dataclass
class AchievementFilters(Filters):
    status: AchievementStatus | None = None
    ip_type: IpType | None = None
    trl_min: Trl | None = None
    trl_max: Trl | None = None
    transfer_mode: TransferMode | None = None
    price_min_fen: PriceFilter | None = None
    price_max_fen: PriceFilter | None = None
    verified: bool | None = None  # true: only those a proof-of-concept centre verified


@dataclass
class DemandFilters(Filters):
    status: DemandStatus | None = None
    cooperation_mode: CooperationMode | None = None
    challenge: bool | None = None


def _statuses(
    principal: Principal | None,
    filters: Filters,
    status: Any,
    public: frozenset[Any],
    default: Any,
) -> set[Any]:
    """Others' listings only in public statuses; one's own organisation's in any."""
    own = principal is not None and filters.org_id == principal.org.id
    if status is not None:
        return {status} if own or status in public else set()
    return {default}


def _common(model: type[Achievement] | type[Demand], filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.industry:
        conditions.append(model.industry == filters.industry)
    if filters.region:
        conditions.append(model.region_code.startswith(region_prefix(filters.region)))
    if filters.org_id is not None:
        conditions.append(model.org_id == filters.org_id)
    return conditions


# What a cursor of each sort order holds: the order, the last row's sort value, its id.
_KEYSETS: dict[str, TypeAdapter[tuple[str, Any, int]]] = {
    "relevance": TypeAdapter(tuple[Sort, Annotated[float, Field(allow_inf_nan=False)], Id]),
    "newest": TypeAdapter(tuple[Sort, AwareDatetime | None, Id]),
    "price_asc": TypeAdapter(tuple[Sort, PriceFilter | None, Id]),
    "price_desc": TypeAdapter(tuple[Sort, PriceFilter | None, Id]),
}


async def _run(
    session: AsyncSession,
    model: type[Achievement] | type[Demand],
    q: str | None,
    conditions: list[ColumnElement[bool]],
    sort: Sort,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    tsquery = tsquery_literal(q) if q else None
    if q and tsquery is None:
        return [], None  # only stop words or punctuation: nothing can match
    sort_key = sort if tsquery or sort != "relevance" else "newest"
    after = decode_keyset(cursor, _KEYSETS[sort_key])
    if after is not None and after[0] != sort_key:
        raise InvalidCursor("cursor belongs to another sort order")
    query = SearchQuery(
        tsquery=tsquery,
        conditions=conditions,
        sort=sort_key,
        after=list(after[1:]) if after is not None else None,
        limit=limit,
    )
    rows = await repo.search(session, model, query)
    next_cursor = encode_keyset([sort_key, *rows[-1][1]]) if len(rows) == limit else None
    return [row for row, _ in rows], next_cursor


async def search_achievements(
    session: AsyncSession,
    principal: Principal | None,
    filters: AchievementFilters,
    sort: Sort,
    cursor: str | None,
    limit: int,
) -> tuple[list[Achievement], str | None]:
    statuses = _statuses(
        principal,
        filters,
        filters.status,
        lifecycle.ACHIEVEMENT_PUBLIC,
        AchievementStatus.published,
    )
    conditions = [Achievement.status.in_(statuses), *_common(Achievement, filters)]
    if filters.ip_type:
        conditions.append(Achievement.ip_type == filters.ip_type)
    if filters.trl_min is not None:
        conditions.append(Achievement.trl >= filters.trl_min)
    if filters.trl_max is not None:
        conditions.append(Achievement.trl <= filters.trl_max)
    if filters.transfer_mode:
        conditions.append(Achievement.transfer_modes.contains([filters.transfer_mode.value]))
    if filters.price_min_fen is not None:
        conditions.append(Achievement.asking_price_fen >= filters.price_min_fen)
    if filters.price_max_fen is not None:
        conditions.append(Achievement.asking_price_fen <= filters.price_max_fen)
    if filters.verified is not None:
        verified = poc.verified()
        conditions.append(verified if filters.verified else ~verified)
    return await _run(session, Achievement, filters.q, conditions, sort, cursor, limit)


async def search_demands(
    session: AsyncSession,
    principal: Principal | None,
    filters: DemandFilters,
    sort: Sort,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> tuple[list[Demand], str | None]:
    statuses = _statuses(
        principal, filters, filters.status, lifecycle.DEMAND_PUBLIC, DemandStatus.published
    )
    conditions = [Demand.status.in_(statuses), *_common(Demand, filters)]
    if statuses == {DemandStatus.published}:
        conditions.append(Demand.deadline > now)  # expired ones are not open any more
    elif DemandStatus.expired in statuses:
        conditions = [
            or_(
                Demand.status.in_(statuses),
                (Demand.status == DemandStatus.published) & (Demand.deadline <= now),
            ),
            *conditions[1:],
        ]
    if filters.cooperation_mode:
        conditions.append(Demand.cooperation_mode == filters.cooperation_mode)
    if filters.challenge is not None:
        conditions.append(Demand.is_challenge.is_(filters.challenge))
    return await _run(session, Demand, filters.q, conditions, sort, cursor, limit)


def achievement_profile(a: Achievement, verified_by: str | None = None) -> matching.Profile:
    return matching.Profile(
        id=a.id,
        title=a.title,
        words=frozenset(words(" ".join([a.title, *a.keywords, a.summary]))),
        industry=a.industry,
        region_code=a.region_code,
        price_fen=a.asking_price_fen,
        verified_by=verified_by,
    )


def demand_profile(d: Demand) -> matching.Profile:
    return matching.Profile(
        id=d.id,
        title=d.title,
        words=frozenset(words(f"{d.title} {d.description}")),
        industry=d.industry,
        region_code=d.region_code,
        budget_min_fen=d.budget_min_fen,
        budget_max_fen=d.budget_max_fen,
    )


CANDIDATES = 200


async def _candidates(
    session: AsyncSession,
    model: type[Achievement] | type[Demand],
    text: str,
    conditions: list[ColumnElement[bool]],
) -> list[Any]:
    """The records sharing the most telling words of ``text``, best first: the same
    relevance search as people use, over the most specific words only."""
    query = any_term_query(text)
    if query is None:
        return []
    found = await repo.search(
        session, model, SearchQuery(tsquery=query, conditions=conditions, limit=CANDIDATES)
    )
    return [row for row, _ in found]


async def achievements_for_demand(
    session: AsyncSession, demand: Demand, limit: int
) -> list[matching.Match]:
    """Published achievements ranked for a demand, each with the reasons it was chosen."""
    found = await _candidates(
        session,
        Achievement,
        f"{demand.title} {demand.description}",
        [Achievement.status == AchievementStatus.published],
    )
    verified = await poc.verifiers(session, [a.id for a in found])
    return matching.rank(
        demand_profile(demand),
        [achievement_profile(a, verified.get(a.id)) for a in found],
        demand_side=True,
        limit=limit,
    )


async def demands_for_achievement(
    session: AsyncSession, achievement: Achievement, limit: int, now: datetime
) -> list[matching.Match]:
    """Open demands ranked for an achievement, each with the reasons it was chosen."""
    found = await _candidates(
        session,
        Demand,
        " ".join([achievement.title, *achievement.keywords]),
        [Demand.status == DemandStatus.published, Demand.deadline > now],
    )
    return matching.rank(
        achievement_profile(achievement),
        [demand_profile(d) for d in found],
        demand_side=False,
        limit=limit,
    )
