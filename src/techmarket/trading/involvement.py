"""The trades an organisation takes part in — as seller, as buyer or as a registered
bidder — and the step each one waits for, so its members see what needs them next."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.models.org import Role
from techmarket.models.trade import Trade, TradeMode, TradeStatus
from techmarket.trading import repository as repo


class Side(StrEnum):
    seller = "seller"
    buyer = "buyer"  # the named buyer of an agreement, or the winner of a deal
    bidder = "bidder"  # registered for an auction (or intent on a listing), not (yet) its buyer


@dataclass(frozen=True)
class Step:
    """What a trade waits for, as its party reads it, and whether that is the party."""

    text: str
    yours: bool
    done: bool = False  # the trade is over for this party


@dataclass(frozen=True)
class Involvement:
    trade: Trade
    title: str
    side: Side
    alias: str | None  # the bidder's 竞买号
    latest_offer_org_id: int | None
    contract_recorded: bool
    contract_registered: bool


CLOSED = {
    TradeStatus.unsold: "流拍",
    TradeStatus.cancelled: "已取消",
    TradeStatus.defaulted: "已违约",
    TradeStatus.rejected: "未获批准",
    TradeStatus.withdrawn: "已撤回",
    TradeStatus.ended: "谈判已结束",
    TradeStatus.stopped: "已停止许可",
}


def next_step(i: Involvement, org_id: int, roles: frozenset[str]) -> Step:
    """The step ``i`` waits for, as seen by organisation ``org_id`` (pure)."""
    t = i.trade
    if t.status in CLOSED:
        return Step(CLOSED[t.status], False, True)
    if t.status == TradeStatus.pending_approval:
        tto = Role.tto in roles
        return Step("待您审批（成果转化办公室）" if tto else "待成果转化办公室审批", tto)
    if t.status == TradeStatus.sold:
        if i.side == Side.bidder:
            return Step("未竞得", False, True)
        if not i.contract_recorded:
            return Step("待签约", True)
        if not i.contract_registered:
            return Step("待登记", True)
        return Step("已登记", False, True)
    if t.status == TradeStatus.notice:
        return Step("公示中", False)
    if t.status == TradeStatus.listed:
        return Step("挂牌中", False)
    if t.mode == TradeMode.express_licence:  # an offer: each take is a deal of its own
        return Step("一键许可中", False)
    if t.mode == TradeMode.agreement:
        if i.latest_offer_org_id is None:
            return Step("待出价", True)
        if i.latest_offer_org_id == org_id:
            return Step("待对方回应", False)
        return Step("待您还价", True)
    return Step("竞价中", i.side == Side.bidder)


def page_of(i: Involvement) -> str:
    """Where a party goes to act on the trade."""
    t = i.trade
    if t.status == TradeStatus.sold and i.side != Side.bidder:
        return f"/deals/{t.id}"
    if t.mode == TradeMode.agreement and i.side != Side.bidder:
        return f"/trades/{t.id}/negotiation"
    if t.mode == TradeMode.agreement:  # a competitor: its offer stands on the notice board
        return f"/notices#notice-{t.id}"
    return f"/trades/{t.id}"


async def trades_of(
    session: AsyncSession, principal: Principal, before_id: int | None, limit: int
) -> list[Involvement]:
    """The principal's organisation's trades, newest first (its own view: also those
    awaiting its TTO)."""
    authorize(principal, Action.listing_read_private, principal.org.id)
    org_id = principal.org.id
    found = []
    for trade, title, alias, latest, recorded, registered in await repo.trades_of(
        session, org_id, before_id, limit
    ):
        side = (
            Side.seller
            if trade.seller_org_id == org_id
            else Side.buyer
            if trade.buyer_org_id == org_id
            else Side.bidder
        )
        found.append(Involvement(trade, title, side, alias, latest, recorded, registered))
    return found
