"""Who is told of a trade's events, and what."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.notify import repository as repo
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.web.display import yuan


async def outbid(session: AsyncSession, index: int, data: dict[str, Any]) -> Sequence[Draft]:
    """The organisation that led until this bid, if another now leads."""
    trade_id = data["trade_id"]
    before = await repo.leader_before(session, trade_id, index)
    if before is None or before == await repo.leader_before(session, trade_id, index + 1):
        return []
    return [
        Draft(
            user_id=user_id,
            kind=Kind.outbid,
            subject=f"trade/{trade_id}",
            title="您的出价已被超过",
            body=f"交易 #{trade_id} 的最高出价现为 {yuan(data['amount_fen'])}。",
            link=f"/trades/{trade_id}",
            key=f"ledger/{index}",
            ledger_index=index,
        )
        for user_id in await repo.active_users(session, before)
    ]
