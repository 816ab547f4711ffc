"""The outbox: what is to be e-mailed and sent to webhooks, written in the transaction
that stores the notifications, so that nothing told is lost and nothing rolled back is
sent. The senders (``worker``) take it from there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.delivery import repository as repo
from techmarket.models.notification import Notification
from techmarket.notify.kinds import ABOUT

# The kinds e-mailed to a user who has not chosen.
EMAILED_BY_DEFAULT: tuple[str, ...] = tuple(str(k) for k, about in ABOUT.items() if about.email)


async def enqueue(session: AsyncSession, told: Sequence[Notification], now: datetime) -> None:
    """Queue the e-mails and webhook deliveries of the notifications just stored."""
    if not told:
        return
    ids = [n.id for n in told]
    await repo.enqueue_emails(session, ids, EMAILED_BY_DEFAULT, now)
    await repo.enqueue_webhooks(session, ids, now)
