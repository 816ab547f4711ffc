"""SQL for notifications, preferences and the feed's place in the ledger, and what the
tellers read of the objects an entry is about."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Text,
    any_,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.listing import Achievement
from techmarket.models.notification import Notification, NotificationFeed, NotificationPreference
from techmarket.models.org import Organisation, OrgKind, User
from techmarket.models.trade import Bid, Registration, Trade
from techmarket.trading import repository as trades


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


async def members(
    session: AsyncSession, org_ids: Collection[int]
) -> list[tuple[User, Organisation]]:
    """The active users of the organisations ``org_ids``, with their organisation."""
    stmt = (
        select(User, Organisation)
        .join(Organisation, Organisation.id == User.org_id)
        .where(User.org_id.in_(list(org_ids)), User.is_active)
        .order_by(User.id)
    )
    return [(u, o) for u, o in (await session.execute(stmt)).all()]


async def operator_orgs(session: AsyncSession) -> list[int]:
    stmt = select(Organisation.id).where(Organisation.kind == OrgKind.operator)
    return list((await session.execute(stmt)).scalars())


async def users(
    session: AsyncSession, user_ids: Collection[int]
) -> list[tuple[User, Organisation]]:
    """The active users ``user_ids`` (e.g. brokers who acted for a client), with their own
    organisation."""
    stmt = (
        select(User, Organisation)
        .join(Organisation, Organisation.id == User.org_id)
        .where(User.id.in_(list(user_ids)), User.is_active)
        .order_by(User.id)
    )
    return [(u, o) for u, o in (await session.execute(stmt)).all()]


async def leaders_before(
    session: AsyncSession, trade_id: int, ledger_index: int
) -> tuple[int, int | None] | None:
    """The organisation whose bid led the trade just before the entry ``ledger_index``,
    and the broker who placed that bid for it (None: its own users did)."""
    stmt = (
        select(Registration.org_id, Bid.broker_user_id)
        .join(Bid, Bid.registration_id == Registration.id)
        .where(Bid.trade_id == trade_id, Bid.ledger_index < ledger_index)
        .order_by(Bid.seq.desc())  # as ledger order within a trade, and indexed
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row.org_id, row.broker_user_id)


Leader = tuple[int, int | None]  # the leading organisation, and the broker who bid for it


async def leaders_at(
    session: AsyncSession, bids: Collection[tuple[int, int]]
) -> dict[int, tuple[Leader, Leader | None]]:
    """For each bid entry (trade, ledger index): the bid's own organisation and broker,
    and who led just before it (None: no one), by entry index; one statement."""
    trade_ids, indexes = zip(*bids, strict=True) if bids else ((), ())
    entry = select(
        func.unnest(bindparam("trades", list(trade_ids), type_=ARRAY(BigInteger))).label("trade"),
        func.unnest(bindparam("indexes", list(indexes), type_=ARRAY(BigInteger))).label("idx"),
    ).subquery()
    last_two = (
        select(Registration.org_id, Bid.broker_user_id, Bid.seq)
        .join(Bid, Bid.registration_id == Registration.id)
        .where(Bid.trade_id == entry.c.trade, Bid.ledger_index <= entry.c.idx)
        .order_by(Bid.seq.desc())  # as ledger order within a trade, and indexed
        .limit(2)
        .lateral()
    )
    stmt = (
        select(entry.c.idx, last_two.c.org_id, last_two.c.broker_user_id)
        .select_from(entry.join(last_two, true()))
        .order_by(entry.c.idx, last_two.c.seq.desc())
    )
    found: dict[int, list[Leader]] = {}
    for idx, org_id, broker_user_id in (await session.execute(stmt)).all():
        found.setdefault(idx, []).append((org_id, broker_user_id))
    return {idx: (pair[0], pair[1] if len(pair) > 1 else None) for idx, pair in found.items()}


async def trades_titled(
    session: AsyncSession, trade_ids: Collection[int]
) -> dict[int, tuple[Trade, str | None]]:
    """The trades ``trade_ids`` and their achievements' titles; one statement."""
    ids = bindparam("ids", sorted(trade_ids), type_=ARRAY(BigInteger))
    stmt = (
        select(Trade, Achievement.title)
        .outerjoin(Achievement, Achievement.id == Trade.achievement_id)
        .where(Trade.id == any_(ids))
    )
    return {trade.id: (trade, title) for trade, title in (await session.execute(stmt)).all()}


async def registrations(session: AsyncSession, trade_id: int) -> list[Registration]:
    stmt = select(Registration).where(Registration.trade_id == trade_id).order_by(Registration.id)
    return list((await session.execute(stmt)).scalars())


async def signing_due(
    session: AsyncSession, now: datetime, before: timedelta
) -> list[tuple[Trade, datetime]]:
    """The deals whose signing deadline is at most ``before`` away and not yet passed,
    whose parties were not reminded of it, with the deadline."""
    deadline = trades.signing_deadline()
    reminded = exists().where(
        Notification.subject == func.concat("trade/", Trade.id),
        # Written out, not bound, so that the partial index on reminders serves it.
        Notification.kind == literal_column("'signing'"),
    )
    stmt = (
        trades.unsigned_deals()
        .add_columns(deadline)
        .where(deadline > now, deadline - before <= now, ~reminded)
        .order_by(Trade.id)
    )
    return [(t, d) for t, d in (await session.execute(stmt)).all()]


async def page(
    session: AsyncSession, user_id: int, before_id: int | None, unread: bool, limit: int
) -> list[Notification]:
    """A user's notifications, newest first, below ``before_id``."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.id.desc()).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def unread_count(session: AsyncSession, user_id: int) -> int:
    stmt = select(func.count()).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    return int(await session.scalar(stmt) or 0)


async def mark_read(
    session: AsyncSession, user_id: int, now: datetime, notification_id: int | None = None
) -> int:
    """Mark one of the user's notifications read (or all of them); returns how many
    were found (read before or not)."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user_id)
        .values(read_at=func.coalesce(Notification.read_at, now))
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    else:
        stmt = stmt.where(Notification.read_at.is_(None))
    result = await session.execute(stmt)
    return int(result.rowcount)  # type: ignore[attr-defined]


async def preferences(session: AsyncSession, user_id: int) -> dict[str, bool]:
    """The kinds the user chose about: whether to e-mail each."""
    stmt = select(NotificationPreference.kind, NotificationPreference.email).where(
        NotificationPreference.user_id == user_id
    )
    return {kind: email for kind, email in (await session.execute(stmt)).all()}


async def set_preferences(session: AsyncSession, user_id: int, choices: dict[str, bool]) -> None:
    if not choices:
        return
    stmt = insert(NotificationPreference).values(
        [{"user_id": user_id, "kind": k, "email": e} for k, e in choices.items()]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "kind"], set_={"email": stmt.excluded.email}
    )
    await session.execute(stmt)
