"""Taking a trade off the market early: the seller withdraws it before a bid, an intent or
an acceptance binds it, or a party ends a negotiation. Each is ledgered, held deposits are
released, and the achievement is on offer again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, NotYourOrg, Principal, authorize
from techmarket.errors import Conflict
from techmarket.listings import achievements
from techmarket.models.trade import Registration, Trade, TradeStatus
from techmarket.trading import broadcast
from techmarket.trading import repository as repo
from techmarket.trading.agreements import NotNegotiating
from techmarket.trading.lifecycle import load, record_event, release_deposits
from techmarket.trading.rules import agreement, withdrawal


class NotWithdrawable(Conflict):
    code = "not_withdrawable"
    title = "The trade can no longer be withdrawn"


async def _standing(
    session: AsyncSession, trade: Trade, registrations: list[Registration]
) -> withdrawal.Standing:
    return withdrawal.Standing(
        mode=str(trade.mode),
        status=str(trade.status),
        bids=len(await repo.bids(session, trade.id, limit=1)),
        intents=len(registrations),
    )


async def withdraw(
    session: AsyncSession, principal: Principal, trade_id: int, now: datetime
) -> tuple[Trade, int]:
    """The seller withdraws its trade (at universities and institutes: its TTO)."""
    trade = await load(session, principal, trade_id, lock=True)
    authorize(principal, Action.trade_withdraw, trade.seller_org_id)
    registrations = await repo.registrations(session, trade.id)
    refusal = withdrawal.withdrawal_refusal(await _standing(session, trade, registrations))
    if refusal:
        raise NotWithdrawable(refusal)
    trade.status, trade.closed_at = TradeStatus.withdrawn, now
    data = {"by_org_id": principal.org.id, "by_user_id": principal.user.id}
    index = await record_event(session, trade, "trade.withdrawn", data, now)
    # Whoever watches the auction room hears of it (at commit), like of a close.
    told = broadcast.message("trade.withdrawn", {"seq": trade.seq}, now, index)
    await broadcast.notify(session, {trade.id: [told] if told else []})
    await release_deposits(session, trade, registrations, now)
    await achievements.move_out_of_trade(
        session, trade.achievement_id, False, now, by=principal, reason="trade withdrawn"
    )
    await session.flush()
    return trade, index


async def end(
    session: AsyncSession, principal: Principal, trade_id: int, now: datetime
) -> tuple[Trade, int]:
    """The seller or the named buyer ends the negotiation."""
    trade = await load(session, principal, trade_id, lock=True)
    if (
        trade.buyer_org_id is not None  # (an auction names none: the rule refuses it below)
        and agreement.counterparty(trade.seller_org_id, trade.buyer_org_id, principal.org.id)
        is None
    ):
        raise NotYourOrg("only the seller and the named buyer end a negotiation")
    authorize(principal, Action.trade_end)
    refusal = withdrawal.ending_refusal(await _standing(session, trade, []))
    if refusal:
        raise NotNegotiating(refusal)
    trade.status, trade.closed_at = TradeStatus.ended, now
    index = await record_event(
        session,
        trade,
        "trade.ended",
        {"by_org_id": principal.org.id, "by_user_id": principal.user.id},
        now,
    )
    await achievements.move_out_of_trade(
        session, trade.achievement_id, False, now, by=principal, reason="negotiation ended"
    )
    await session.flush()
    return trade, index
