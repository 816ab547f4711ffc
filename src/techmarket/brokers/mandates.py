"""The mandate service: a client organisation's admin gives an agency a mandate, the
agency's admin accepts it, either revokes it; a broker of the agency then acts for the
client under it (``act_under``), checked again at the moment of each action. Every change
is a ledger event (``mandate.offered|accepted|revoked``) whose client and fee terms are
salted commitments: whom an agency serves, and for what fee, is the two parties' business;
either may open the commitments (to an auditor, in a dispute) with the salts its mandate
shows it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts import repository as accounts_repo
from techmarket.accounts.policy import Action, NoMandate, Principal, authorize, require_verified
from techmarket.brokers import repository as repo
from techmarket.brokers.rules import Grant, MandateStatus, ObjectKind, Scope, fee_commitment
from techmarket.brokers.schemas import MandateCreate
from techmarket.errors import Conflict, InvalidInput, NotFound
from techmarket.ledger import commitment
from techmarket.ledger import service as ledger
from techmarket.listings import achievements, demands
from techmarket.models.mandate import Mandate
from techmarket.models.org import OrgKind, OrgStatus
from techmarket.trading import lifecycle


class MandateNotFound(NotFound):
    code = "mandate_not_found"
    title = "Mandate not found"


class MandateClosed(Conflict):
    code = "mandate_closed"
    title = "The mandate has been revoked"


class MandateNotOffered(Conflict):
    code = "mandate_not_offered"
    title = "Only a mandate offered and not yet expired can be accepted"


class InvalidMandate(InvalidInput):
    code = "invalid_mandate"
    title = "The mandate names no agency, object or validity it can have"


def grant_of(mandate: Mandate) -> Grant:
    return Grant(
        id=mandate.id,
        client_org_id=mandate.client_org_id,
        agency_org_id=mandate.agency_org_id,
        object_kind=ObjectKind(mandate.object_kind),
        object_id=mandate.object_id,
        scope=frozenset(Scope(s) for s in mandate.scope),
        valid_from=mandate.valid_from,
        valid_until=mandate.valid_until,
        status=MandateStatus(mandate.status),
    )


def _subject(mandate: Mandate) -> str:
    return f"mandate/{mandate.id}"


async def _check_object(
    session: AsyncSession, principal: Principal, kind: ObjectKind, object_id: int, now: datetime
) -> None:
    """The object exists and the client may see it (a mandate on what it cannot see would
    tell the agency that it exists)."""
    try:
        if kind == ObjectKind.demand:
            await demands.load(session, principal, object_id, now)
        elif kind == ObjectKind.achievement:
            await achievements.load(session, principal, object_id)
        else:
            await lifecycle.load(session, principal, object_id)
    except NotFound:
        raise InvalidMandate(f"object_id: no {kind} {object_id}") from None


async def give(
    session: AsyncSession, principal: Principal, data: MandateCreate, now: datetime
) -> tuple[Mandate, int]:
    """The client's admin offers the mandate; it is in force once the agency accepts."""
    authorize(principal, Action.mandate_give, principal.org.id)
    agency = await accounts_repo.get_org(session, data.agency_org_id)
    if agency is None or agency.kind != OrgKind.agency or agency.status != OrgStatus.verified:
        raise InvalidMandate("agency_org_id: name a verified organisation of kind agency")
    if agency.id == principal.org.id:
        raise InvalidMandate("agency_org_id: an agency acts for itself without a mandate")
    await _check_object(session, principal, data.object_kind, data.object_id, now)
    valid_from = data.valid_from or now
    if data.valid_until <= max(valid_from, now):
        raise InvalidMandate("valid_until: must be after valid_from and in the future")
    mandate = Mandate(
        client_org_id=principal.org.id,
        agency_org_id=agency.id,
        object_kind=data.object_kind,
        object_id=data.object_id,
        scope=sorted({s.value for s in data.scope}),
        fee_terms=data.fee_terms,
        share_pct=data.share_pct,
        salt=commitment.new_salt(),
        fee_salt=commitment.new_salt(),
        valid_from=valid_from,
        valid_until=data.valid_until,
        status=MandateStatus.offered,
        given_by=principal.user.id,
        given_at=now,
    )
    session.add(mandate)
    await session.flush()
    index = await ledger.append(
        session,
        "mandate.offered",
        _subject(mandate),
        {
            "mandate_id": mandate.id,
            "agency_org_id": agency.id,
            "client_commitment": commitment.commit(mandate.client_org_id, mandate.salt),
            "fee_commitment": fee_commitment(mandate.fee_terms, mandate.fee_salt),
            "object_kind": mandate.object_kind.value,
            "object_id": mandate.object_id,
            "scope": mandate.scope,
            "share_pct": mandate.share_pct,
            "valid_from": mandate.valid_from.isoformat(),
            "valid_until": mandate.valid_until.isoformat(),
        },
        now,
    )
    return mandate, index


async def load(session: AsyncSession, principal: Principal, mandate_id: int) -> Mandate:
    """A mandate for the members of its client and its agency, and the operator; to
    others (and to a broker acting for a client) it does not exist."""
    authorize(principal, Action.mandate_read, principal.org.id)
    mandate = await repo.get(session, mandate_id)
    if mandate is None or not (
        principal.is_operator or principal.org.id in (mandate.client_org_id, mandate.agency_org_id)
    ):
        raise MandateNotFound()
    return mandate


async def of_org(
    session: AsyncSession, principal: Principal, after_id: int | None, limit: int
) -> list[Mandate]:
    authorize(principal, Action.mandate_read, principal.org.id)
    return await repo.of_org(session, principal.org.id, after_id, limit)


async def accept(
    session: AsyncSession, principal: Principal, mandate_id: int, now: datetime
) -> tuple[Mandate, int]:
    mandate = await _locked(session, principal, mandate_id)
    authorize(principal, Action.mandate_accept, mandate.agency_org_id)
    if mandate.status != MandateStatus.offered or now >= mandate.valid_until:
        raise MandateNotOffered(
            f"the mandate is {mandate.status}, valid until {mandate.valid_until}"
        )
    mandate.status, mandate.accepted_by, mandate.accepted_at = (
        MandateStatus.accepted,
        principal.user.id,
        now,
    )
    index = await ledger.append(
        session,
        "mandate.accepted",
        _subject(mandate),
        {"mandate_id": mandate.id, "by_user_id": principal.user.id},
        now,
    )
    return mandate, index


async def revoke(
    session: AsyncSession, principal: Principal, mandate_id: int, now: datetime
) -> tuple[Mandate, int]:
    """Either side ends the mandate; the brokers' next action under it is refused."""
    mandate = await _locked(session, principal, mandate_id)
    if principal.org.id == mandate.client_org_id:
        authorize(principal, Action.mandate_give, mandate.client_org_id)
    else:
        authorize(principal, Action.mandate_accept, mandate.agency_org_id)
    if mandate.status == MandateStatus.revoked:
        raise MandateClosed()
    mandate.status, mandate.revoked_by, mandate.revoked_at = (
        MandateStatus.revoked,
        principal.user.id,
        now,
    )
    index = await ledger.append(
        session,
        "mandate.revoked",
        _subject(mandate),
        {
            "mandate_id": mandate.id,
            "by": "client" if principal.org.id == mandate.client_org_id else "agency",
        },
        now,
    )
    return mandate, index


async def _locked(session: AsyncSession, principal: Principal, mandate_id: int) -> Mandate:
    await load(session, principal, mandate_id)
    found = await repo.get(session, mandate_id, lock=True)
    assert found is not None
    return found


async def act_under(
    session: AsyncSession, broker: Principal, mandate_id: int, now: datetime
) -> Principal:
    """The broker acting for the mandate's client, the mandate as it stands ``now``.
    Whether it covers an action is decided by ``policy.authorize`` at that action; an
    agency no longer verified acts for nobody."""
    mandate = await repo.get(session, mandate_id)
    if mandate is None or mandate.agency_org_id != broker.user.org_id:
        raise NoMandate()
    require_verified(broker)
    client = await accounts_repo.get_org(session, mandate.client_org_id)
    assert client is not None
    return Principal(
        user=broker.user,
        org=client,
        token_hash=broker.token_hash,
        mandate=grant_of(mandate),
        acting_at=now,
    )
