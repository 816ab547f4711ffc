"""The service agency directory (服务机构): each agency declares its service categories and
the regions it serves; its brokers are its users with the broker role. A profile change is
a ledger event (``agency.profile_updated``) in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.agencies import repository as repo
from techmarket.agencies.rules import profile_error
from techmarket.agencies.schemas import AgencyProfileUpdate
from techmarket.errors import InvalidInput, NotFound
from techmarket.ledger import service as ledger
from techmarket.models.agency import AgencyProfile
from techmarket.models.org import Organisation, User
from techmarket.pagination import decode_cursor, next_cursor


class AgencyNotFound(NotFound):
    code = "agency_not_found"
    title = "No such service agency"


class InvalidAgencyProfile(InvalidInput):
    code = "invalid_agency_profile"
    title = "Not a profile an agency may declare"


@dataclass(frozen=True)
class Agency:
    """An agency as the directory shows it."""

    org: Organisation
    profile: AgencyProfile | None
    regions: list[str]
    brokers: list[User]


async def _agencies(
    session: AsyncSession, rows: list[tuple[Organisation, AgencyProfile | None]]
) -> list[Agency]:
    ids = [org.id for org, _ in rows]
    regions, brokers = await repo.regions_of(session, ids), await repo.brokers_of(session, ids)
    return [Agency(org, p, regions.get(org.id, []), brokers.get(org.id, [])) for org, p in rows]


async def agency(session: AsyncSession, org_id: int) -> Agency:
    """A verified agency, for anyone."""
    found = await repo.agency(session, org_id)
    if found is None:
        raise AgencyNotFound()
    return (await _agencies(session, [found]))[0]


async def brokers(
    session: AsyncSession, org_id: int, cursor: str | None, limit: int
) -> tuple[list[User], str | None]:
    """A verified agency's brokers, a page at a time."""
    if await repo.agency(session, org_id) is None:
        raise AgencyNotFound()
    found = await repo.brokers_page(session, org_id, decode_cursor(cursor), limit)
    return found, next_cursor([u.id for u in found], limit)


async def search(
    session: AsyncSession,
    category: str | None,
    region: str | None,
    q: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Agency], str | None]:
    """Verified agencies by category, region served and text, a page at a time."""
    rows = await repo.search(session, category, region, q, decode_cursor(cursor), limit)
    return await _agencies(session, rows), next_cursor([org.id for org, _ in rows], limit)


async def update_profile(
    session: AsyncSession,
    principal: Principal,
    org_id: int,
    data: AgencyProfileUpdate,
    now: datetime,
) -> tuple[Agency, int]:
    """The agency's admin declares its categories, regions served and description."""
    authorize(principal, Action.agency_profile, org_id)
    error = profile_error(data.categories, data.regions)
    if error:
        raise InvalidAgencyProfile(error)
    profile = await repo.profile(session, org_id, lock=True)
    if profile is None:
        profile = AgencyProfile(org_id=org_id)
        session.add(profile)
    profile.categories, profile.description = list(data.categories), data.description
    profile.updated_at = now
    await repo.replace_regions(session, org_id, data.regions)
    index = await ledger.append(
        session,
        "agency.profile_updated",
        f"org/{org_id}",
        {
            "org_id": org_id,
            "categories": list(data.categories),
            "regions": list(data.regions),
            "description": data.description,
            "by_user_id": principal.user.id,
        },
        now,
    )
    return await agency(session, org_id), index
