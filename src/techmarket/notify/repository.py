"""SQL for notifications and the feed's place in the ledger."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, DateTime, Text, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
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


# Each column's values as one array parameter, zipped back into rows by unnest: one
# statement of ten parameters however many rows (a push may reach 10,000 users at once).
_ADD = text(
    "INSERT INTO notifications"
    " (user_id, kind, subject, title, body, link, reasons, ledger_index, key, created_at)"
    " SELECT user_id, kind, subject, title, body, link, reasons::jsonb, ledger_index, key,"
    " created_at FROM unnest(:user_id, :kind, :subject, :title, :body, :link, :reasons,"
    " :ledger_index, :key, :created_at)"
    " AS row (user_id, kind, subject, title, body, link, reasons, ledger_index, key, created_at)"
    " ON CONFLICT ON CONSTRAINT uq_notifications_user_key DO NOTHING RETURNING notifications.*"
).bindparams(
    bindparam("user_id", type_=ARRAY(BigInteger)),
    bindparam("ledger_index", type_=ARRAY(BigInteger)),
    bindparam("created_at", type_=ARRAY(DateTime(timezone=True))),
    *(bindparam(c, type_=ARRAY(Text)) for c in ("kind", "subject", "title", "body", "link")),
    bindparam("reasons", type_=ARRAY(Text)),  # JSON text, read as jsonb
    bindparam("key", type_=ARRAY(Text)),
)
_COLUMNS: tuple[str, ...] = (
    *("user_id", "kind", "subject", "title", "body", "link", "reasons", "ledger_index"),
    *("key", "created_at"),
)


async def add(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Notification]:
    """Insert ``rows``, skipping any the user was already told (same key); returns the new."""
    if not rows:
        return []
    values = {c: [r[c] for r in rows] for c in _COLUMNS}
    values["reasons"] = [json.dumps(r, ensure_ascii=False) for r in values["reasons"]]
    stmt = select(Notification).from_statement(_ADD)
    return list(await session.scalars(stmt, values))


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
