"""SQL for mandates and contributions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, any_, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.listing import DemandResponse
from techmarket.models.mandate import Contribution, Mandate
from techmarket.models.org import Organisation, User
from techmarket.models.trade import Bid, Offer, Registration, Trade


async def get(session: AsyncSession, mandate_id: int, *, lock: bool = False) -> Mandate | None:
    stmt = select(Mandate).where(Mandate.id == mandate_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def of_org(
    session: AsyncSession, org_id: int, after_id: int | None, limit: int
) -> list[Mandate]:
    """The mandates an organisation gave or holds, oldest first."""
    stmt = select(Mandate).where(
        or_(Mandate.client_org_id == org_id, Mandate.agency_org_id == org_id)
    )
    if after_id is not None:
        stmt = stmt.where(Mandate.id > after_id)
    return list((await session.execute(stmt.order_by(Mandate.id).limit(limit))).scalars())


async def acted_on_trade(session: AsyncSession, trade: Trade) -> list[tuple[int, int, str]]:
    """Every (mandate, broker, role) of a broker's action towards this deal: registrations
    and bids (register_and_bid), offers (negotiate), and the response to a demand linking
    the trade's achievement (respond), by either of its parties."""
    parties = [trade.seller_org_id, trade.buyer_org_id]
    acts: list[Select[Any]] = [
        select(Registration.mandate_id, Registration.broker_user_id, _role("register_and_bid"))
        .where(Registration.trade_id == trade.id, Registration.mandate_id.is_not(None)),
        select(Bid.mandate_id, Bid.broker_user_id, _role("register_and_bid"))
        .where(Bid.trade_id == trade.id, Bid.mandate_id.is_not(None)),
        select(Offer.mandate_id, Offer.broker_user_id, _role("negotiate"))
        .where(Offer.trade_id == trade.id, Offer.mandate_id.is_not(None)),
        select(DemandResponse.mandate_id, DemandResponse.broker_user_id, _role("respond"))
        .where(
            DemandResponse.mandate_id.is_not(None),
            DemandResponse.org_id.in_([p for p in parties if p is not None]),
            literal(trade.achievement_id) == any_(DemandResponse.achievement_ids),
        ),
    ]  # fmt: skip
    rows = (await session.execute(union_all(*acts))).all()
    return sorted({(int(m), int(b), str(r)) for m, b, r in rows})


def _role(name: str) -> Any:
    return literal(name).label("role")


async def mandates(session: AsyncSession, ids: list[int]) -> list[Mandate]:
    stmt = select(Mandate).where(Mandate.id.in_(ids)).order_by(Mandate.id)
    return list((await session.execute(stmt)).scalars())


async def contributions_of(
    session: AsyncSession,
    *,
    broker_user_id: int | None = None,
    agency_org_id: int | None = None,
    trade_id: int | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[Contribution]:
    """A broker's, an agency's or a deal's contributions, oldest first (a page of them,
    if asked)."""
    stmt = select(Contribution).order_by(Contribution.id).limit(limit)
    if broker_user_id is not None:
        stmt = stmt.where(Contribution.broker_user_id == broker_user_id)
    if agency_org_id is not None:
        stmt = stmt.where(Contribution.agency_org_id == agency_org_id)
    if trade_id is not None:
        stmt = stmt.where(Contribution.trade_id == trade_id)
    if after_id is not None:
        stmt = stmt.where(Contribution.id > after_id)
    return list((await session.execute(stmt)).scalars())


async def contribution(
    session: AsyncSession, contribution_id: int, *, lock: bool = False
) -> Contribution | None:
    stmt = select(Contribution).where(Contribution.id == contribution_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def broker(session: AsyncSession, user_id: int) -> tuple[User, Organisation] | None:
    """A broker user and its agency (anyone else is no broker)."""
    stmt = (
        select(User, Organisation)
        .join(Organisation, Organisation.id == User.org_id)
        .where(User.id == user_id, literal("broker") == any_(User.roles))
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def all_brokers(session: AsyncSession) -> list[tuple[User, Organisation]]:
    """Every user with the broker role and its agency, by id (for the export)."""
    stmt = (
        select(User, Organisation)
        .join(Organisation, Organisation.id == User.org_id)
        .where(literal("broker") == any_(User.roles))
        .order_by(User.id)
    )
    return [(u, o) for u, o in (await session.execute(stmt)).all()]


async def names(session: AsyncSession, org_ids: list[int]) -> dict[int, str]:
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(org_ids))
    return {i: n for i, n in (await session.execute(stmt)).all()}
