"""HTTP routes for auctions: open, approve, register, bid, read."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, status
from pydantic import AwareDatetime, TypeAdapter

from techmarket import shutdown
from techmarket.db import Session
from techmarket.deps import Anyone, AppSettings, Authenticated, Now, Operator, Verified
from techmarket.listings.schemas import OptionalReason
from techmarket.models.trade import (
    Contract,
    ObjectionState,
    Registration,
    TradeMode,
    TradeStatus,
)
from techmarket.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    decode_cursor,
    decode_keyset,
    encode_keyset,
    next_cursor,
)
from techmarket.trading import (
    agreements,
    bidding,
    competing,
    deals,
    express,
    lifecycle,
    withdrawals,
)
from techmarket.trading import repository as repo
from techmarket.trading.schemas import (
    AgreementCreate,
    BidCreate,
    BidRead,
    BidResult,
    CompetingOfferCreate,
    CompetingOfferRead,
    ContractCreate,
    ContractRead,
    ContractRegistration,
    DealRead,
    ExpressCreate,
    ExpressTaken,
    NoticeRead,
    ObjectionCreate,
    ObjectionRaised,
    ObjectionRead,
    OfferCreate,
    OfferMade,
    OfferRead,
    RegistrationRead,
    TradeCreate,
    TradeRead,
)
from techmarket.trading.views import trade_view
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1/trades", tags=["trades"])


def _registration(r: Registration, ledger_index: int | None = None) -> RegistrationRead:
    return RegistrationRead(
        trade_id=r.trade_id,
        alias=r.alias,
        deposit_fen=r.deposit_fen,
        deposit_status=str(r.deposit_status),
        priority_right=r.priority_right,
        ledger_index=ledger_index,
    )


@router.post("", response_model=TradeRead, status_code=status.HTTP_201_CREATED)
async def open_trade(
    data: TradeCreate, session: Session, principal: Verified, settings: AppSettings, now: Now
) -> TradeRead:
    """The seller opens a trade on its published achievement (universities and
    institutes: once their TTO approves): an auction (the reserve committed as a hash),
    or agreement pricing with a named buyer, or an express licence (一键许可) that every
    verified enterprise may take."""
    if isinstance(data, ExpressCreate):
        return trade_view(*await express.offer(session, principal, data, now), viewer=principal)
    if isinstance(data, AgreementCreate):
        return trade_view(
            *await agreements.create(
                session,
                principal,
                data.achievement_id,
                data.buyer_org_id,
                data.asking_price_fen,
                now,
            ),
            viewer=principal,
        )
    return trade_view(
        *await lifecycle.create(session, principal, data, settings.signing_period, now),
        viewer=principal,
    )


@router.get("", response_model=Page[TradeRead])
async def list_trades(
    session: Session,
    status_: Annotated[TradeStatus | None, Query(alias="status")] = None,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[TradeRead]:
    """Trades anyone may see (open by default)."""
    public = set(TradeStatus) - lifecycle.HIDDEN
    statuses = {status_} & public if status_ else {TradeStatus.open}
    found = await repo.list_trades(session, statuses, decode_cursor(cursor), limit)
    return Page(
        items=[trade_view(t) for t in found], next_cursor=next_cursor([t.id for t in found], limit)
    )


@router.get("/{trade_id}", response_model=TradeRead)
async def get_trade(trade_id: Id, session: Session, principal: Anyone) -> TradeRead:
    return trade_view(await lifecycle.load(session, principal, trade_id), viewer=principal)


@router.post("/{trade_id}/approve", response_model=TradeRead)
async def approve_trade(
    trade_id: Id, session: Session, principal: Authenticated, now: Now
) -> TradeRead:
    """The seller's TTO approves mode and price; the trade opens (both ledgered)."""
    return trade_view(*await lifecycle.approve(session, principal, trade_id, now), viewer=principal)


@router.post("/{trade_id}/reject", response_model=TradeRead)
async def reject_trade(
    trade_id: Id,
    session: Session,
    principal: Authenticated,
    now: Now,
    body: OptionalReason | None = None,
) -> TradeRead:
    """The seller's TTO declines mode or price, optionally saying why (the reason stays
    in the organisation: the achievement's history has it, the ledger does not)."""
    reason = body.reason if body else None
    return trade_view(
        *await lifecycle.reject(session, principal, trade_id, now, reason), viewer=principal
    )


@router.post("/{trade_id}/withdraw", response_model=TradeRead)
async def withdraw_trade(
    trade_id: Id, session: Session, principal: Verified, now: Now
) -> TradeRead:
    """The seller takes its trade off the market (universities and institutes: their TTO)
    before a bid, an intent or an acceptance binds it; held deposits are released and the
    achievement is on offer again (ledgered)."""
    return trade_view(
        *await withdrawals.withdraw(session, principal, trade_id, now), viewer=principal
    )


@router.post("/{trade_id}/end", response_model=TradeRead)
async def end_negotiation(
    trade_id: Id, session: Session, principal: Verified, now: Now
) -> TradeRead:
    """The seller or the named buyer ends a negotiation (agreement pricing) that has not
    reached an agreed price; the achievement is on offer again (ledgered)."""
    return trade_view(*await withdrawals.end(session, principal, trade_id, now), viewer=principal)


@router.post("/{trade_id}/offers", response_model=OfferMade, status_code=status.HTTP_201_CREATED)
async def make_offer(
    trade_id: Id, data: OfferCreate, session: Session, principal: Verified, now: Now
) -> OfferMade:
    """An offer or counter-offer (agreement pricing), by the seller or the named buyer."""
    made, index = await agreements.offer(
        session, principal, trade_id, data.price_fen, data.note, now
    )
    return OfferMade(offer_id=made.id, price_fen=made.price_fen, ledger_index=index)


@router.get("/{trade_id}/offers", response_model=Page[OfferRead])
async def list_offers(
    trade_id: Id,
    session: Session,
    principal: Authenticated,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[OfferRead]:
    """The thread of offers and counter-offers, oldest first: the seller and the named
    buyer only (to anyone else the trade's offers do not exist: 404)."""
    found = await agreements.offers(session, principal, trade_id, decode_cursor(cursor), limit)
    return Page(
        items=[
            OfferRead(
                id=line.offer.id,
                trade_id=line.offer.trade_id,
                org_id=line.offer.org_id,
                price_fen=line.offer.price_fen,
                note=line.offer.note,
                at=line.offer.at,
                ledger_index=line.ledger_index,
            )
            for line in found
        ],
        next_cursor=next_cursor([line.offer.id for line in found], limit),
    )


@router.post("/{trade_id}/accept", response_model=TradeRead)
async def accept_offer(
    trade_id: Id, session: Session, principal: Verified, settings: AppSettings, now: Now
) -> TradeRead:
    """Accept the other side's latest offer: the price goes on public notice (公示)."""
    return trade_view(
        *await agreements.accept(session, principal, trade_id, settings, now), viewer=principal
    )


def _competing_offer(
    c: competing.Competitor, ledger_index: int | None = None
) -> CompetingOfferRead:
    return CompetingOfferRead(
        id=c.offer.id,
        trade_id=c.offer.trade_id,
        alias=c.registration.alias,
        price_fen=c.offer.price_fen,
        deposit_fen=c.registration.deposit_fen,
        deposit_status=str(c.registration.deposit_status),
        at=c.offer.at,
        ledger_index=ledger_index,
    )


@router.post(
    "/{trade_id}/competing-offers",
    response_model=CompetingOfferRead,
    status_code=status.HTTP_201_CREATED,
)
async def make_competing_offer(
    trade_id: Id, data: CompetingOfferCreate, session: Session, principal: Verified, now: Now
) -> CompetingOfferRead:
    """While the agreed price is on public notice, an organisation other than the parties
    offers more, with the deposit the notice announced (``terms.competition``). Its price
    stays secret (a commitment on the ledger) until the notice ends; then any competing
    offer turns the agreement into an auction among the buyer and the competitors."""
    return _competing_offer(
        *await competing.make_offer(session, principal, trade_id, data.price_fen, now)
    )


@router.get("/{trade_id}/competing-offers", response_model=Page[CompetingOfferRead])
async def list_competing_offers(
    trade_id: Id,
    session: Session,
    principal: Authenticated,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[CompetingOfferRead]:
    """Your own competing offer while the notice runs; every one, oldest first, once the
    notice's end revealed them."""
    found = await competing.offers_seen_by(
        session, principal, trade_id, decode_cursor(cursor), limit
    )
    return Page(
        items=[_competing_offer(c) for c in found],
        next_cursor=next_cursor([c.offer.id for c in found], limit),
    )


@router.post(
    "/{trade_id}/objections", response_model=ObjectionRaised, status_code=status.HTTP_201_CREATED
)
async def raise_objection(
    trade_id: Id, data: ObjectionCreate, session: Session, principal: Verified, now: Now
) -> ObjectionRaised:
    """Any verified organisation may object, with reasons, while the notice runs."""
    objection, index = await agreements.object_to(session, principal, trade_id, data.reasons, now)
    return ObjectionRaised(
        objection_id=objection.id, status=str(objection.status), ledger_index=index
    )


@router.post("/{trade_id}/objections/{objection_id}/uphold", response_model=TradeRead)
async def uphold_objection(
    trade_id: Id, objection_id: Id, session: Session, principal: Operator, now: Now
) -> TradeRead:
    """The operator upholds the objection: the trade is cancelled."""
    return trade_view(
        *await agreements.rule(session, principal, trade_id, objection_id, True, now),
        viewer=principal,
    )


@router.post("/{trade_id}/objections/{objection_id}/dismiss", response_model=TradeRead)
async def dismiss_objection(
    trade_id: Id, objection_id: Id, session: Session, principal: Operator, now: Now
) -> TradeRead:
    return trade_view(
        *await agreements.rule(session, principal, trade_id, objection_id, False, now),
        viewer=principal,
    )


@router.post(
    "/{trade_id}/contract", response_model=ContractRead, status_code=status.HTTP_201_CREATED
)
async def record_contract(
    trade_id: Id, data: ContractCreate, session: Session, principal: Verified, now: Now
) -> ContractRead:
    """A party records the deal's technology contract (合同编号, signing date, payment
    terms, e.g. 先免费许可后付费)."""
    contract, index = await deals.record_contract(
        session,
        principal,
        trade_id,
        data.contract_number,
        data.signed_on,
        data.payment_terms,
        now,
    )
    return _contract(contract, index)


@router.post("/{trade_id}/contract/registration", response_model=ContractRead)
async def register_contract(
    trade_id: Id, data: ContractRegistration, session: Session, principal: Verified, now: Now
) -> ContractRead:
    """A party records the contract's registration (技术合同认定登记)."""
    contract, index = await deals.register_contract(
        session, principal, trade_id, data.registration_number, data.registered_on, now
    )
    return _contract(contract, index)


def _contract(contract: Contract, ledger_index: int) -> ContractRead:
    return ContractRead(
        trade_id=contract.trade_id,
        contract_number=contract.contract_number,
        signed_on=contract.signed_on,
        payment_terms=str(contract.payment_terms),
        registration_number=contract.registration_number,
        registered_on=contract.registered_on,
        ledger_index=ledger_index,
    )


@router.post("/{trade_id}/take", response_model=ExpressTaken, status_code=status.HTTP_201_CREATED)
async def take_express_licence(
    trade_id: Id, session: Session, principal: Verified, now: Now
) -> ExpressTaken:
    """A verified enterprise takes the express licence (一键许可) in one step: a deal of
    its own at the offered terms, its contract generated from the standard text (the
    contract's SHA-256 on the ledger with the take). Once per enterprise."""
    taken = await express.take(session, principal, trade_id, now)
    return ExpressTaken(
        offer_trade_id=trade_id,
        deal=trade_view(taken.deal, viewer=principal),
        contract_number=taken.contract.contract_number,
        payment_terms=str(taken.contract.payment_terms),
        contract_text=taken.contract.text or "",
        contract_sha256=taken.digest,
        ledger_index=taken.ledger_index,
    )


@router.post("/{trade_id}/stop", response_model=TradeRead)
async def stop_express_licence(
    trade_id: Id, session: Session, principal: Verified, now: Now
) -> TradeRead:
    """The seller stops offering the express licence; the licences taken stand."""
    return trade_view(*await express.stop(session, principal, trade_id, now), viewer=principal)


@router.get("/{trade_id}/takes", response_model=Page[TradeRead])
async def list_express_deals(
    trade_id: Id,
    session: Session,
    principal: Anyone,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[TradeRead]:
    """The deals that took an express licence, oldest first."""
    found = await express.deals_of(session, principal, trade_id, decode_cursor(cursor), limit)
    return Page(
        items=[trade_view(t) for t in found], next_cursor=next_cursor([t.id for t in found], limit)
    )


@router.post(
    "/{trade_id}/registrations",
    response_model=RegistrationRead,
    status_code=status.HTTP_201_CREATED,
)
async def register_for_trade(
    trade_id: Id, session: Session, principal: Verified, now: Now
) -> RegistrationRead:
    """Register to bid in an auction: the deposit is held and an alias (竞买号) assigned."""
    return _registration(
        *await lifecycle.register(session, principal, trade_id, now, TradeMode.auction)
    )


@router.post(
    "/{trade_id}/intents", response_model=RegistrationRead, status_code=status.HTTP_201_CREATED
)
async def register_intent(
    trade_id: Id, session: Session, principal: Verified, now: Now
) -> RegistrationRead:
    """Register the intent to buy a listing (挂牌) at its price: the deposit is held and an
    alias assigned; two or more intents at the listing's end make it an auction among them."""
    return _registration(
        *await lifecycle.register(session, principal, trade_id, now, TradeMode.listed)
    )


@router.get("/{trade_id}/bids", response_model=Page[BidRead])
async def list_bids(
    trade_id: Id,
    session: Session,
    principal: Anyone,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[BidRead]:
    """Accepted bids, by alias, in the order of the trade's events."""
    await lifecycle.load(session, principal, trade_id)
    bids = await repo.bids(session, trade_id, decode_cursor(cursor) or 0, limit)
    return Page(
        items=[BidRead.model_validate(b, from_attributes=True) for b in bids],
        next_cursor=next_cursor([b.seq for b in bids], limit),
    )


@router.post(
    "/{trade_id}/bids", response_model=BidResult, dependencies=[Depends(shutdown.taking_bids)]
)
async def place_bid(
    request: Request,
    trade_id: Id,
    data: BidCreate,
    session: Session,
    principal: Verified,
    now: Now,
    idempotency_key: Annotated[Line | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    """Bid. Acknowledged only once the bid, the trade and the ledger entry have committed;
    a retry with the same ``Idempotency-Key`` returns the same outcome."""
    return await bidding.place_bid(
        session,
        principal,
        trade_id,
        data.amount_fen,
        data.max_amount_fen,
        idempotency_key,
        now,  # the request's arrival: its receipt time
        request.app.state.clock,
    )


notices_router = APIRouter(prefix="/api/v1", tags=["trades"])

# Where the notice board's last page ended: (its notice's end, its trade).
NOTICE_CURSOR = TypeAdapter(tuple[AwareDatetime, int])


@notices_router.get("/notices", response_model=Page[NoticeRead])
async def list_notices(
    session: Session,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[NoticeRead]:
    """The public notice board (公示), the soonest to end first: every agreed deal on
    notice, no login needed, with the period it was announced for and its objections
    (who, when, the ruling; each with its ledger entry; the reasons are not public)."""
    found = await agreements.notice_board(session, decode_keyset(cursor, NOTICE_CURSOR), limit)
    last = found[-1] if len(found) == limit else None
    return Page(
        items=[NoticeRead.model_validate(asdict(n)) for n in found],
        next_cursor=encode_keyset([last.notice_ends_at.isoformat(), last.trade_id])
        if last
        else None,
    )


@notices_router.get("/deals", response_model=Page[DealRead])
async def list_deals(
    session: Session,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[DealRead]:
    """Concluded trades (deals), public: mode, title, field, region, price, parties."""
    found = await repo.deals(session, decode_cursor(cursor), limit)
    return Page(
        items=[DealRead.model_validate(d) for d in found],
        next_cursor=next_cursor([d["trade_id"] for d in found], limit),
    )


@notices_router.get("/objections", response_model=Page[ObjectionRead])
async def list_objections(
    session: Session,
    principal: Operator,
    status_: Annotated[ObjectionState, Query(alias="status")] = ObjectionState.open,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[ObjectionRead]:
    """The operator's queue, oldest first: ``open`` objections await a ruling (raised
    while their trade is on notice); ``upheld`` and ``dismissed`` ones were ruled on."""
    found = await agreements.objections(session, principal, status_, decode_cursor(cursor), limit)
    return Page(
        items=[ObjectionRead.model_validate(o) for o in found],
        next_cursor=next_cursor([o["id"] for o in found], limit),
    )


@notices_router.post(
    "/demands/{demand_id}/responses/{response_id}/trade",
    response_model=TradeRead,
    status_code=status.HTTP_201_CREATED,
)
async def trade_from_response(
    demand_id: Id, response_id: Id, session: Session, principal: Verified, now: Now
) -> TradeRead:
    """The accepted responder opens agreement pricing with the demand's owner."""
    return trade_view(
        *await agreements.from_response(session, principal, demand_id, response_id, now),
        viewer=principal,
    )
