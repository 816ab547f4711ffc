"""The agency directory's queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, exists, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.listings.repository import region_prefix
from techmarket.models.agency import AgencyProfile, AgencyRegion
from techmarket.models.org import Organisation, OrgKind, OrgStatus, Role, User


async def profile(session: AsyncSession, org_id: int, lock: bool = False) -> AgencyProfile | None:
    return await session.get(AgencyProfile, org_id, with_for_update=lock)


async def replace_regions(session: AsyncSession, org_id: int, regions: Sequence[str]) -> None:
    await session.execute(delete(AgencyRegion).where(AgencyRegion.org_id == org_id))
    session.add_all(
        AgencyRegion(org_id=org_id, region_code=code, prefix=region_prefix(code))
        for code in regions
    )
    await session.flush()


async def regions_of(session: AsyncSession, org_ids: Sequence[int]) -> dict[int, list[str]]:
    stmt = (
        select(AgencyRegion.org_id, AgencyRegion.region_code)
        .where(AgencyRegion.org_id.in_(org_ids))
        .order_by(AgencyRegion.region_code)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for org_id, code in (await session.execute(stmt)).all():
        found[org_id].append(code)
    return found


def _brokers() -> list[ColumnElement[bool]]:
    return [User.is_active.is_(True), User.roles.contains([Role.broker.value])]


async def brokers_page(
    session: AsyncSession, org_id: int, after_id: int | None, limit: int
) -> list[User]:
    stmt = select(User).where(User.org_id == org_id, *_brokers()).order_by(User.id).limit(limit)
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    return list((await session.execute(stmt)).scalars())


async def brokers_of(session: AsyncSession, org_ids: Sequence[int]) -> dict[int, list[User]]:
    """Active users with the broker role, by organisation."""
    stmt = select(User).where(User.org_id.in_(org_ids), *_brokers()).order_by(User.id)
    found: dict[int, list[User]] = defaultdict(list)
    for user in (await session.execute(stmt)).scalars():
        found[user.org_id].append(user)
    return found


def _listed() -> list[ColumnElement[bool]]:
    return [Organisation.kind == OrgKind.agency, Organisation.status == OrgStatus.verified]


async def agency(
    session: AsyncSession, org_id: int
) -> tuple[Organisation, AgencyProfile | None] | None:
    """A verified agency and its profile (None if it declared none yet)."""
    stmt = (
        select(Organisation, AgencyProfile)
        .outerjoin(AgencyProfile, AgencyProfile.org_id == Organisation.id)
        .where(Organisation.id == org_id, *_listed())
    )
    row = (await session.execute(stmt)).one_or_none()
    return None if row is None else (row[0], row[1])


async def search(
    session: AsyncSession,
    category: str | None,
    region: str | None,
    q: str | None,
    after_id: int | None,
    limit: int,
) -> list[tuple[Organisation, AgencyProfile | None]]:
    """Verified agencies by id: offering ``category``; serving ``region`` (a region served
    covers it, or it covers a region served: Hangzhou finds agencies for all Zhejiang and
    for its districts); ``q`` in the name or description."""
    stmt = (
        select(Organisation, AgencyProfile)
        .outerjoin(AgencyProfile, AgencyProfile.org_id == Organisation.id)
        .where(*_listed())
        .order_by(Organisation.id)
        .limit(limit)
    )
    if after_id is not None:
        stmt = stmt.where(Organisation.id > after_id)
    if category is not None:
        stmt = stmt.where(AgencyProfile.categories.contains([category]))
    if region is not None:
        served = exists().where(
            AgencyRegion.org_id == Organisation.id,
            literal(region).startswith(AgencyRegion.prefix)
            | AgencyRegion.region_code.startswith(region_prefix(region)),
        )
        stmt = stmt.where(served)
    if q:
        stmt = stmt.where(
            Organisation.name.icontains(q, autoescape=True)
            | AgencyProfile.description.icontains(q, autoescape=True)
        )
    return [(org, found) for org, found in (await session.execute(stmt)).all()]
