"""Rules for enterprise demands and the responses (揭榜) to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import (
    Action,
    NotYourOrg,
    Principal,
    authorize,
    may_see,
)
from techmarket.errors import Conflict, InvalidInput, NotFound
from techmarket.ledger import service as ledger
from techmarket.listings import lifecycle
from techmarket.listings import repository as repo
from techmarket.listings.schemas import DemandCreate, DemandUpdate, ResponseCreate, check_demand
from techmarket.listings.text import tsvector_literal
from techmarket.models.listing import Demand, DemandResponse, DemandStatus, ResponseStatus


class DemandNotFound(NotFound):
    code = "demand_not_found"
    title = "Demand not found"


class ResponseNotFound(NotFound):
    code = "response_not_found"
    title = "Response not found"


class DemandNotOpen(Conflict):
    code = "demand_not_open"
    title = "The demand is not open for responses"


class InvalidTransition(Conflict):
    code = "invalid_status_transition"
    title = "Status cannot change that way"


class InvalidDemand(InvalidInput):
    code = "invalid_demand"
    title = "The demand as edited breaks a rule"


class ForeignAchievement(InvalidInput):
    code = "foreign_achievement"
    title = "A response links only its organisation's own published achievements"


class DeadlinePassed(InvalidInput):
    code = "deadline_passed"
    title = "The deadline is not in the future"


def effective_status(demand: Demand, now: datetime) -> DemandStatus:
    """A published demand whose deadline has passed is expired, whether or not the
    sweeper has written that down yet."""
    if demand.status == DemandStatus.published and demand.deadline <= now:
        return DemandStatus.expired
    return demand.status


def _require_open(demand: Demand, now: datetime) -> None:
    status = effective_status(demand, now)
    if status != DemandStatus.published:
        raise DemandNotOpen(f"the demand is {status}")


def search_vector(d: Demand | DemandCreate) -> str:
    return tsvector_literal([("A", d.title), ("C", d.description)])


async def create(
    session: AsyncSession, principal: Principal, data: DemandCreate, now: datetime
) -> Demand:
    authorize(principal, Action.demand_manage, principal.org.id)
    if data.deadline <= now:
        raise DeadlinePassed()
    demand = Demand(
        **data.model_dump(),
        org_id=principal.org.id,
        created_by=principal.user.id,
        status=DemandStatus.draft,
        created_at=now,
        updated_at=now,
        search=search_vector(data),
    )
    session.add(demand)
    await session.flush()
    return demand


def visible(principal: Principal | None, demand: Demand) -> bool:
    return may_see(principal, demand.org_id, public=demand.status in lifecycle.DEMAND_PUBLIC)


async def load(
    session: AsyncSession,
    principal: Principal | None,
    demand_id: int,
    now: datetime,
    *,
    lock: bool = False,
) -> Demand:
    demand: Demand | None = await repo.get(session, Demand, demand_id, lock=lock)
    if demand is None or not visible(principal, demand):
        raise DemandNotFound()
    return demand


async def load_own(session: AsyncSession, principal: Principal, demand_id: int) -> Demand:
    """One of the caller's organisation's demands, in any status; another organisation's
    is refused as not theirs (the pages under /my say so)."""
    demand: Demand | None = await repo.get(session, Demand, demand_id)
    if demand is None:
        raise DemandNotFound()
    authorize(principal, Action.listing_read_private, demand.org_id)
    return demand


async def of_org(
    session: AsyncSession, principal: Principal, before_id: int | None, limit: int
) -> list[Demand]:
    """The caller's organisation's demands in every status, newest first."""
    authorize(principal, Action.listing_read_private, principal.org.id)
    return await repo.of_org(session, Demand, principal.org.id, (), before_id, limit)


async def responses_sent(
    session: AsyncSession, principal: Principal, limit: int
) -> list[tuple[DemandResponse, Demand]]:
    """The responses (揭榜) the caller's organisation sent, newest first, with their demands."""
    authorize(principal, Action.listing_read_private, principal.org.id)
    return await repo.responses_by(session, principal.org.id, limit)


async def update(
    session: AsyncSession, principal: Principal, demand_id: int, data: DemandUpdate, now: datetime
) -> Demand:
    demand = await load(session, principal, demand_id, now, lock=True)
    authorize(principal, Action.demand_manage, demand.org_id)
    if demand.status != DemandStatus.draft:
        raise InvalidTransition("only drafts can be edited")
    for name, value in data.model_dump(exclude_unset=True).items():
        setattr(demand, name, value)
    try:
        check_demand(
            demand.budget_min_fen, demand.budget_max_fen, demand.is_challenge, demand.reward_fen
        )
    except (ValueError, ValidationError) as exc:
        raise InvalidDemand(str(exc)) from None
    if demand.deadline.tzinfo is None or demand.deadline <= now:
        raise DeadlinePassed()
    demand.search = search_vector(demand)
    demand.updated_at = now
    await session.flush()
    return demand


def _move(demand: Demand, to: DemandStatus, now: datetime) -> None:
    if to not in lifecycle.DEMAND[effective_status(demand, now)]:
        raise InvalidTransition(f"cannot go from {demand.status} to {to}")
    demand.status = to
    demand.updated_at = now


def _ledger_data(demand: Demand, principal: Principal) -> dict[str, Any]:
    return {
        "demand_id": demand.id,
        "org_id": demand.org_id,
        "title": demand.title,
        "industry": str(demand.industry),
        "cooperation_mode": str(demand.cooperation_mode),
        "is_challenge": demand.is_challenge,
        "reward_fen": demand.reward_fen,
        "deadline": demand.deadline.isoformat(),
        "by_user_id": principal.user.id,
    }


async def publish(
    session: AsyncSession, principal: Principal, demand_id: int, now: datetime
) -> tuple[Demand, int]:
    demand = await load(session, principal, demand_id, now, lock=True)
    authorize(principal, Action.demand_manage, demand.org_id)
    if demand.deadline <= now:
        raise DeadlinePassed()
    _move(demand, DemandStatus.published, now)
    demand.published_at = now
    await session.flush()
    index = await ledger.append(
        session, "demand.published", f"demand/{demand.id}", _ledger_data(demand, principal), now
    )
    return demand, index


async def close(
    session: AsyncSession, principal: Principal, demand_id: int, now: datetime
) -> Demand:
    demand = await load(session, principal, demand_id, now, lock=True)
    authorize(principal, Action.demand_manage, demand.org_id)
    _move(demand, DemandStatus.closed, now)
    await session.flush()
    return demand


async def respond(
    session: AsyncSession,
    principal: Principal,
    demand_id: int,
    data: ResponseCreate,
    now: datetime,
) -> DemandResponse:
    authorize(principal, Action.demand_respond, principal.org.id)
    demand = await load(session, principal, demand_id, now, lock=True)
    _require_open(demand, now)
    wanted = set(data.achievement_ids)
    if wanted - await repo.own_published_achievements(session, principal.org.id, list(wanted)):
        raise ForeignAchievement("achievement_ids: link only your own published achievements")
    response = DemandResponse(
        demand_id=demand.id,
        org_id=principal.org.id,
        created_by=principal.user.id,
        text=data.text,
        quoted_price_fen=data.quoted_price_fen,
        achievement_ids=sorted(wanted),
        status=ResponseStatus.submitted,
        created_at=now,
    )
    session.add(response)
    await session.flush()
    return response


async def responses(
    session: AsyncSession,
    principal: Principal,
    demand_id: int,
    now: datetime,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[DemandResponse]:
    """The demand's owner sees every response; a responder sees only its own (oldest
    first, after ``after_id``, at most ``limit``)."""
    demand = await load(session, principal, demand_id, now)
    if principal.org.id == demand.org_id:
        authorize(principal, Action.listing_read_private, demand.org_id)
        return await repo.responses_for(session, demand_id, None, after_id, limit)
    return await repo.responses_for(session, demand_id, principal.org.id, after_id, limit)


async def _load_response(
    session: AsyncSession, principal: Principal, demand_id: int, response_id: int, now: datetime
) -> tuple[Demand, DemandResponse]:
    demand = await load(session, principal, demand_id, now, lock=True)
    response = await repo.get_response(session, demand_id, response_id, lock=True)
    if response is None or principal.org.id not in (demand.org_id, response.org_id):
        raise ResponseNotFound()
    return demand, response


def _move_response(response: DemandResponse, to: ResponseStatus, now: datetime) -> None:
    if to not in lifecycle.RESPONSE[response.status]:
        raise InvalidTransition(f"the response is {response.status}")
    response.status = to
    response.decided_at = now


async def decide(
    session: AsyncSession,
    principal: Principal,
    demand_id: int,
    response_id: int,
    to: ResponseStatus,
    now: datetime,
) -> tuple[DemandResponse, int | None]:
    """The demand's owner shortlists, declines or accepts; accepting awards the demand to
    that responder (ledgered) and declines the rest."""
    demand, response = await _load_response(session, principal, demand_id, response_id, now)
    if principal.org.id != demand.org_id:
        raise NotYourOrg("only the demand's owner decides on responses")
    authorize(principal, Action.demand_manage, demand.org_id)
    _require_open(demand, now)
    _move_response(response, to, now)
    if to != ResponseStatus.accepted:
        await session.flush()
        return response, None
    _move(demand, DemandStatus.awarded, now)
    await repo.decline_other_responses(session, demand.id, response.id, now)
    await session.flush()
    index = await ledger.append(
        session,
        "response.accepted",
        f"demand/{demand.id}",
        {
            "demand_id": demand.id,
            "response_id": response.id,
            "demand_org_id": demand.org_id,
            "responder_org_id": response.org_id,
            "quoted_price_fen": response.quoted_price_fen,
            "achievement_ids": list(response.achievement_ids),
            "by_user_id": principal.user.id,
        },
        now,
    )
    return response, index


async def withdraw_response(
    session: AsyncSession, principal: Principal, demand_id: int, response_id: int, now: datetime
) -> DemandResponse:
    _, response = await _load_response(session, principal, demand_id, response_id, now)
    if principal.org.id != response.org_id:
        raise NotYourOrg("only the responder withdraws its response")
    authorize(principal, Action.demand_respond, response.org_id)
    _move_response(response, ResponseStatus.withdrawn, now)
    await session.flush()
    return response
