"""SQL for notifications and the feed's place in the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.notification import Notification, NotificationFeed
from techmarket.models.org import User
from techmarket.models.trade import Bid, Registration


async def take_feed(session: AsyncSession) -> int | None:
    """The feed's position, locked until the transaction ends; None while another
    process holds it (that process is telling the same entries)."""
    stmt = select(NotificationFeed.position).with_for_update(skip_locked=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def move_feed(session: AsyncSession, position: int) -> None:
    await session.execute(update(NotificationFeed).values(position=position))


async def add(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Notification]:
    """Insert ``rows``, skipping any the user was already told (same key); returns the new."""
    if not rows:
        return []
    # Rows as parameters, not in the statement: SQLAlchemy sends them in batches within
    # the driver's limit on parameters, so a push to 10,000 users is one call.
    stmt = (
        insert(Notification)
        .on_conflict_do_nothing(constraint="uq_notifications_user_key")
        .returning(Notification)
    )
    return list(await session.scalars(stmt, list(rows)))


async def active_users(session: AsyncSession, org_id: int) -> list[int]:
    stmt = select(User.id).where(User.org_id == org_id, User.is_active).order_by(User.id)
    return list((await session.execute(stmt)).scalars())


async def leader_before(session: AsyncSession, trade_id: int, ledger_index: int) -> int | None:
    """The organisation whose bid led the trade just before the entry ``ledger_index``."""
    stmt = (
        select(Registration.org_id)
        .join(Bid, Bid.registration_id == Registration.id)
        .where(Bid.trade_id == trade_id, Bid.ledger_index < ledger_index)
        .order_by(Bid.ledger_index.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
