"""Who is told of an auction's or a listing's events, and what: the bidders (and the
brokers who bid for them) and the seller, each as the trade's page shows it to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.listing import Achievement
from techmarket.models.org import Organisation, User
from techmarket.models.trade import Registration, Trade, TradeMode
from techmarket.notify import audience
from techmarket.notify import repository as repo
from techmarket.notify.audience import Message, drafts
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.trading import lifecycle
from techmarket.web.display import local_time, yuan


async def trade_and_title(session: AsyncSession, trade_id: int) -> tuple[Trade, str]:
    trade = await session.get(Trade, trade_id)
    assert trade is not None, f"trade {trade_id} is on the ledger"
    achievement = await session.get(Achievement, trade.achievement_id)
    return trade, achievement.title if achievement else f"交易 #{trade_id}"


def seeing(trade: Trade) -> audience.Check:
    """Those who may see the trade, as its page decides."""
    return lambda principal: lifecycle.visible(principal, trade)


async def _bidder(
    session: AsyncSession, trade: Trade, org_id: int, broker_user_id: int | None
) -> list[int]:
    """A bidding organisation's users, and the broker who acted for it."""
    check = seeing(trade)
    return [
        *await audience.of_orgs(session, [org_id], check),
        *await audience.brokers(session, [broker_user_id], check),
    ]


def _message(kind: Kind, trade: Trade, title: str, body: str) -> Message:
    return Message(kind, f"trade/{trade.id}", title, body, f"/trades/{trade.id}")


async def outbid(session: AsyncSession, told: Sequence[tuple[int, dict[str, Any]]]) -> list[Draft]:
    """For each bid entry (index, data): the organisation that led until the bid, if
    another now leads. Many entries at once, in as many statements as one."""
    leaders = await repo.leaders_at(session, [(data["trade_id"], index) for index, data in told])
    moved = [
        (index, data, before)
        for index, data in told
        if (pair := leaders.get(index)) and (before := pair[1]) and before[0] != pair[0][0]
    ]
    if not moved:
        return []
    titled = await repo.trades_titled(session, {data["trade_id"] for _, data, _ in moved})
    members: dict[int, list[tuple[User, Organisation]]] = {}
    for user, org in await repo.members(session, {org_id for _, _, (org_id, _) in moved}):
        members.setdefault(org.id, []).append((user, org))
    brokers = {u.id: (u, o) for u, o in await repo.users(session, {b for *_, (_, b) in moved if b})}
    out: list[Draft] = []
    for index, data, (org_id, broker_user_id) in moved:
        trade, title = titled[data["trade_id"]]
        name = title or f"交易 #{trade.id}"
        acting = [brokers[broker_user_id]] if broker_user_id in brokers else []
        users = audience.passing([*members.get(org_id, []), *acting], seeing(trade))
        body = f"「{name}」的最高出价现为 {yuan(data['amount_fen'])}。"
        out += drafts(_message(Kind.outbid, trade, "您的出价已被超过", body), users, index)
    return out


async def extended(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The leader, whose win moves away: a bid near the end extended the auction."""
    leader = await repo.leaders_before(session, data["trade_id"], index)
    if leader is None:
        return []
    trade, name = await trade_and_title(session, data["trade_id"])
    ends_at = local_time(datetime.fromisoformat(data["ends_at"]))
    body = f"您领先的「{name}」已延时，现于 {ends_at}（北京时间）结束。"
    message = _message(Kind.extended, trade, "您领先的拍卖已延时", body)
    return drafts(message, await _bidder(session, trade, *leader), index)


async def closed(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """Every bidder (won or not) and the seller, with the result each may know: the
    price and the winner's alias are public from the close."""
    trade, name = await trade_and_title(session, data["trade_id"])
    registrations = await repo.registrations(session, trade.id)
    sold = data["result"] == "sold"
    price = yuan(data["final_price_fen"])
    told: list[Draft] = []
    for r in registrations:
        if r.alias == data["winner_alias"]:
            title, body = "您已竞得", f"您以 {price} 竞得「{name}」，请在签约期限内登记合同。"
        elif sold:
            title, body = "竞价已结束，您未竞得", f"「{name}」以 {price} 成交，您的保证金将退还。"
        else:
            title, body = "竞价已结束，流拍", f"「{name}」未成交（流拍），您的保证金将退还。"
        users = await _bidder(session, trade, r.org_id, r.broker_user_id)
        told += drafts(_message(Kind.closed, trade, title, body), users, index)
    if sold:
        title, body = "您的交易已成交", f"「{name}」以 {price} 成交，请与买方登记合同。"
    else:
        title, body = "您的交易未成交", f"「{name}」未成交（流拍），成果可重新挂出。"
    sellers = await audience.of_orgs(session, [trade.seller_org_id], seeing(trade))
    return told + list(drafts(_message(Kind.closed, trade, title, body), sellers, index))


async def _registration(session: AsyncSession, trade_id: int, alias: str) -> Registration:
    found = next((r for r in await repo.registrations(session, trade_id) if r.alias == alias), None)
    assert found is not None, f"alias {alias} of trade {trade_id} is registered"
    return found


async def registered(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The organisation that registered to bid (or its intent to buy), and its broker."""
    trade, name = await trade_and_title(session, data["trade_id"])
    r = await _registration(session, trade.id, data["alias"])
    what = "购买意向已登记" if trade.mode == TradeMode.listed else "竞买报名成功"
    body = f"「{name}」：您的竞买号为 {r.alias}，保证金 {yuan(r.deposit_fen)} 已冻结。"
    users = await _bidder(session, trade, r.org_id, r.broker_user_id)
    return drafts(_message(Kind.registered, trade, what, body), users, index)


DEPOSIT_MOVES = {
    "released": "已退还",
    "applied": "已抵作价款",
    "forfeited": "因未按期登记合同被没收",
}


async def deposit(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The organisation whose deposit moved (held is told as the registration)."""
    move = DEPOSIT_MOVES.get(data["deposit"])
    if move is None:
        return []
    trade, name = await trade_and_title(session, data["trade_id"])
    r = await _registration(session, trade.id, data["alias"])
    body = f"「{name}」：竞买号 {r.alias} 的保证金 {yuan(data['deposit_fen'])} {move}。"
    users = await _bidder(session, trade, r.org_id, r.broker_user_id)
    return drafts(_message(Kind.deposit, trade, f"保证金{move}", body), users, index)
