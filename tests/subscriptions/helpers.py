"""Telling what was published, and reading what each user was told."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket.clock import FixedClock
from techmarket.models.notification import Notification
from techmarket.notify import feed


async def tell_all(sessionmaker: async_sessionmaker[AsyncSession], clock: FixedClock) -> None:
    """Run the feed until every ledger entry is told."""
    while await feed.step(sessionmaker, clock):
        pass


async def told(session: AsyncSession, user_id: int) -> list[Notification]:
    stmt = select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
    return list((await session.execute(stmt)).scalars())


def codes(notification: Notification) -> dict[str, Any]:
    return {r["code"]: r["detail"] for r in notification.reasons}
