"""What a viewer may see of a trade: the one view the API, the pages and the websocket's
snapshot share."""

from __future__ import annotations

from techmarket.accounts.policy import Principal
from techmarket.models.trade import Trade
from techmarket.trading import lifecycle
from techmarket.trading.schemas import TradeRead


def trade_view(
    trade: Trade, ledger_index: int | None = None, *, viewer: Principal | None = None
) -> TradeRead:
    """What ``viewer`` may see of a trade: the reserve and the priority holders only
    once the close revealed them (before that, the seller sees whom it named, a holder
    itself)."""
    closed = lifecycle.revealed_at_close(trade)
    return TradeRead(
        id=trade.id,
        achievement_id=trade.achievement_id,
        seller_org_id=trade.seller_org_id,
        buyer_org_id=trade.buyer_org_id,
        mode=str(trade.mode),
        status=str(trade.status),
        terms=trade.terms,
        reserve_commitment=trade.reserve_commitment,
        reserve_fen=(trade.reserve_fen or 0) if closed else None,
        reserve_salt=trade.reserve_salt if closed else None,
        priority_holder_org_ids=lifecycle.priority_holders_seen_by(viewer, trade),
        current_price_fen=trade.price_fen,
        leader_alias=trade.leader_alias,
        ends_at=trade.ends_at,
        notice_ends_at=trade.notice_ends_at,
        seq=trade.seq,
        ledger_index=ledger_index,
    )
