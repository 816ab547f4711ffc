"""The trade's own page, ``/trades/{id}``: the live auction room (a listing converted
to an auction included), the listed-trading page while a listing takes intents; an
agreement's page is its negotiation. Registering and bidding without script post here
and go through the same services as the API and the websocket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from techmarket import shutdown
from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError, InvalidInput
from techmarket.listings import achievements
from techmarket.models.trade import Registration, Trade, TradeMode, TradeStatus
from techmarket.trading import bidding, lifecycle, withdrawals
from techmarket.trading import repository as repo
from techmarket.trading.rules import auction, withdrawal
from techmarket.web import forms
from techmarket.web.display import yuan
from techmarket.web.money import YuanPrice
from techmarket.web.sessions import Verified, Viewer, keeping_mandate
from techmarket.web.templating import render

router = APIRouter()

LADDER = 50  # bids the page draws; the socket adds the ones that follow
NEXT_AMOUNTS = 3  # the next valid amounts offered as buttons
LARGE_JUMP = 10  # a bid this many increments above the minimum asks to be confirmed

# The engine's refusals as a bidder reads them ({minimum}, {increment}, {start}: yuan).
REFUSALS: dict[str, str] = {
    "too_low": "出价须不低于 {minimum}。",
    "invalid": "出价须为起拍价 {start} 加整数倍的加价幅度 {increment}。",
    "not_registered": "请先报名并缴纳保证金，才能出价。",
    "not_open": "竞价尚未开始。",
    "closed": "竞价已结束，不能再出价。",
    "own_trade": "卖方机构不能参与自己的拍卖。",
    "rate_limited": "出价过于频繁，请稍后再试。",
    "unauthorized": "登录已失效或无权出价，请重新登录。",
    "large_jump": "这一出价比最低可出价高出 {jump} 个加价幅度，请勾选确认后再提交。",
    "no_mandate": "您不是该委托受托机构的技术经纪人，不能代客户出价。",
    "mandate_not_accepted": "委托尚未被接受，不能代客户出价。",
    "mandate_revoked": "委托已被撤销，不能再代客户出价。",
    "mandate_not_yet_valid": "委托尚未生效，不能代客户出价。",
    "mandate_expired": "委托已过期，不能再代客户出价。",
    "outside_mandate_scope": "委托范围不包括报名和出价。",
    "outside_mandate_object": "委托不包括这项交易。",
}
DONE = {
    "opened": "交易已创建。",
    "registered": "报名成功，保证金已冻结。",
    "intent": "意向已登记，保证金已冻结。",
    "bid": "出价已被接受。",
    "withdrawn": "交易已撤回，保证金已退还，成果重新上架。",
}
DEPOSIT = {"held": "已冻结", "released": "已退还", "applied": "已抵作价款", "forfeited": "已没收"}


class BidForm(BaseModel):
    amount: YuanPrice
    max_amount: YuanPrice | None = None
    confirm: bool = False


class LargeJump(InvalidInput):
    code = "large_jump"
    title = "A large jump must be confirmed"

    def __init__(self, jump: int) -> None:
        super().__init__(f"{jump} increments above the minimum: confirm it")
        self.jump = jump


def _rules(trade: Trade, registrations: list[Registration]) -> tuple[auction.Terms, int]:
    """The auction's terms and the lowest amount the next bid may be (the engine's rule)."""
    terms, state = bidding.state_of(trade, registrations)
    return terms, auction.minimum_next(terms, state)


def _refusal(code: str, terms: auction.Terms, minimum: int, jump: int = 0) -> str:
    return REFUSALS.get(code, "出价未被接受。").format(
        minimum=yuan(minimum),
        start=yuan(terms.start_price_fen),
        increment=yuan(terms.increment_fen),
        jump=jump,
    )


def _is_auction(trade: Trade) -> bool:
    return trade.mode == TradeMode.auction or "start_price_fen" in trade.terms


async def _room(
    session: Session, viewer: Principal | None, trade: Trade, now: datetime
) -> dict[str, Any]:
    """Everything the room draws, and the state its script starts from."""
    achievement = await achievements.load(session, viewer, trade.achievement_id)
    registrations = await repo.registrations(session, trade.id)
    mine = next((r for r in registrations if viewer and r.org_id == viewer.org.id), None)
    closed = lifecycle.revealed_at_close(trade)
    context: dict[str, Any] = {
        "trade": trade,
        "achievement": achievement,
        "mine": mine,
        "deposit_status": DEPOSIT.get(str(mine.deposit_status), "") if mine else "",
        "registrations": len(registrations),
        "deadline": datetime.fromisoformat(
            trade.terms.get("registration_deadline") or trade.terms["listing_ends_at"]
        ),
        "seller": viewer is not None and viewer.org.id == trade.seller_org_id,
        # The seller is offered the button while the rule book allows it (it decides again).
        "may_withdraw": viewer is not None
        and viewer.org.id == trade.seller_org_id
        and withdrawal.withdrawal_refusal(
            withdrawal.Standing(
                str(trade.mode),
                str(trade.status),
                bids=0 if trade.price_fen is None else 1,
                intents=len(registrations),
            )
        )
        is None,
        "closed": closed,
        "now": now,
        "done": None,
        "ledger_index": None,
        "large_jump": False,
        "close_index": await repo.last_event_index(session, trade.id, "trade.closed")
        if closed
        else None,
    }
    if not _is_auction(trade):
        return context
    terms, minimum = _rules(trade, registrations)
    bids = await repo.latest_bids(session, trade.id, LADDER)
    extended = trade.ends_at > terms.ends_at
    context |= {
        "bids": bids,
        "terms": terms,
        "minimum": minimum,
        "next_amounts": [minimum + k * terms.increment_fen for k in range(NEXT_AMOUNTS)],
        "extended": extended,
        "open": trade.status == TradeStatus.open and now < trade.ends_at,
        "started": now >= terms.starts_at,
        "may_match": mine is not None
        and mine.priority_right
        and trade.price_fen is not None
        and trade.leader_alias != mine.alias,
        "room": {
            "trade_id": trade.id,
            "server_now": now.isoformat(),
            "seq": trade.seq,
            "status": str(trade.status),
            "ends_at": trade.ends_at.isoformat(),
            "scheduled_end": terms.ends_at.isoformat(),
            "price_fen": trade.price_fen,
            "leader_alias": trade.leader_alias,
            "start_price_fen": terms.start_price_fen,
            "increment_fen": terms.increment_fen,
            "large_jump": LARGE_JUMP,
            "alias": mine.alias if mine else None,
            "bid_seqs": [b.seq for b in bids],
            "reserve_commitment": trade.reserve_commitment,
            "reserve_fen": (trade.reserve_fen or 0) if closed else None,
            "reserve_salt": trade.reserve_salt if closed else None,
            "refusals": REFUSALS,
        },
    }
    return context


@router.get("/trades/{trade_id}", response_model=None)
async def trade_page(
    request: Request,
    trade_id: int,
    session: Session,
    viewer: Viewer,
    now: Now,
    done: str | None = None,
    ledger: int | None = None,
) -> HTMLResponse | RedirectResponse:
    trade = await lifecycle.load(session, viewer, trade_id)
    if trade.mode == TradeMode.agreement:
        return RedirectResponse(f"/trades/{trade.id}/negotiation", 303)
    if trade.mode == TradeMode.express_licence:  # an offer, or a deal taking one
        target = f"/deals/{trade.id}" if trade.offer_trade_id else f"/licences/{trade.id}"
        return RedirectResponse(target, 303)
    context = await _room(session, viewer, trade, now)
    context |= {"done": DONE.get(done or ""), "ledger_index": ledger}
    template = "auction_room.html" if _is_auction(trade) else "listed_trade.html"
    return render(request, template, context)


@router.post("/trades/{trade_id}/registrations")
async def register(
    request: Request, trade_id: int, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """Register to bid (an auction) or the intent to buy (a listing): the deposit held."""
    trade = await lifecycle.load(session, principal, trade_id)
    template = "auction_room.html" if _is_auction(trade) else "listed_trade.html"
    try:
        _, index = await lifecycle.register(session, principal, trade_id, now)
    except DomainError as exc:
        context = await _room(session, principal, trade, now)
        raise forms.reject(request, template, exc, {**context, "form": {}}) from exc
    done = "registered" if _is_auction(trade) else "intent"
    return RedirectResponse(
        keeping_mandate(f"/trades/{trade_id}?done={done}&ledger={index}", principal), 303
    )


@router.post("/trades/{trade_id}/withdraw")
async def withdraw(
    request: Request, trade_id: int, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """The seller withdraws its auction or listing (the same service as the API's)."""
    trade = await lifecycle.load(session, principal, trade_id)
    template = "auction_room.html" if _is_auction(trade) else "listed_trade.html"
    try:
        _, index = await withdrawals.withdraw(session, principal, trade_id, now)
    except DomainError as exc:
        context = await _room(session, principal, trade, now)
        raise forms.reject(request, template, exc, {**context, "form": {}}) from exc
    return RedirectResponse(f"/trades/{trade_id}?done=withdrawn&ledger={index}", 303)


@router.post("/trades/{trade_id}/bids", dependencies=[Depends(shutdown.taking_bids)])
async def bid(
    request: Request, trade_id: int, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """A bid from the form (the page without script): the same engine as every bid,
    judged at this request's arrival."""
    values = await forms.read(request)
    trade = await lifecycle.load(session, principal, trade_id)
    terms, minimum = _rules(trade, await repo.registrations(session, trade.id))
    try:
        data = BidForm.model_validate(values)
        jump = (data.amount - minimum) // terms.increment_fen
        if jump >= LARGE_JUMP and not data.confirm:
            raise LargeJump(jump)
        result = await bidding.place_bid(
            session,
            principal,
            trade_id,
            data.amount,
            data.max_amount,
            None,
            now,
            request.app.state.clock,
        )
    except ValidationError as exc:
        context = await _room(session, principal, trade, now)
        raise forms.reject(request, "auction_room.html", exc, {**context, "form": values}) from exc
    except DomainError as exc:
        context = await _room(session, principal, trade, now)
        context |= {
            "form": values,
            "errors": {"amount": [_refusal(exc.code, terms, minimum, getattr(exc, "jump", 0))]},
            "large_jump": isinstance(exc, LargeJump),
        }
        raise forms.FormRejected(
            render(request, "auction_room.html", context, status_code=exc.status), exc
        ) from exc
    index = result["accepted"][0]["ledger_index"]
    return RedirectResponse(
        keeping_mandate(f"/trades/{trade_id}?done=bid&ledger={index}", principal), 303
    )
