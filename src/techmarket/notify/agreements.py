"""Who is told of an agreement's negotiation and public notice: the other party of an
offer, both parties of a notice, and of an objection the parties, the objector and (to
rule on it) the operator."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action
from techmarket.models.trade import Objection, ObjectionStatus, Offer, Trade
from techmarket.notify import audience
from techmarket.notify.audience import Message, drafts
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.notify.trades import seeing, trade_and_title
from techmarket.trading.rules import agreement
from techmarket.web.display import local_time, yuan


async def _parties(session: AsyncSession, trade: Trade, *others: int | None) -> list[int]:
    """The seller's and the buyer's users (and ``others``') who negotiate and see it."""
    check = audience.both(seeing(trade), audience.may(Action.trade_negotiate))
    orgs = [trade.seller_org_id, trade.buyer_org_id, *others]
    return await audience.of_orgs(session, orgs, check)


def _message(kind: Kind, trade: Trade, title: str, body: str) -> Message:
    return Message(kind, f"trade/{trade.id}", title, body, f"/trades/{trade.id}/negotiation")


async def offer(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The other party of the negotiation: an offer or counter-offer awaits its answer."""
    trade, name = await trade_and_title(session, data["trade_id"])
    made = await session.get(Offer, data["offer_id"])
    if trade.buyer_org_id is None or made is None:
        return []
    other = agreement.counterparty(trade.seller_org_id, trade.buyer_org_id, data["org_id"])
    if other is None:
        return []
    body = f"「{name}」：对方报价 {yuan(made.price_fen)}，请接受或还价。"
    check = audience.both(seeing(trade), audience.may(Action.trade_negotiate))
    users = await audience.of_orgs(session, [other], check)
    return drafts(_message(Kind.offer, trade, "收到新的报价", body), users, index)


async def notice_opened(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    trade, name = await trade_and_title(session, data["trade_id"])
    ends_at = local_time(datetime.fromisoformat(data["notice_ends_at"]))
    body = f"「{name}」以 {yuan(data['price_fen'])} 进入公示，公示期至 {ends_at}（北京时间）。"
    message = Message(Kind.notice, f"trade/{trade.id}", "您的交易进入公示", body, "/notices")
    return drafts(message, await _parties(session, trade), index)


async def objection_raised(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    """The parties (their deal is held up) and the operator, who rules on it."""
    trade, name = await trade_and_title(session, data["trade_id"])
    body = f"公示中的「{name}」收到异议，待平台裁定；异议成立则交易取消。"
    told = drafts(
        _message(Kind.objection, trade, "您的交易收到异议", body),
        await _parties(session, trade),
        index,
    )
    objection = await session.get(Objection, data["objection_id"])
    if objection is None or objection.status != ObjectionStatus.raised:
        return told  # ruled already: nothing awaits the operator
    queue = Message(
        Kind.approval,
        f"trade/{trade.id}",
        "有异议待裁定",
        f"公示中的「{name}」收到异议，请裁定。",
        "/operator/objections",
    )
    return [*told, *drafts(queue, await audience.operators(session, Action.objection_rule), index)]


async def objection_resolved(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    """The parties and the objector."""
    trade, name = await trade_and_title(session, data["trade_id"])
    objection = await session.get(Objection, data["objection_id"])
    objector = objection.org_id if objection else None
    if data["ruling"] == "upheld":
        title, body = "异议成立，交易取消", f"对「{name}」的异议成立，交易已取消，保证金退还。"
    else:
        title, body = "异议被驳回", f"对「{name}」的异议被驳回，公示继续。"
    users = await audience.of_orgs(
        session, [trade.seller_org_id, trade.buyer_org_id, objector], seeing(trade)
    )
    return drafts(_message(Kind.objection, trade, title, body), users, index)
