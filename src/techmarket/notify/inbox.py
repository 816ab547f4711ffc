"""Putting notifications in users' inboxes (every channel starts from here), and what a
user reads of their own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.delivery import outbox
from techmarket.errors import NotFound
from techmarket.models.notification import Notification
from techmarket.notify import live
from techmarket.notify import repository as repo
from techmarket.notify.kinds import ABOUT, Kind


@dataclass(frozen=True)
class Draft:
    """A notification before it is stored. ``key`` is unique per user for what it tells
    (e.g. ``ledger/<index>``): a draft told twice is stored once."""

    user_id: int
    kind: Kind
    subject: str
    title: str
    body: str
    link: str
    key: str
    ledger_index: int | None = None
    reasons: Sequence[Any] = field(default_factory=tuple)


async def deliver(
    session: AsyncSession, drafts: Sequence[Draft], now: datetime
) -> list[Notification]:
    """Store ``drafts`` in their users' inboxes in the caller's transaction; returns those
    not told before."""
    rows = [
        {
            "user_id": d.user_id,
            "kind": str(d.kind),
            "subject": d.subject,
            "title": d.title,
            "body": d.body,
            "link": d.link,
            "reasons": list(d.reasons),
            "ledger_index": d.ledger_index,
            "key": d.key,
            "created_at": now,
        }
        for d in drafts
    ]
    told = await repo.add(session, rows)
    await live.announce(session, {n.user_id for n in told})
    await outbox.enqueue(session, told, now)
    return told


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    title = "No such notification (or not yours)"


async def page(
    session: AsyncSession, user_id: int, before_id: int | None, unread: bool, limit: int
) -> list[Notification]:
    """The user's own notifications, newest first."""
    return await repo.page(session, user_id, before_id, unread, limit)


async def unread(session: AsyncSession, user_id: int) -> int:
    return await repo.unread_count(session, user_id)


async def read(session: AsyncSession, user_id: int, notification_id: int, now: datetime) -> None:
    """Mark one of the user's notifications read; another's does not exist for it."""
    if not await repo.mark_read(session, user_id, now, notification_id):
        raise NotificationNotFound()


async def read_all(session: AsyncSession, user_id: int, now: datetime) -> int:
    return await repo.mark_read(session, user_id, now)


async def preferences(session: AsyncSession, user_id: int) -> dict[Kind, bool]:
    """Whether each kind is e-mailed to the user: its choice, or the kind's default."""
    chosen = await repo.preferences(session, user_id)
    return {kind: chosen.get(kind, about.email) for kind, about in ABOUT.items()}


async def choose(session: AsyncSession, user_id: int, email: Mapping[Kind, bool]) -> None:
    await repo.set_preferences(session, user_id, {str(k): v for k, v in email.items()})
