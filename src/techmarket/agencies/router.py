"""The service agency directory over HTTP: ``/api/v1/agencies``."""

from __future__ import annotations

from fastapi import APIRouter

from techmarket.agencies import service
from techmarket.agencies.schemas import (
    AgencyProfileRead,
    AgencyProfileUpdate,
    AgencyRead,
    BrokerRead,
    Category,
)
from techmarket.db import Session
from techmarket.deps import Authenticated, Now
from techmarket.listings.router import Limit
from techmarket.listings.schemas import RegionCode
from techmarket.pagination import DEFAULT_LIMIT, Page
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1/agencies", tags=["agencies"])


def agency_read(a: service.Agency) -> AgencyRead:
    return AgencyRead(
        org_id=a.org.id,
        name=a.org.name,
        region_code=a.org.region_code,
        categories=a.profile.categories if a.profile else [],
        regions=a.regions,
        description=a.profile.description if a.profile else "",
        broker_count=len(a.brokers),
        updated_at=a.profile.updated_at if a.profile else None,
    )


@router.get("", response_model=Page[AgencyRead])
async def list_agencies(
    session: Session,
    category: Category | None = None,
    region: RegionCode | None = None,
    q: Line | None = None,
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AgencyRead]:
    """Verified service agencies, by id: offering a service ``category``, serving ``region``
    (a region served that covers it, or lies within it), ``q`` in name or description."""
    found, more = await service.search(session, category, region, q, cursor, limit)
    return Page(items=[agency_read(a) for a in found], next_cursor=more)


@router.get("/{org_id}", response_model=AgencyRead)
async def get_agency(org_id: Id, session: Session) -> AgencyRead:
    """A verified agency: its categories, regions served and brokers."""
    return agency_read(await service.agency(session, org_id))


@router.get("/{org_id}/brokers", response_model=Page[BrokerRead])
async def list_agency_brokers(
    org_id: Id, session: Session, cursor: Line | None = None, limit: Limit = DEFAULT_LIMIT
) -> Page[BrokerRead]:
    """The agency's brokers (技术经纪人): its active users with the broker role."""
    found, more = await service.brokers(session, org_id, cursor, limit)
    return Page(
        items=[BrokerRead(user_id=u.id, display_name=u.display_name) for u in found],
        next_cursor=more,
    )


@router.put("/{org_id}/profile", response_model=AgencyProfileRead)
async def update_agency_profile(
    org_id: Id, data: AgencyProfileUpdate, session: Session, principal: Authenticated, now: Now
) -> AgencyProfileRead:
    """The agency's admin declares its service categories, regions served and description
    (ledgered as ``agency.profile_updated``)."""
    found, index = await service.update_profile(session, principal, org_id, data, now)
    return AgencyProfileRead(**agency_read(found).model_dump(), ledger_index=index)
