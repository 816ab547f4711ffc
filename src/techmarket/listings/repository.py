"""SQL for achievements, demands and responses, including full-text search."""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    and_,
    any_,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from techmarket.models.listing import (
    RECENCY_TIER,
    TIER_EPOCH,
    TIER_LENGTH,
    UNPUBLISHED_TIER,
    Achievement,
    AchievementEvent,
    AchievementStatus,
    Demand,
    DemandResponse,
    DemandStatus,
    ResponseStatus,
    recency_tier,
)
from techmarket.models.org import Organisation, OrgKind, OrgStatus, User

Listing = type[Achievement] | type[Demand]


def region_prefix(code: str) -> str:
    """A province (xx0000) matches its cities and counties, a city (xxxx00) its counties."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


@dataclass
class SearchQuery:
    """What a listing search asks for; ``conditions`` are built by the service."""

    tsquery: str | None
    conditions: list[ColumnElement[bool]] = field(default_factory=list)
    sort: str = "relevance"
    after: list[Any] | None = None
    limit: int = 20


def _price_column(model: Listing) -> Any:
    return Achievement.asking_price_fen if model is Achievement else Demand.budget_max_fen


def _order(model: Listing, query: SearchQuery) -> tuple[list[Any], list[Any], Any]:
    """ORDER BY terms, the keyset values to select, and the keyset condition."""
    after = query.after
    if query.sort in ("price_asc", "price_desc"):
        price = _price_column(model)
        ascending = query.sort == "price_asc"
        order = [price.asc().nulls_last() if ascending else price.desc().nulls_last()]
        order.append(model.id.asc() if ascending else model.id.desc())
        cond = None
        if after:
            value, last_id = after
            beyond = model.id > last_id if ascending else model.id < last_id
            if value is None:  # into the negotiable tail
                cond = and_(price.is_(None), beyond)
            else:
                further = price > value if ascending else price < value
                cond = or_(further, and_(price == value, beyond), price.is_(None))
        return order, [price, model.id], cond
    keys = [model.published_at, model.id]
    if after:
        cond = tuple_(model.published_at, model.id) < tuple_(
            cast(literal(after[0]), model.published_at.type), after[1]
        )
    else:
        cond = None
    return [model.published_at.desc(), model.id.desc()], keys, cond


# Relevance is ranked among at most this many of the newest matches: ranking reads each
# match's whole search vector, and a broad term can match a hundred thousand records.
RELEVANCE_WINDOW = 300
# A probe of more recency tiers than this costs the index more than reading all the
# matches of a term that is still missing matches after that many tiers (a rare one).
MAX_TIERS_PER_PROBE = 12
# Matches needed before their rate sizes the next probe (fewer: the tiers grow eightfold).
EVIDENCE = 10


async def search(
    session: AsyncSession, model: Listing, query: SearchQuery
) -> list[tuple[Any, list[Any]]]:
    """Matching rows with the keyset values that a cursor after them needs."""
    conditions = list(query.conditions)
    if query.tsquery:
        tsquery = cast(literal(query.tsquery), TSQUERY)
        conditions.append(model.search.op("@@")(tsquery))
        if query.sort == "relevance":
            return await _by_relevance(session, model, tsquery, conditions, query)
    order, keys, after = _order(model, query)
    if after is not None:
        conditions.append(after)
    stmt = select(model, *keys).where(*conditions).order_by(*order)
    if query.tsquery and query.sort == "newest":
        below = query.after[0] if query.after else None
        rows = await _newest_first(session, model, stmt, query.limit, below)
    else:
        rows = list((await session.execute(stmt.limit(query.limit))).all())
    return [(row[0], [_jsonable(v) for v in row[1:]]) for row in rows]


async def _by_relevance(
    session: AsyncSession, model: Listing, tsquery: Any, conditions: list[Any], query: SearchQuery
) -> list[tuple[Any, list[Any]]]:
    """The best ranked of the newest matches (``RELEVANCE_WINDOW`` of them), best first.
    Ranking reads a record's whole search vector: only the window's records are ranked."""
    newest = select(model.id).where(*conditions)
    newest = newest.order_by(model.published_at.desc(), model.id.desc())
    window = [i for (i,) in await _newest_first(session, model, newest, RELEVANCE_WINDOW, None)]
    rank = cast(func.ts_rank_cd(model.search, tsquery), Float)
    stmt = select(model, rank, model.id).where(model.id == any_(literal(window, ARRAY(BigInteger))))
    if query.after:
        stmt = stmt.where(tuple_(rank, model.id) < tuple_(*query.after))
    stmt = stmt.order_by(rank.desc(), model.id.desc()).limit(query.limit)
    return [(row[0], list(row[1:])) for row in (await session.execute(stmt)).all()]


async def _newest_first(
    session: AsyncSession, model: Listing, stmt: Select[Any], limit: int, below: datetime | None
) -> list[Any]:
    """The first ``limit`` rows of ``stmt`` (a full-text search ordered newest first),
    published at ``below`` or before (None: from the top, unpublished ones first).

    The search index finds a term's matches within given recency tiers without reading
    the others, so a broad term costs the few tiers that hold its newest matches: each
    probe reads as many older tiers as the matches per week seen so far say are still
    needed. A term so rare that many tiers are needed has few matches in all: then the
    rest are read at once, without tiers (which cost the index a lookup each)."""
    tiers_of: Any = literal_column(RECENCY_TIER)
    newest, oldest = await _published_ends(session, model)
    found: list[Any] = []
    tiers = [UNPUBLISHED_TIER] if below is None else []
    if newest is None or oldest is None:  # nothing published: only the unpublished tier
        probe = stmt.where(tiers_of.op("&&")(literal(tiers, ARRAY(Integer))))
        return list((await session.execute(probe.limit(limit))).all())
    since = newest if below is None else min(below, newest)
    first = recency_tier(since)
    top, span, last = first, 1, recency_tier(oldest)
    while True:
        low = max(top - span + 1, last)
        tiers.extend(range(top, low - 1, -1))
        probe = stmt.where(tiers_of.op("&&")(literal(tiers, ARRAY(Integer))))
        found.extend((await session.execute(probe.limit(limit - len(found)))).all())
        if len(found) >= limit or low <= last:
            return found
        if len(found) >= EVIDENCE:  # a fifth more than the rate so far says is missing
            covered = since - (TIER_EPOCH + low * TIER_LENGTH)
            wanted = covered * (limit - len(found)) * 1.2 / len(found)
            span = max(1, math.ceil(wanted / TIER_LENGTH))
        else:
            span = 8 * (top - low + 1)
        top, tiers = low - 1, []
        if span > MAX_TIERS_PER_PROBE:
            if first - top < MAX_TIERS_PER_PROBE:
                span = MAX_TIERS_PER_PROBE
            else:  # rare over many tiers: the rest of its matches are few, read at once
                probe = stmt.where(model.published_at < TIER_EPOCH + (top + 1) * TIER_LENGTH)
                rest = (await session.execute(probe.limit(limit - len(found)))).all()
                return found + list(rest)


async def _published_ends(
    session: AsyncSession, model: Listing
) -> tuple[datetime | None, datetime | None]:
    """When the newest and the oldest record (in any status now) was published: two
    reads of the (status, published_at) index per status."""
    values = [s.value for s in (AchievementStatus if model is Achievement else DemandStatus)]
    statuses = (
        func.unnest(literal(values, ARRAY(String))).table_valued("status").render_derived(name="s")
    )

    def first(order: Any) -> Any:
        return (
            select(model.published_at.label("at"))
            .where(model.status == statuses.c.status, model.published_at.is_not(None))
            .order_by(order)
            .limit(1)
            .lateral()
        )

    last, earliest = first(model.published_at.desc()), first(model.published_at.asc())
    ends = (
        select(func.max(last.c.at), func.min(earliest.c.at))
        .select_from(statuses)
        .join(last, true())
        .join(earliest, true())
    )
    newest, oldest = (await session.execute(ends)).one()
    return newest, oldest


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def get(session: AsyncSession, model: Listing, listing_id: int, *, lock: bool = False) -> Any:
    stmt = select(model).where(model.id == listing_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def history(session: AsyncSession, achievement_id: int) -> list[AchievementEvent]:
    stmt = (
        select(AchievementEvent)
        .where(AchievementEvent.achievement_id == achievement_id)
        .order_by(AchievementEvent.id)
    )
    return list((await session.execute(stmt)).scalars())


async def suspended_by_operator(
    session: AsyncSession, before_event_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """Achievements the platform operator withdrew and that are still withdrawn, the
    newest suspension first: what, whose, why, when, by whom, its ledger entry."""
    later = aliased(AchievementEvent)
    moderator, owner = aliased(Organisation), aliased(Organisation)
    stmt = (
        select(AchievementEvent, Achievement.title, owner.id, owner.name, User.display_name)
        .join(Achievement, Achievement.id == AchievementEvent.achievement_id)
        .join(owner, owner.id == Achievement.org_id)
        .join(User, User.id == AchievementEvent.by_user_id)
        .join(moderator, moderator.id == User.org_id)
        .where(
            AchievementEvent.to_status == AchievementStatus.withdrawn,
            Achievement.status == AchievementStatus.withdrawn,
            moderator.kind == OrgKind.operator,
            ~exists().where(
                later.achievement_id == AchievementEvent.achievement_id,
                later.id > AchievementEvent.id,
            ),
        )
    )
    if before_event_id is not None:
        stmt = stmt.where(AchievementEvent.id < before_event_id)
    rows = (await session.execute(stmt.order_by(AchievementEvent.id.desc()).limit(limit))).all()
    return [
        {
            "event_id": event.id,
            "achievement_id": event.achievement_id,
            "title": title,
            "org_id": org_id,
            "org_name": org_name,
            "reason": event.reason,
            "at": event.at,
            "by": by,
            "ledger_index": event.ledger_index,
        }
        for event, title, org_id, org_name, by in rows
    ]


async def of_org(
    session: AsyncSession,
    model: Listing,
    org_id: int,
    statuses: Collection[str],
    before_id: int | None,
    limit: int,
) -> list[Any]:
    """An organisation's own listings in ``statuses`` (all when empty), newest first."""
    stmt = select(model).where(model.org_id == org_id)
    if statuses:
        stmt = stmt.where(model.status.in_(statuses))
    if before_id is not None:
        stmt = stmt.where(model.id < before_id)
    return list((await session.execute(stmt.order_by(model.id.desc()).limit(limit))).scalars())


async def responses_by(
    session: AsyncSession, org_id: int, limit: int
) -> list[tuple[DemandResponse, Demand]]:
    """The responses an organisation sent, newest first, each with its demand."""
    stmt = (
        select(DemandResponse, Demand)
        .join(Demand, Demand.id == DemandResponse.demand_id)
        .where(DemandResponse.org_id == org_id)
        .order_by(DemandResponse.id.desc())
        .limit(limit)
    )
    return [(r, d) for r, d in (await session.execute(stmt)).all()]


async def responses_for(
    session: AsyncSession,
    demand_id: int,
    org_id: int | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[DemandResponse]:
    stmt = select(DemandResponse).where(DemandResponse.demand_id == demand_id)
    if org_id is not None:
        stmt = stmt.where(DemandResponse.org_id == org_id)
    if after_id is not None:
        stmt = stmt.where(DemandResponse.id > after_id)
    stmt = stmt.order_by(DemandResponse.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get_response(
    session: AsyncSession, demand_id: int, response_id: int, *, lock: bool = False
) -> DemandResponse | None:
    stmt = select(DemandResponse).where(
        DemandResponse.id == response_id, DemandResponse.demand_id == demand_id
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def decline_other_responses(
    session: AsyncSession, demand_id: int, accepted_id: int, at: datetime
) -> None:
    await session.execute(
        update(DemandResponse)
        .where(
            DemandResponse.demand_id == demand_id,
            DemandResponse.id != accepted_id,
            DemandResponse.status.in_([ResponseStatus.submitted, ResponseStatus.shortlisted]),
        )
        .values(status=ResponseStatus.declined, decided_at=at)
    )


async def own_published_achievements(
    session: AsyncSession, org_id: int, ids: list[int]
) -> set[int]:
    stmt = select(Achievement.id).where(
        Achievement.id.in_(ids),
        Achievement.org_id == org_id,
        Achievement.status == AchievementStatus.published,
    )
    return set((await session.execute(stmt)).scalars())


async def achievement_titles(session: AsyncSession, ids: Collection[int]) -> dict[int, str]:
    """The titles of these achievements, by id (a response names the ones it links)."""
    if not ids:
        return {}
    stmt = select(Achievement.id, Achievement.title).where(Achievement.id.in_(set(ids)))
    return {achievement_id: title for achievement_id, title in (await session.execute(stmt)).all()}


async def expire_demands(session: AsyncSession, now: datetime) -> int:
    result = await session.execute(
        update(Demand)
        .where(Demand.status == DemandStatus.published, Demand.deadline <= now)
        .values(status=DemandStatus.expired, updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def province_of(region_code: Any) -> Any:
    """The province (``330000``) of a region code column."""
    return func.substr(region_code, 1, 2) + "0000"


def city_of(region_code: Any) -> Any:
    """The city (``330100``; a municipality's ``110100``) of a region code column."""
    return func.substr(region_code, 1, 4) + "00"


def month_of(at: Any) -> Any:
    """``2026-11``: the month of a time column as read in China (Asia/Shanghai)."""
    return func.to_char(func.timezone("Asia/Shanghai", at), "YYYY-MM")


async def count_by(session: AsyncSession, column: Any, *conditions: Any) -> dict[str, int]:
    """Row counts grouped by ``column`` (an expression), with ``conditions``."""
    stmt = select(column, func.count()).where(*conditions).group_by(column)
    return {str(key): int(n) for key, n in (await session.execute(stmt)).all()}


def _published() -> Any:
    return Achievement.status == AchievementStatus.published


def _open_demand(now: datetime) -> Any:
    return (Demand.status == DemandStatus.published) & (Demand.deadline > now)


async def count_published_achievements(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).where(_published())) or 0)


async def count_open_demands(session: AsyncSession, now: datetime) -> int:
    return int(await session.scalar(select(func.count()).where(_open_demand(now))) or 0)


async def verified_orgs_by_kind(session: AsyncSession) -> dict[str, int]:
    return await count_by(session, Organisation.kind, Organisation.status == OrgStatus.verified)


async def responses_by_status(session: AsyncSession) -> dict[str, int]:
    return await count_by(session, DemandResponse.status)


async def _where_and_when(
    session: AsyncSession, listing: Listing, condition: Any
) -> dict[str, dict[str, int]]:
    """Listings meeting ``condition`` by industry, province and city; all (but drafts) by
    month published."""
    return {
        "by_industry": await count_by(session, listing.industry, condition),
        "by_province": await count_by(session, province_of(listing.region_code), condition),
        "by_city": await count_by(session, city_of(listing.region_code), condition),
        "by_month": await count_by(
            session, month_of(listing.published_at), listing.published_at.is_not(None)
        ),
    }


async def published_achievement_counts(session: AsyncSession) -> dict[str, Any]:
    counts = await _where_and_when(session, Achievement, _published())
    return {"published": sum(counts["by_industry"].values()), **counts}


async def open_demand_counts(session: AsyncSession, now: datetime) -> dict[str, Any]:
    counts = await _where_and_when(session, Demand, _open_demand(now))
    by_status = await count_by(session, Demand.status, Demand.status != DemandStatus.draft)
    return {"open": sum(counts["by_industry"].values()), **counts, "by_status": by_status}


async def titles(session: AsyncSession, listing: Listing) -> set[str]:
    """The titles of every achievement (or demand) there is."""
    return set((await session.execute(select(listing.title))).scalars())


async def achievement_by_title(session: AsyncSession, title: str) -> Achievement:
    return (
        await session.execute(select(Achievement).where(Achievement.title == title))
    ).scalar_one()


async def listed_patent_numbers(session: AsyncSession, org_id: int) -> set[str]:
    """The patent numbers of the organisation's achievements that are not withdrawn."""
    number = func.unnest(Achievement.patent_numbers)
    stmt = select(number).where(
        Achievement.org_id == org_id, Achievement.status != AchievementStatus.withdrawn
    )
    return set((await session.execute(stmt)).scalars())


async def insert_drafts(
    session: AsyncSession, rows: list[dict[str, Any]], by_user_id: int, reason: str, now: datetime
) -> list[int]:
    """Insert achievements as drafts, each with its event, in one statement each; their ids
    in the order given."""
    stmt = insert(Achievement).returning(Achievement.id, sort_by_parameter_order=True)
    ids = list((await session.execute(stmt, rows)).scalars().all())
    await session.execute(
        insert(AchievementEvent),
        [
            {
                "achievement_id": i,
                "at": now,
                "by_user_id": by_user_id,
                "from_status": None,
                "to_status": AchievementStatus.draft.value,
                "reason": reason,
            }
            for i in ids
        ],
    )
    return ids
