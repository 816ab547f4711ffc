"""The daily digest: matches kept for a user (asked for daily, or beyond the day's cap)
gathered into one notification a day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.subscription import PendingPush
from techmarket.notify import inbox
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind
from techmarket.subscriptions import repository as repo
from techmarket.subscriptions import rules


async def send_digests(session: AsyncSession, now: datetime) -> None:
    """Once a day, each user with kept matches from before today gets one digest of
    them (key ``digest/<date>``); a user told today's digest already keeps the rest for
    tomorrow's, so nothing kept is lost."""
    waiting = await repo.waiting(session, rules.day_start(now))
    if not waiting:
        return
    by_user: dict[int, list[PendingPush]] = {}
    for p in waiting:
        by_user.setdefault(p.user_id, []).append(p)
    key = f"digest/{rules.day_of(now).isoformat()}"
    told = await inbox.deliver(
        session,
        [
            Draft(
                user_id=user_id,
                kind=Kind.push_digest,
                subject="subscriptions",
                title=f"订阅摘要：{len(items)} 条新匹配",
                body=rules.digest_body([{"title": p.title, "link": p.link} for p in items]),
                link="/my/subscriptions",
                key=key,
                reasons=[{"title": p.title, "link": p.link, "reasons": p.reasons} for p in items],
            )
            for user_id, items in by_user.items()
        ],
        now,
    )
    users = {n.user_id for n in told}
    await repo.mark_told(session, [p.id for p in waiting if p.user_id in users], key)
