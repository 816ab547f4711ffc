"""Express licences (一键许可): the seller offers a standard non-exclusive licence of a
published achievement (its TTO approves, as any trade: ``lifecycle.approve``); each verified
enterprise takes it in one step, which makes a deal of its own (a trade of mode
``express_licence`` pointing at the offer) with its contract generated from the standard
text; the seller may stop offering it. The achievement stays on offer throughout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, WrongKind, authorize
from techmarket.errors import Conflict, DomainError, NotFound
from techmarket.ledger import commitment
from techmarket.listings import achievements
from techmarket.listings import repository as listings
from techmarket.models.listing import Achievement, AchievementStatus
from techmarket.models.trade import Contract, PaymentTerms, Trade, TradeMode, TradeStatus
from techmarket.trading import lifecycle
from techmarket.trading import repository as repo
from techmarket.trading.rules import commitments, express
from techmarket.trading.schemas import ExpressCreate

# The contract's date is the day it was concluded where the parties are.
CHINA = ZoneInfo("Asia/Shanghai")


class AlreadyOffered(Conflict):
    code = "express_already_offered"
    title = "The achievement has an express licence on offer (or awaiting approval) already"


class NotExpress(NotFound):
    code = "not_express_licence"
    title = "This trade is not an express licence offer"


class NotOffered(Conflict):
    code = "express_not_offered"
    title = "The express licence is not on offer (yet)"


class Stopped(Conflict):
    code = "express_stopped"
    title = "The seller stopped offering this express licence"


class TakenAlready(Conflict):
    code = "express_taken_already"
    title = "Your organisation took this express licence already"


REFUSED: dict[express.Refusal, type[DomainError]] = {
    express.Refusal.not_offered: NotOffered,
    express.Refusal.stopped: Stopped,
    express.Refusal.own_offer: lifecycle.OwnTrade,
    express.Refusal.not_enterprise: WrongKind,
    express.Refusal.taken_already: TakenAlready,
}


async def offer(
    session: AsyncSession, principal: Principal, data: ExpressCreate, now: datetime
) -> tuple[Trade, int | None]:
    """The seller offers an express licence of its published achievement (universities
    and institutes: it opens once their TTO approves). One offer at a time per
    achievement; the achievement stays on offer for other trades."""
    achievement = await achievements.load(session, principal, data.achievement_id, lock=True)
    authorize(principal, Action.trade_open, achievement.org_id)
    if achievement.status != AchievementStatus.published:
        raise lifecycle.NotPublished(f"the achievement is {achievement.status}")
    pending_or_open = (TradeStatus.pending_approval, TradeStatus.open)
    if await repo.express_offers(session, achievement.id, pending_or_open):
        raise AlreadyOffered()
    salt = commitment.new_salt()
    trade = Trade(
        achievement_id=achievement.id,
        seller_org_id=achievement.org_id,
        mode=TradeMode.express_licence,
        status=TradeStatus.pending_approval,
        terms=data.terms(),
        reserve_fen=None,
        reserve_salt=salt,
        reserve_commitment=commitments.reserve(None, salt),  # none: the terms are public
        priority_holders=[],
        ends_at=now,  # offered until stopped; ``ends_at`` only orders it among trades
        seq=0,
        created_by=principal.user.id,
        created_at=now,
    )
    session.add(trade)
    await session.flush()
    return trade, await lifecycle.open_or_submit(session, principal, trade, now)


async def load_offer(
    session: AsyncSession, principal: Principal | None, offer_id: int, *, lock: bool = False
) -> Trade:
    """An express licence offer ``principal`` may see (a deal taking one is not an offer)."""
    trade = await lifecycle.load(session, principal, offer_id, lock=lock)
    if trade.mode != TradeMode.express_licence or trade.offer_trade_id is not None:
        raise NotExpress()
    return trade


@dataclass(frozen=True)
class Taken:
    """A take: the deal, its contract, and the ledger entry of both."""

    deal: Trade
    contract: Contract
    digest: str
    ledger_index: int


async def take(session: AsyncSession, principal: Principal, offer_id: int, now: datetime) -> Taken:
    """A verified enterprise takes the offer: a deal at the offered terms, its contract
    generated and concluded, one ledger entry for both. The offer stays on offer."""
    offered = await load_offer(session, principal, offer_id, lock=True)  # one take at a time
    authorize(principal, Action.express_take)
    licensed = await listings.get(session, Achievement, offered.achievement_id)
    refusal = express.take_refusal(
        offered.status,
        licensed.status in express.ACHIEVEMENT_ON_OFFER,
        offered.seller_org_id,
        principal.org.id,
        principal.org.kind,
        await repo.express_takers(session, offered.id),
    )
    if refusal is not None:
        raise REFUSED[refusal]()
    deal = Trade(
        achievement_id=offered.achievement_id,
        seller_org_id=offered.seller_org_id,
        buyer_org_id=principal.org.id,
        mode=TradeMode.express_licence,
        status=TradeStatus.sold,
        terms=offered.terms,
        reserve_fen=None,
        reserve_salt=offered.reserve_salt,
        reserve_commitment=offered.reserve_commitment,
        priority_holders=[],
        ends_at=now,
        price_fen=express.price_fen(offered.terms),
        seq=0,
        created_by=principal.user.id,
        created_at=now,
        approved_by=offered.approved_by,
        closed_at=now,
        offer_trade_id=offered.id,
    )
    session.add(deal)
    await session.flush()
    title, seller, buyer = await repo.trade_names(session, deal)
    number = express.contract_number(offered.id, deal.id)
    signed_on = now.astimezone(CHINA).date()
    text = express.contract_text(
        offered.terms,
        number=number,
        signed_on=signed_on,
        title=title,
        achievement_id=deal.achievement_id,
        seller=seller,
        buyer=buyer or "",
    )
    contract = Contract(
        trade_id=deal.id,
        contract_number=number,
        signed_on=signed_on,
        payment_terms=PaymentTerms(express.payment_terms(offered.terms)),
        recorded_by=principal.user.id,
        recorded_at=now,
        text=text,
    )
    session.add(contract)
    digest = express.digest(text)
    index = await lifecycle.record_event(
        session,
        deal,
        "trade.express_taken",
        {
            "mode": TradeMode.express_licence.value,
            "offer_trade_id": offered.id,
            "achievement_id": deal.achievement_id,
            "seller_org_id": deal.seller_org_id,
            "buyer_org_id": principal.org.id,
            "buyer_kind": principal.org.kind.value,
            "terms": offered.terms,
            "price_fen": deal.price_fen,
            "contract_number": number,
            "signed_on": signed_on.isoformat(),
            "payment_terms": contract.payment_terms.value,
            "contract_sha256": digest,
        },
        now,
    )
    await session.flush()
    return Taken(deal, contract, digest, index)


async def stop(
    session: AsyncSession, principal: Principal, offer_id: int, now: datetime
) -> tuple[Trade, int]:
    """The seller stops offering the licence (ledgered); the licences granted stand."""
    offered = await load_offer(session, principal, offer_id, lock=True)
    authorize(principal, Action.trade_open, offered.seller_org_id)
    if not express.may_stop(offered.status):
        raise NotOffered(f"the offer is {offered.status}")
    offered.status, offered.closed_at = TradeStatus.stopped, now
    index = await lifecycle.record_event(
        session, offered, "trade.express_stopped", {"by_org_id": principal.org.id}, now
    )
    return offered, index


async def deals_of(
    session: AsyncSession, principal: Principal | None, offer_id: int, after: int | None, limit: int
) -> list[Trade]:
    """The deals that took an offer (public, as every deal)."""
    await load_offer(session, principal, offer_id)
    return await repo.express_deals(session, offer_id, after, limit)
