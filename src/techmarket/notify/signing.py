"""Reminding both parties of a deal that its contract's signing deadline approaches (a
scheduler chore): once per deal, ``signing_reminder`` before the deadline."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action
from techmarket.config import get_settings
from techmarket.models.listing import Achievement
from techmarket.notify import audience, inbox
from techmarket.notify import repository as repo
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.notify.trades import seeing
from techmarket.web.display import local_time


async def remind_signing(session: AsyncSession, now: datetime) -> None:
    for trade, deadline in await repo.signing_due(session, now, get_settings().signing_reminder):
        achievement = await session.get(Achievement, trade.achievement_id)
        name = achievement.title if achievement else f"交易 #{trade.id}"
        check = audience.both(seeing(trade), audience.may(Action.contract_record))
        users = await audience.of_orgs(session, [trade.seller_org_id, trade.buyer_org_id], check)
        body = (
            f"「{name}」须在 {local_time(deadline)}（北京时间）前登记合同，逾期买方保证金将被没收。"
        )
        await inbox.deliver(
            session,
            [
                Draft(
                    user_id=user_id,
                    kind=Kind.signing,
                    subject=f"trade/{trade.id}",
                    title="签约期限临近",
                    body=body,
                    link=f"/deals/{trade.id}",
                    key=f"signing/{trade.id}/{deadline.isoformat()}",
                )
                for user_id in users
            ],
            now,
        )
