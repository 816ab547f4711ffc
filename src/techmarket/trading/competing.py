"""Competing offers during public notice (公示期竞争报价), and the notice's end: the
agreement concludes, or converts into an auction among its buyer and the competitors
(the rules: ``rules/competing.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.errors import Conflict, Forbidden
from techmarket.ledger import commitment
from techmarket.models.trade import (
    Bid,
    CompetingOffer,
    DepositStatus,
    Registration,
    Trade,
    TradeMode,
    TradeStatus,
)
from techmarket.trading import agreements
from techmarket.trading import repository as repo
from techmarket.trading.agreements import NotOnNotice
from techmarket.trading.lifecycle import Journal, load, new_alias, record_event
from techmarket.trading.rules import agreement, commitments, competing


class PartyCannotCompete(Forbidden):
    code = "party_cannot_compete"
    title = "The parties to the agreement cannot make a competing offer"


class CompetingOfferTooLow(Conflict):
    code = "competing_offer_too_low"
    title = "A competing offer must be above the agreed price"


class AlreadyCompeting(Conflict):
    code = "already_competing"
    title = "Your organisation has already made a competing offer on this notice"


@dataclass(frozen=True)
class Competitor:
    """A competing offer with the bidder's alias and deposit."""

    offer: CompetingOffer
    registration: Registration


async def make_offer(
    session: AsyncSession, principal: Principal, trade_id: int, price_fen: int, now: datetime
) -> tuple[Competitor, int]:
    """A verified organisation other than the parties offers more than the agreed price
    while the notice runs: its deposit is held, it gets an alias, and the ledger holds a
    commitment to the price until the notice ends."""
    authorize(principal, Action.trade_compete)
    trade = await load(session, principal, trade_id, lock=True)
    announced = trade.terms.get("competition")
    if (
        trade.status != TradeStatus.notice
        or not agreement.may_object(trade.notice_ends_at, now)
        or announced is None  # a notice opened before competing offers were taken
    ):
        raise NotOnNotice()
    if principal.org.id in (trade.seller_org_id, trade.buyer_org_id):
        raise PartyCannotCompete()
    assert trade.price_fen is not None
    error = competing.offer_error(trade.price_fen, price_fen)
    if error:
        raise CompetingOfferTooLow(error)
    taken = await repo.registrations(session, trade.id)
    if any(r.org_id == principal.org.id for r in taken):
        raise AlreadyCompeting()
    registration = Registration(
        trade_id=trade.id,
        org_id=principal.org.id,
        alias=new_alias({r.alias for r in taken}),
        deposit_fen=announced["deposit_fen"],
        deposit_status=DepositStatus.held,
        priority_right=False,
        registered_at=now,
    )
    session.add(registration)
    await session.flush()
    offer = CompetingOffer(
        trade_id=trade.id,
        registration_id=registration.id,
        price_fen=price_fen,
        salt=commitment.new_salt(),
        at=now,
    )
    session.add(offer)
    await session.flush()
    index = await record_event(
        session,
        trade,
        "trade.competing_offer",
        {
            "offer_id": offer.id,
            "alias": registration.alias,
            "deposit_fen": registration.deposit_fen,
            "deposit": "held",
            "price_commitment": commitments.offer(price_fen, offer.salt),
        },
        now,
    )
    return Competitor(offer, registration), index


async def offers_seen_by(
    session: AsyncSession, principal: Principal, trade_id: int, after_id: int | None, limit: int
) -> list[Competitor]:
    """The competing offers ``principal`` may know of, in the order made: its own while
    the notice runs (or after a cancellation), every one once the conversion revealed
    them."""
    trade = await load(session, principal, trade_id)
    hidden = trade.mode == TradeMode.agreement
    found = await repo.competing_offers(
        session,
        trade.id,
        org_id=principal.org.id if hidden else None,
        after_id=after_id,
        limit=limit,
    )
    return [Competitor(o, r) for o, r in found]


async def own_offers(
    session: AsyncSession, principal: Principal | None, trade_ids: list[int]
) -> dict[int, Competitor]:
    """``principal``'s organisation's competing offers on these trades, by trade."""
    if principal is None or not trade_ids:
        return {}
    found = await repo.competing_offers(session, trade_ids, org_id=principal.org.id)
    return {o.trade_id: Competitor(o, r) for o, r in found}


async def end_notice(session: AsyncSession, trade: Trade, now: datetime, journal: Journal) -> None:
    """A notice that ran in full with no objection standing (the trade locked; the
    scheduler finds them): the agreement concludes, or with competing offers converts
    into an auction."""
    found = await repo.competing_offers(session, trade.id)
    if competing.outcome_at_notice_end(len(found)) == "concluded":
        await agreements.conclude(session, trade, now, journal)
        return
    objections = [str(o.status) for o in await repo.objections(session, trade.id)]
    assert trade.notice_ends_at is not None and trade.buyer_org_id is not None
    if not agreement.may_conclude(trade.notice_ends_at, now, objections):
        raise NotOnNotice("the notice has not run in full, or an objection stands")
    offers = [(r.alias, o.price_fen) for o, r in found]
    buyer = Registration(
        trade_id=trade.id,
        org_id=trade.buyer_org_id,
        alias=new_alias({r.alias for _, r in found}),
        deposit_fen=0,  # its agreement binds it already
        deposit_status=DepositStatus.held,
        priority_right=True,
        registered_at=now,
    )
    session.add(buyer)
    assert trade.price_fen is not None
    trade.terms = competing.auction_terms(trade.terms["competition"], trade.price_fen, offers, now)
    trade.mode, trade.status = TradeMode.auction, TradeStatus.open
    trade.ends_at = datetime.fromisoformat(trade.terms["ends_at"])
    trade.leader_alias, trade.price_fen = competing.opening(offers)
    converted = journal.record(
        trade,
        "trade.converted",
        {
            "from": "agreement",
            "terms": trade.terms,
            "offers": [  # every competing offer, opened
                {"offer_id": o.id, "alias": r.alias, "price_fen": o.price_fen, "salt": o.salt}
                for o, r in found
            ],
            "buyer_alias": buyer.alias,
            "aliases": competing.participants(buyer.alias, offers),
            "opening": {"alias": trade.leader_alias, "price_fen": trade.price_fen},
        },
        now,
    )
    await journal.write()  # the opening bid names its entry (conversions are few: lock now)
    # The highest offer is the auction's first bid: binding, in the room's list of bids.
    opener = next(r for _, r in found if r.alias == trade.leader_alias)
    session.add(
        Bid(
            trade_id=trade.id,
            registration_id=opener.id,
            alias=opener.alias,
            amount_fen=trade.price_fen,
            kind="bid",
            seq=trade.seq,
            ledger_index=converted.index,
            at=now,
        )
    )
    await session.flush()
