"""Who is told that something awaits their approval: an institution's TTO of its
achievements and trades, the platform operator of organisations to review. What was
decided before the feed told it (a demo loaded at once) no longer awaits anyone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action
from techmarket.listings import achievements
from techmarket.models.listing import Achievement, AchievementStatus
from techmarket.models.org import Organisation, OrgStatus
from techmarket.models.trade import TradeStatus
from techmarket.notify import audience
from techmarket.notify.audience import Message, drafts
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.notify.trades import seeing, trade_and_title
from techmarket.web.labels import label


async def achievement_submitted(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    achievement = await session.get(Achievement, data["achievement_id"])
    if achievement is None or achievement.status != AchievementStatus.pending_approval:
        return []
    check = audience.both(
        audience.may(Action.listing_approve, achievement.org_id),
        lambda principal: achievements.visible(principal, achievement),
    )
    body = f"「{achievement.title}」已提交内部审批，请审核后发布或退回。"
    message = Message(Kind.approval, f"achievement/{achievement.id}", "成果待您审批", body, "/tto")
    return drafts(message, await audience.of_orgs(session, [achievement.org_id], check), index)


async def trade_submitted(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    trade, name = await trade_and_title(session, data["trade_id"])
    if trade.status != TradeStatus.pending_approval:
        return []
    check = audience.both(audience.may(Action.listing_approve, trade.seller_org_id), seeing(trade))
    body = f"「{name}」的{label(trade.mode)}待您批准交易方式和价格。"
    message = Message(Kind.approval, f"trade/{trade.id}", "交易待您审批", body, "/tto")
    return drafts(message, await audience.of_orgs(session, [trade.seller_org_id], check), index)


async def org_registered(
    session: AsyncSession, index: int, data: dict[str, Any]
) -> Sequence[Draft]:
    org = await session.get(Organisation, data["org_id"])
    if org is None or org.status != OrgStatus.pending:
        return []
    body = f"「{org.name}」（{label(org.kind)}）已注册，请审核认证。"
    message = Message(Kind.approval, f"org/{org.id}", "新机构待审核", body, "/operator")
    return drafts(message, await audience.operators(session, Action.org_review), index)
