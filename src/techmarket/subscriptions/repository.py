"""SQL for subscriptions, the standing push, and matches kept for digests. Finding who a
publication is pushed to is set-based: one query per kind of subscriber, whatever their
number."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, any_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.listings.taxonomy import Industry
from techmarket.models.listing import Achievement, Demand
from techmarket.models.notification import Notification
from techmarket.models.org import Organisation, OrgKind, OrgStatus, Role, User
from techmarket.models.subscription import (
    Basis,
    PendingPush,
    StandingPushOff,
    Subscription,
    Target,
)

INSTITUTIONS = (OrgKind.university, OrgKind.institute)


def _fits_achievement(a: type[Achievement]) -> list[ColumnElement[bool]]:
    """A subscription's filters as the achievement search applies them."""
    s = Subscription
    return [
        or_(s.industry.is_(None), s.industry == a.industry),
        or_(s.region_prefix.is_(None), a.region_code.startswith(s.region_prefix)),
        or_(s.ip_type.is_(None), s.ip_type == a.ip_type),
        or_(s.price_min_fen.is_(None), a.asking_price_fen >= s.price_min_fen),
        or_(s.price_max_fen.is_(None), a.asking_price_fen <= s.price_max_fen),
        or_(s.query.is_(None), s.query.op("@@")(a.search)),
    ]


def _fits_demand(d: type[Demand]) -> list[ColumnElement[bool]]:
    """A subscription's filters on a demand; a price range meets its budget range."""
    s = Subscription
    return [
        or_(s.industry.is_(None), s.industry == d.industry),
        or_(s.region_prefix.is_(None), d.region_code.startswith(s.region_prefix)),
        or_(
            s.price_min_fen.is_(None),
            d.budget_max_fen.is_(None),
            d.budget_max_fen >= s.price_min_fen,
        ),
        or_(
            s.price_max_fen.is_(None),
            d.budget_min_fen.is_(None),
            d.budget_min_fen <= s.price_max_fen,
        ),
        or_(s.query.is_(None), s.query.op("@@")(d.search)),
    ]


FilterRow = Row[int, bool, str | None, Industry | None, str | None, int | None]


async def by_filters(session: AsyncSession, target: Target, listing_id: int) -> Sequence[FilterRow]:
    """Every subscription by filters on ``target`` that the listing fits (for a trade:
    its achievement), of active users of other organisations."""
    s = Subscription
    model: type[Achievement] | type[Demand] = Demand if target == Target.demand else Achievement
    fits = _fits_demand(Demand) if target == Target.demand else _fits_achievement(Achievement)
    stmt = (
        select(s.user_id, s.digest, s.keywords, s.industry, s.region_code, s.price_max_fen)
        .join(model, model.id == listing_id)
        .join(User, User.id == s.user_id)
        .where(
            s.target == target,
            s.basis == Basis.filters,
            s.org_id != model.org_id,
            User.is_active,
            *fits,
        )
    )
    return (await session.execute(stmt)).all()


async def owners(
    session: AsyncSession, model: type[Achievement] | type[Demand], ids: Collection[int]
) -> dict[int, int]:
    """The organisation of each listing."""
    if not ids:
        return {}
    stmt = select(model.id, model.org_id).where(model.id.in_(ids))
    return {i: o for i, o in (await session.execute(stmt)).all()}


async def standing(
    session: AsyncSession, basis: Basis, org_ids: Collection[int]
) -> Sequence[Row[int, int, bool]]:
    """(user, organisation, digest) of the subscriptions of ``basis`` in ``org_ids``."""
    if not org_ids:
        return []
    stmt = (
        select(Subscription.user_id, Subscription.org_id, Subscription.digest)
        .join(User, User.id == Subscription.user_id)
        .where(Subscription.basis == basis, Subscription.org_id.in_(org_ids), User.is_active)
    )
    return (await session.execute(stmt)).all()


async def tto_users(session: AsyncSession, org_ids: Collection[int]) -> Sequence[Row[int, int]]:
    """(user, organisation) of the TTO users of the verified institutions among
    ``org_ids`` whose admin has not switched the standing push off."""
    if not org_ids:
        return []
    stmt = (
        select(User.id, User.org_id)
        .join(Organisation, Organisation.id == User.org_id)
        .outerjoin(StandingPushOff, StandingPushOff.org_id == User.org_id)
        .where(
            User.org_id.in_(org_ids),
            User.is_active,
            any_(User.roles) == Role.tto.value,
            Organisation.kind.in_(INSTITUTIONS),
            Organisation.status == OrgStatus.verified,
            StandingPushOff.org_id.is_(None),
        )
    )
    return (await session.execute(stmt)).all()


async def pushed_since(
    session: AsyncSession, user_ids: Collection[int], kind: str, since: datetime
) -> dict[int, int]:
    """How many pushes each of ``user_ids`` was told since ``since``."""
    if not user_ids:
        return {}
    stmt = (
        select(Notification.user_id, func.count())
        .where(
            Notification.user_id.in_(user_ids),
            Notification.kind == kind,
            Notification.created_at >= since,
        )
        .group_by(Notification.user_id)
    )
    return {u: n for u, n in (await session.execute(stmt)).all()}


async def keep(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Keep matches for digests (a match kept twice is kept once)."""
    if rows:
        stmt = insert(PendingPush).on_conflict_do_nothing(constraint="uq_pending_pushes_user_entry")
        await session.execute(stmt, list(rows))


async def waiting(session: AsyncSession, before: datetime) -> list[PendingPush]:
    """Matches kept before ``before`` and not yet in a digest, locked (SKIP LOCKED: two
    processes never gather the same), by user and order of matching."""
    stmt = (
        select(PendingPush)
        .where(PendingPush.digest_key.is_(None), PendingPush.matched_at < before)
        .order_by(PendingPush.user_id, PendingPush.id)
        .with_for_update(skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def mark_told(session: AsyncSession, ids: Collection[int], key: str) -> None:
    if ids:
        stmt = update(PendingPush).where(PendingPush.id.in_(ids)).values(digest_key=key)
        await session.execute(stmt)


async def of_org(
    session: AsyncSession, org_id: int, after_id: int | None, limit: int
) -> list[Subscription]:
    stmt = select(Subscription).where(Subscription.org_id == org_id)
    if after_id is not None:
        stmt = stmt.where(Subscription.id > after_id)
    stmt = stmt.order_by(Subscription.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get(session: AsyncSession, subscription_id: int) -> Subscription | None:
    return await session.get(Subscription, subscription_id)


async def remove(session: AsyncSession, subscription_id: int) -> None:
    await session.execute(delete(Subscription).where(Subscription.id == subscription_id))


async def standing_off(session: AsyncSession, org_id: int) -> bool:
    found = await session.get(StandingPushOff, org_id)
    return found is not None


async def switch_standing(
    session: AsyncSession, org_id: int, on: bool, user_id: int, now: datetime
) -> None:
    if on:
        await session.execute(delete(StandingPushOff).where(StandingPushOff.org_id == org_id))
    else:
        stmt = insert(StandingPushOff).values(org_id=org_id, by_user_id=user_id, at=now)
        await session.execute(stmt.on_conflict_do_nothing(index_elements=["org_id"]))
