"""HTTP routes for mandates and contribution records."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import PlainTextResponse

from techmarket.brokers import contributions, mandates, rules
from techmarket.brokers.schemas import (
    ContributionRead,
    MandateCreate,
    MandateRead,
    RatingCreate,
    RecordRead,
)
from techmarket.db import Session
from techmarket.deps import Authenticated, Now, Operator
from techmarket.models.mandate import Mandate
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1", tags=["brokers"])


def _read(mandate: Mandate, now: datetime, ledger_index: int | None = None) -> MandateRead:
    return MandateRead(
        id=mandate.id,
        client_org_id=mandate.client_org_id,
        agency_org_id=mandate.agency_org_id,
        object_kind=mandate.object_kind,
        object_id=mandate.object_id,
        scope=[rules.Scope(s) for s in mandate.scope],
        fee_terms=mandate.fee_terms,
        share_pct=mandate.share_pct,
        valid_from=mandate.valid_from,
        valid_until=mandate.valid_until,
        status=mandate.status,
        in_force=rules.in_force(mandates.grant_of(mandate), now),
        salt=mandate.salt,
        fee_salt=mandate.fee_salt,
        ledger_index=ledger_index,
    )


@router.post("/mandates", response_model=MandateRead, status_code=status.HTTP_201_CREATED)
async def give(
    data: MandateCreate, session: Session, principal: Authenticated, now: Now
) -> MandateRead:
    """The client organisation's admin offers an agency a mandate for one demand,
    achievement or trade; it is in force once the agency's admin accepts it."""
    mandate, index = await mandates.give(session, principal, data, now)
    return _read(mandate, now, index)


@router.get("/mandates", response_model=Page[MandateRead])
async def list_mandates(
    session: Session,
    principal: Authenticated,
    now: Now,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[MandateRead]:
    """The mandates the caller's organisation gave or holds, oldest first."""
    found = await mandates.of_org(session, principal, decode_cursor(cursor), limit)
    return Page(
        items=[_read(m, now) for m in found], next_cursor=next_cursor([m.id for m in found], limit)
    )


@router.get("/mandates/{mandate_id}", response_model=MandateRead)
async def get_mandate(
    mandate_id: Id, session: Session, principal: Authenticated, now: Now
) -> MandateRead:
    return _read(await mandates.load(session, principal, mandate_id), now)


@router.post("/mandates/{mandate_id}/accept", response_model=MandateRead)
async def accept(
    mandate_id: Id, session: Session, principal: Authenticated, now: Now
) -> MandateRead:
    """The agency's admin accepts a mandate offered to it."""
    mandate, index = await mandates.accept(session, principal, mandate_id, now)
    return _read(mandate, now, index)


@router.post("/mandates/{mandate_id}/revoke", response_model=MandateRead)
async def revoke(
    mandate_id: Id, session: Session, principal: Authenticated, now: Now
) -> MandateRead:
    """The client's or the agency's admin ends the mandate: its brokers' next action
    under it is refused (``mandate_revoked``), also on an open websocket."""
    mandate, index = await mandates.revoke(session, principal, mandate_id, now)
    return _read(mandate, now, index)


@router.get("/brokers/{user_id}/record", response_model=RecordRead)
async def broker_record(user_id: Id, session: Session) -> RecordRead:
    """A broker's public contribution record and score."""
    return await contributions.of_broker(session, user_id)


@router.get("/brokers/{user_id}/contributions", response_model=Page[ContributionRead])
async def broker_contributions(
    user_id: Id,
    session: Session,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ContributionRead]:
    """A broker's contributions to deals, oldest first: share, roles, rating, points."""
    found = await contributions.broker_contributions(session, user_id, decode_cursor(cursor), limit)
    return Page(items=found, next_cursor=next_cursor([c.id for c in found], limit))


@router.get("/agencies/{org_id}/record", response_model=RecordRead)
async def agency_record(org_id: Id, session: Session) -> RecordRead:
    """An agency's public contribution record: its brokers' together."""
    return await contributions.of_agency(session, org_id)


@router.post("/contributions/{contribution_id}/rating", response_model=ContributionRead)
async def rate(
    contribution_id: Id, data: RatingCreate, session: Session, principal: Authenticated, now: Now
) -> ContributionRead:
    """The client's admin rates a broker's part in its deal (1-5), once."""
    found, _ = await contributions.rate(session, principal, contribution_id, data.rating, now)
    return contributions.read(found)


@router.get("/contributions.csv", response_class=PlainTextResponse)
async def export(session: Session, principal: Operator) -> PlainTextResponse:
    """Every broker's contribution record, one row each (the operator's)."""
    text = await contributions.export_csv(session, principal)
    return PlainTextResponse(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contributions.csv"'},
    )
