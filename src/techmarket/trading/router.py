"""HTTP routes for auctions: open, approve, register, bid, read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, status

from techmarket.db import Session
from techmarket.deps import Anyone, Authenticated, Now, Verified
from techmarket.models.trade import Registration, Trade, TradeStatus
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.trading import auctions, engine
from techmarket.trading import repository as repo
from techmarket.trading.schemas import (
    AuctionCreate,
    BidCreate,
    BidResult,
    RegistrationRead,
    TradeRead,
)

router = APIRouter(prefix="/api/v1/trades", tags=["trades"])


def trade_view(trade: Trade, ledger_index: int | None = None) -> TradeRead:
    """What anyone may see of a trade (the reserve only once it closed)."""
    closed = trade.status in (TradeStatus.sold, TradeStatus.unsold)
    return TradeRead(
        id=trade.id,
        achievement_id=trade.achievement_id,
        seller_org_id=trade.seller_org_id,
        mode=str(trade.mode),
        status=str(trade.status),
        terms=trade.terms,
        reserve_commitment=trade.reserve_commitment,
        reserve_fen=(trade.reserve_fen or 0) if closed else None,
        reserve_salt=trade.reserve_salt if closed else None,
        current_price_fen=trade.price_fen,
        leader_alias=trade.leader_alias,
        ends_at=trade.ends_at,
        seq=trade.seq,
        ledger_index=ledger_index,
    )


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
async def open_auction(
    data: AuctionCreate, session: Session, principal: Verified, now: Now
) -> TradeRead:
    """The seller opens an auction on its published achievement (universities and
    institutes: once their TTO approves). The reserve is committed as a hash."""
    return trade_view(*await auctions.create(session, principal, data, now))


@router.get("", response_model=Page[TradeRead])
async def list_trades(
    session: Session,
    status_: Annotated[TradeStatus | None, Query(alias="status")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[TradeRead]:
    """Trades anyone may see (open by default)."""
    public = set(TradeStatus) - {TradeStatus.pending_approval, TradeStatus.rejected}
    statuses = {status_} & public if status_ else {TradeStatus.open}
    found = await repo.list_trades(session, statuses, decode_cursor(cursor), limit)
    return Page(
        items=[trade_view(t) for t in found], next_cursor=next_cursor([t.id for t in found], limit)
    )


@router.get("/{trade_id}", response_model=TradeRead)
async def gettrade_view(trade_id: int, session: Session, principal: Anyone) -> TradeRead:
    trade = await auctions.load(session, trade_id)
    if not auctions.visible(principal, trade):
        raise auctions.TradeNotFound()
    return trade_view(trade)


@router.post("/{trade_id}/approve", response_model=TradeRead)
async def approvetrade_view(
    trade_id: int, session: Session, principal: Authenticated, now: Now
) -> TradeRead:
    """The seller's TTO approves mode and price; the trade opens (both ledgered)."""
    return trade_view(*await auctions.approve(session, principal, trade_id, now))


@router.post(
    "/{trade_id}/registrations",
    response_model=RegistrationRead,
    status_code=status.HTTP_201_CREATED,
)
async def register(
    trade_id: int, session: Session, principal: Verified, now: Now
) -> RegistrationRead:
    """Register to bid: the deposit is held and an alias (竞买号) assigned."""
    return _registration(*await auctions.register(session, principal, trade_id, now))


@router.get("/{trade_id}/bids")
async def list_bids(
    trade_id: int, session: Session, principal: Anyone, after_seq: int = 0
) -> dict[str, Any]:
    """Accepted bids, by alias, in order."""
    trade = await auctions.load(session, trade_id)
    if not auctions.visible(principal, trade):
        raise auctions.TradeNotFound()
    bids = await repo.bids(session, trade_id, after_seq)
    return {
        "bids": [
            {
                "seq": b.seq,
                "alias": b.alias,
                "amount_fen": b.amount_fen,
                "kind": b.kind,
                "at": b.at.isoformat(),
                "ledger_index": b.ledger_index,
            }
            for b in bids
        ]
    }


@router.post("/{trade_id}/bids", response_model=BidResult)
async def place_bid(
    trade_id: int,
    data: BidCreate,
    session: Session,
    principal: Verified,
    now: Now,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> dict[str, Any]:
    """Bid. Acknowledged only once the bid, the trade and the ledger entry have committed;
    a retry with the same ``Idempotency-Key`` returns the same outcome."""
    return await engine.place_bid(
        session, principal, trade_id, data.amount_fen, data.max_amount_fen, idempotency_key, now
    )
