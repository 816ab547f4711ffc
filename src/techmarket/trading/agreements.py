"""Agreement pricing: offers, acceptance, public notice, objections, conclusion."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import periods
from techmarket.accounts import repository as accounts_repo
from techmarket.accounts.policy import (
    Action,
    NotYourOrg,
    Principal,
    authorize,
    may_take_part,
    within_mandate,
)
from techmarket.brokers import contributions
from techmarket.config import Settings
from techmarket.errors import Conflict, InvalidInput, NotFound
from techmarket.ledger import commitment
from techmarket.ledger import service as ledger
from techmarket.listings import achievements
from techmarket.listings import repository as listings_repo
from techmarket.listings.demands import ResponseNotFound
from techmarket.models.listing import AchievementStatus, Demand, ResponseStatus
from techmarket.models.trade import (
    Objection,
    ObjectionState,
    ObjectionStatus,
    Offer,
    Trade,
    TradeMode,
    TradeStatus,
)
from techmarket.trading import repository as repo
from techmarket.trading.lifecycle import (
    Journal,
    NotPublished,
    TradeNotFound,
    load,
    mandate_objects,
    open_or_submit,
    record_event,
    release_deposits,
)
from techmarket.trading.rules import agreement, commitments, competing


@dataclass(frozen=True)
class OfferLine:
    """An offer of the thread, with the ledger entry that committed to it."""

    offer: Offer
    ledger_index: int | None


@dataclass(frozen=True)
class Negotiation:
    """What the two parties see of their negotiation: the thread of offers, and the
    ledger entries of its milestones (opened, accepted, notice, concluded, cancelled)."""

    trade: Trade
    title: str
    seller: str
    buyer: str
    offers: list[OfferLine]
    milestones: dict[str, ledger.Event]

    def name_of(self, org_id: int) -> str:
        return self.seller if org_id == self.trade.seller_org_id else self.buyer

    def may_accept(self, org_id: int) -> bool:
        """``org_id`` may accept now: negotiating, and the latest offer is the other side's."""
        latest = self.offers[-1].offer.org_id if self.offers else None
        return self.trade.status == TradeStatus.open and not agreement.acceptance_error(
            latest, org_id
        )


MILESTONES = (
    "trade.opened",
    "trade.accepted",
    "trade.notice_opened",
    "trade.concluded",
    "trade.cancelled",
    "trade.ended",
    "trade.withdrawn",
)


@dataclass(frozen=True)
class PublicObjection:
    """What anyone may know of an objection: who raised it, when, and the ruling (the
    reasons are for the operator only), with the ledger entries of both."""

    id: int
    org_id: int
    org_name: str
    status: str
    raised_at: datetime
    resolved_at: datetime | None
    raised_index: int | None
    resolved_index: int | None


@dataclass(frozen=True)
class Notice:
    """An agreed price on public notice (公示)."""

    trade_id: int
    title: str
    seller: str
    seller_org_id: int
    buyer: str
    buyer_org_id: int
    price_fen: int
    status: str  # notice; or sold, cancelled once it is over
    closed_at: datetime | None
    notice_opened_at: datetime | None
    notice_ends_at: datetime
    notice_period: str | None  # ISO 8601, as the ledger announced it
    ledger_index: int | None  # the trade.notice_opened entry
    objections: list[PublicObjection]
    competition: dict[str, Any] | None  # the terms of competing offers (None: not taken)
    converted: bool  # competing offers turned it into an auction


NOTICE_EVENTS = ("trade.notice_opened", "trade.objection_raised", "trade.objection_resolved")


async def notice_board(
    session: AsyncSession, after: tuple[datetime, int] | None = None, limit: int | None = None
) -> list[Notice]:
    """The agreed prices on public notice, the soonest to end first, with their objections;
    those after ``after`` (a notice's end and its trade), at most ``limit``."""
    return await _with_objections(session, await repo.notice_board(session, after, limit))


async def ended_notices(session: AsyncSession, limit: int) -> list[Notice]:
    """The latest notices that are over (concluded or cancelled), with their objections:
    how each ended stays public after it left the board."""
    return await _with_objections(session, await repo.ended_notices(session, limit))


async def _with_objections(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Notice]:
    ids = [r["trade_id"] for r in rows]
    events = await ledger.events_about(session, [f"trade/{i}" for i in ids], NOTICE_EVENTS)
    opened = {e.data["trade_id"]: e for e in events if e.type == "trade.notice_opened"}
    raised = {e.data["objection_id"]: e.index for e in events if e.type == NOTICE_EVENTS[1]}
    ruled = {e.data["objection_id"]: e.index for e in events if e.type == NOTICE_EVENTS[2]}
    objections: dict[int, list[PublicObjection]] = {i: [] for i in ids}
    for o, name in await repo.objections_of(session, ids):
        objections[o.trade_id].append(
            PublicObjection(
                o.id,
                o.org_id,
                name,
                str(o.status),
                o.raised_at,
                o.resolved_at,
                raised.get(o.id),
                ruled.get(o.id),
            )
        )
    board = []
    for r in rows:
        announced = opened.get(r["trade_id"])
        board.append(
            Notice(
                **r,
                notice_opened_at=announced.at if announced else None,
                notice_period=(
                    periods.iso(agreement.notice_period(announced.data)) if announced else None
                ),
                ledger_index=announced.index if announced else None,
                objections=objections[r["trade_id"]],
            )
        )
    return board


class NotNegotiating(Conflict):
    code = "not_negotiating"
    title = "The trade is not in negotiation"


class NotOnNotice(Conflict):
    code = "not_on_notice"
    title = "The trade is not on public notice"


class ObjectionNotFound(NotFound):
    code = "objection_not_found"
    title = "Objection not found"


class ObjectionRuled(Conflict):
    code = "objection_ruled"
    title = "The objection has been ruled on already"


class InvalidBuyer(InvalidInput):
    code = "invalid_buyer"
    title = "The buyer must be a verified organisation, other than the seller, that may trade"


class ResponseNotAccepted(Conflict):
    code = "response_not_accepted"
    title = "Only an accepted response opens a trade"


class ResponseWithoutAchievement(Conflict):
    code = "response_without_achievement"
    title = "The response links no achievement to trade"


class NoOfferToAccept(Conflict):
    code = "no_offer_to_accept"
    title = "There is no offer of the other side to accept"


class OwnOffer(Conflict):
    code = "own_offer"
    title = "An organisation cannot accept its own offer"


async def create(
    session: AsyncSession,
    principal: Principal,
    achievement_id: int,
    buyer_org_id: int,
    asking_price_fen: int | None,
    now: datetime,
) -> tuple[Trade, int | None]:
    """The seller opens negotiation with a named, verified buyer (universities and
    institutes: once their TTO approves)."""
    listed = await achievements.load(session, principal, achievement_id, lock=True)
    authorize(principal, Action.trade_open, listed.org_id)
    if listed.status != AchievementStatus.published:
        raise NotPublished(f"the achievement is {listed.status}, not published")
    buyer = await accounts_repo.get_org(session, buyer_org_id)
    if buyer is None or not may_take_part(buyer) or buyer.id == listed.org_id:
        raise InvalidBuyer(
            "buyer_org_id: name a verified organisation other than the seller that may trade"
        )
    salt = commitment.new_salt()
    trade = Trade(
        achievement_id=listed.id,
        seller_org_id=listed.org_id,
        buyer_org_id=buyer.id,
        mode=TradeMode.agreement,
        status=TradeStatus.pending_approval,
        terms={"asking_price_fen": asking_price_fen},
        reserve_fen=None,
        reserve_salt=salt,
        reserve_commitment=commitments.reserve(None, salt),  # no reserve in this mode
        ends_at=now,
        seq=0,
        created_by=principal.user.id,
        created_at=now,
    )
    session.add(trade)
    await session.flush()
    await achievements.move_into_trade(session, principal, listed, now)
    return trade, await open_or_submit(session, principal, trade, now)


async def from_response(
    session: AsyncSession, principal: Principal, demand_id: int, response_id: int, now: datetime
) -> tuple[Trade, int | None]:
    """The responder to an accepted 揭榜 opens agreement pricing with the demand's owner,
    on the achievement it linked, starting from its quoted price."""
    response = await listings_repo.get_response(session, demand_id, response_id)
    if response is None or response.org_id != principal.org.id:
        raise ResponseNotFound("no such response of yours")
    if response.status != ResponseStatus.accepted:
        raise ResponseNotAccepted()
    if not response.achievement_ids:
        raise ResponseWithoutAchievement()
    owner = await listings_repo.get(session, Demand, demand_id)
    return await create(
        session,
        principal,
        response.achievement_ids[0],
        owner.org_id,
        response.quoted_price_fen,
        now,
    )


def _parties(trade: Trade, principal: Principal) -> int:
    """The other party; only the seller and the buyer negotiate."""
    assert trade.buyer_org_id is not None
    other = agreement.counterparty(trade.seller_org_id, trade.buyer_org_id, principal.org.id)
    if other is None:
        raise NotYourOrg("only the seller and the named buyer negotiate")
    authorize(principal, Action.trade_negotiate, objects=mandate_objects(trade))
    return other


async def _negotiation(session: AsyncSession, principal: Principal, trade_id: int) -> Trade:
    trade = await load(session, principal, trade_id, lock=True)
    if trade.mode != TradeMode.agreement or trade.status != TradeStatus.open:
        raise NotNegotiating(f"the trade is {trade.status}")
    return trade


async def _as_party(session: AsyncSession, principal: Principal, trade_id: int) -> Trade:
    """An agreement ``principal`` negotiates; to anyone else its offers do not exist."""
    trade = await load(session, principal, trade_id)
    if (
        trade.mode != TradeMode.agreement
        or trade.buyer_org_id is None
        or agreement.counterparty(trade.seller_org_id, trade.buyer_org_id, principal.org.id) is None
    ):
        raise TradeNotFound()
    within_mandate(principal, Action.trade_negotiate, mandate_objects(trade))
    return trade


async def _offer_lines(session: AsyncSession, offers: list[Offer]) -> list[OfferLine]:
    subjects = {f"trade/{o.trade_id}" for o in offers}
    entries = await ledger.events_about(session, subjects, ["trade.offer"])
    index_of = {e.data["offer_id"]: e.index for e in entries}
    return [OfferLine(o, index_of.get(o.id)) for o in offers]


async def offers(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    after_id: int | None,
    limit: int,
) -> list[OfferLine]:
    """The offers of a negotiation, oldest first, for its two parties only."""
    trade = await _as_party(session, principal, trade_id)
    return await _offer_lines(session, await repo.offers(session, trade.id, after_id, limit))


async def negotiation(session: AsyncSession, principal: Principal, trade_id: int) -> Negotiation:
    """The whole negotiation, for its two parties only."""
    trade = await _as_party(session, principal, trade_id)
    title, seller, buyer = await repo.trade_names(session, trade)
    lines = await _offer_lines(session, await repo.offers(session, trade.id))
    events = await ledger.events_about(session, [f"trade/{trade.id}"], MILESTONES)
    return Negotiation(trade, title, seller, buyer or "", lines, {e.type: e for e in events})


async def offer(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    price_fen: int,
    note: str | None,
    now: datetime,
) -> tuple[Offer, int]:
    trade = await _negotiation(session, principal, trade_id)
    _parties(trade, principal)
    salt = commitment.new_salt()
    made = Offer(
        trade_id=trade.id,
        org_id=principal.org.id,
        price_fen=price_fen,
        salt=salt,
        note=note,
        at=now,
        **principal.on_behalf,
    )
    session.add(made)
    await session.flush()
    # Private to the two parties: the ledger holds the price's commitment until acceptance.
    index = await record_event(
        session,
        trade,
        "trade.offer",
        {
            "offer_id": made.id,
            "org_id": principal.org.id,
            "price_commitment": commitments.offer(price_fen, salt),
            **principal.on_behalf,
        },
        now,
    )
    return made, index


async def accept(
    session: AsyncSession, principal: Principal, trade_id: int, settings: Settings, now: datetime
) -> tuple[Trade, int]:
    """Accept the other side's latest offer: the price goes on public notice."""
    trade = await _negotiation(session, principal, trade_id)
    _parties(trade, principal)
    latest = await repo.latest_offer(session, trade.id)
    error = agreement.acceptance_error(latest.org_id if latest else None, principal.org.id)
    if error:
        raise (NoOfferToAccept if latest is None else OwnOffer)(error)
    assert latest is not None
    trade.price_fen = latest.price_fen
    trade.status = TradeStatus.notice
    trade.notice_ends_at = agreement.notice_end(now, settings.notice_period)
    # How others may compete on the notice, and the auction that would follow.
    competition = competing.competition(
        latest.price_fen,
        deposit_percent=settings.competing_deposit_percent,
        increment_percent=settings.competing_increment_percent,
        auction_period=settings.competing_auction_period,
        signing_period=settings.signing_period,
    )
    trade.terms = {**trade.terms, "competition": competition}
    revealed = [
        {"offer_id": o.id, "price_fen": o.price_fen, "salt": o.salt}
        for o in await repo.offers(session, trade.id)
        if o.salt is not None  # offers from before commitments were never hidden
    ]
    await record_event(
        session,
        trade,
        "trade.accepted",
        {
            "offer_id": latest.id,
            "by_org_id": principal.org.id,
            "price_fen": latest.price_fen,
            "offers": revealed,  # every offer of the negotiation, opened
            **principal.on_behalf,
        },
        now,
    )
    index = await record_event(
        session,
        trade,
        "trade.notice_opened",
        {
            "price_fen": latest.price_fen,
            "notice_period": periods.iso(settings.notice_period),
            "notice_ends_at": trade.notice_ends_at.isoformat(),
            "competition": competition,
        },
        now,
    )
    return trade, index


async def object_to(
    session: AsyncSession, principal: Principal, trade_id: int, reasons: str, now: datetime
) -> tuple[Objection, int]:
    """Any verified organisation objects, with reasons, while the notice runs."""
    authorize(principal, Action.trade_object)
    trade = await load(session, principal, trade_id, lock=True)
    if trade.status != TradeStatus.notice or not agreement.may_object(trade.notice_ends_at, now):
        raise NotOnNotice()
    objection = Objection(
        trade_id=trade.id,
        org_id=principal.org.id,
        reasons=reasons,
        status=ObjectionStatus.raised,
        raised_at=now,
    )
    session.add(objection)
    await session.flush()
    index = await record_event(
        session,
        trade,
        "trade.objection_raised",
        {"objection_id": objection.id, "org_id": principal.org.id},
        now,
    )
    return objection, index


async def objections(
    session: AsyncSession,
    principal: Principal,
    state: ObjectionState,
    after_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The operator's queue of objections (with their reasons, which are not public)."""
    authorize(principal, Action.objection_rule)
    return await repo.list_objections(session, state, after_id, limit)


async def rule(
    session: AsyncSession,
    principal: Principal,
    trade_id: int,
    objection_id: int,
    upheld: bool,
    now: datetime,
) -> tuple[Trade, int]:
    """The operator upholds (the trade is cancelled) or dismisses an objection."""
    authorize(principal, Action.objection_rule)
    trade = await load(session, principal, trade_id, lock=True)
    objection = await repo.objection(session, trade.id, objection_id)
    if objection is None:
        raise ObjectionNotFound()
    if objection.status != ObjectionStatus.raised:
        raise ObjectionRuled(f"the objection was {objection.status}")
    if trade.status != TradeStatus.notice:
        raise NotOnNotice(f"the trade is {trade.status}")
    objection.status = ObjectionStatus.upheld if upheld else ObjectionStatus.dismissed
    objection.resolved_by, objection.resolved_at = principal.user.id, now
    index = await record_event(
        session,
        trade,
        "trade.objection_resolved",
        {
            "objection_id": objection.id,
            "ruling": objection.status.value,
            "by_user_id": principal.user.id,
        },
        now,
    )
    if upheld:
        trade.status, trade.closed_at = TradeStatus.cancelled, now
        index = await record_event(
            session, trade, "trade.cancelled", {"objection_id": objection.id}, now
        )
        competitors = await repo.registrations(session, trade.id)
        await release_deposits(session, trade, competitors, now)
        await achievements.move_out_of_trade(session, trade.achievement_id, False, now)
    await session.flush()
    return trade, index


async def conclude(session: AsyncSession, trade: Trade, now: datetime, journal: Journal) -> None:
    """Conclude an agreement whose notice ran in full without an objection standing (the
    trade locked; the scheduler finds them), its entries staged in ``journal``."""
    objections = [str(o.status) for o in await repo.objections(session, trade.id)]
    assert trade.notice_ends_at is not None
    if not agreement.may_conclude(trade.notice_ends_at, now, objections):
        raise NotOnNotice("the notice has not run in full, or an objection stands")
    trade.status, trade.closed_at = TradeStatus.sold, now
    journal.record(trade, "trade.concluded", {"price_fen": trade.price_fen}, now)
    await session.flush()
    assert trade.price_fen is not None
    await contributions.record_deal(session, journal.appender, trade, trade.price_fen, now)
