"""Putting notifications in users' inboxes: every channel starts from here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.delivery import outbox
from techmarket.models.notification import Notification
from techmarket.notify import repository as repo
from techmarket.notify.kinds import Kind


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
    await outbox.enqueue(session, told, now)
    return told
