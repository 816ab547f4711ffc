"""SQL for the outbox of deliveries, their attempts and webhook endpoints."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, String, and_, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.delivery.rules import LEASE, Channel, Status
from techmarket.models.delivery import Delivery, DeliveryAttempt, WebhookEndpoint
from techmarket.models.notification import Notification, NotificationPreference
from techmarket.models.org import User

_INSERTED = (
    "notification_id",
    "channel",
    "endpoint_id",
    "target",
    "event",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


def _event() -> ColumnElement[str]:
    return func.concat(Notification.kind, ":", Notification.key)


async def enqueue_emails(
    session: AsyncSession, notification_ids: Sequence[int], emailed: Sequence[str], now: datetime
) -> None:
    """An e-mail for each of the notifications whose user wants its kind e-mailed: the
    user's choice, or without one, whether the kind is in ``emailed``."""
    wanted = func.coalesce(NotificationPreference.email, Notification.kind.in_(emailed))
    rows = (
        select(
            Notification.id,
            literal(Channel.email.value, String),
            literal(None, Integer),
            User.email,
            _event(),
            literal(Status.pending.value, String),
            literal(0, Integer),
            literal(now),
            literal(now),
        )
        .join(User, User.id == Notification.user_id)
        .outerjoin(
            NotificationPreference,
            and_(
                NotificationPreference.user_id == Notification.user_id,
                NotificationPreference.kind == Notification.kind,
            ),
        )
        .where(Notification.id.in_(notification_ids), User.is_active, wanted)
    )
    await session.execute(insert(Delivery).from_select(_INSERTED, rows))


async def enqueue_webhooks(
    session: AsyncSession, notification_ids: Sequence[int], now: datetime
) -> None:
    """One delivery per endpoint and event: an event told to several users of an
    organisation reaches each of its matching endpoints once."""
    rows = (
        select(
            Notification.id,
            literal(Channel.webhook.value, String),
            WebhookEndpoint.id,
            WebhookEndpoint.url,
            _event(),
            literal(Status.pending.value, String),
            literal(0, Integer),
            literal(now),
            literal(now),
        )
        .join(User, User.id == Notification.user_id)
        .join(
            WebhookEndpoint,
            and_(
                WebhookEndpoint.org_id == User.org_id,
                WebhookEndpoint.removed_at.is_(None),
                Notification.kind == func.any(WebhookEndpoint.kinds),
            ),
        )
        .where(Notification.id.in_(notification_ids))
        .order_by(Notification.id)
    )
    # the users' notifications of one event after the first conflict with it: skipped
    stmt = insert(Delivery).from_select(_INSERTED, rows).on_conflict_do_nothing()
    await session.execute(stmt)


@dataclass(frozen=True)
class Claimed:
    """A delivery this process now holds, with what it needs to send it."""

    delivery: Delivery
    notification: Notification
    secret: str | None  # the endpoint's, for a webhook


async def skip_emails(session: AsyncSession) -> None:
    """Without an SMTP server, the e-mails waiting are not sent (nor later, when one is
    configured: they would arrive late and all at once)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.status == Status.pending, Delivery.channel == Channel.email)
        .values(status=Status.skipped, last_error="no SMTP server configured")
    )


async def claim(
    session: AsyncSession, now: datetime, limit: int, channels: Sequence[Channel]
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries by ``channels`` that no live claim holds,
    counting the attempt. Rows another process is claiming now are skipped, not awaited."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.status == Status.pending,
            Delivery.channel.in_(channels),
            Delivery.next_attempt_at <= now,
            or_(Delivery.leased_until.is_(None), Delivery.leased_until <= now),
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken = (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(leased_until=now + LEASE, attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
    )
    ids = list((await session.execute(taken)).scalars())
    if not ids:
        return []
    stmt = (
        select(Delivery, Notification, WebhookEndpoint.secret)
        .join(Notification, Notification.id == Delivery.notification_id)
        .outerjoin(WebhookEndpoint, WebhookEndpoint.id == Delivery.endpoint_id)
        .where(Delivery.id.in_(ids))
        .order_by(Delivery.id)
        .execution_options(populate_existing=True)
    )
    return [Claimed(d, n, secret) for d, n, secret in (await session.execute(stmt)).all()]


async def record(
    session: AsyncSession,
    delivery_id: int,
    at: datetime,
    status: Status,
    next_attempt_at: datetime | None,
    status_code: int | None,
    error: str | None,
) -> None:
    """An attempt's outcome: in the log, and on the delivery (its claim released)."""
    session.add(
        DeliveryAttempt(delivery_id=delivery_id, at=at, status_code=status_code, error=error)
    )
    values: dict[str, object] = {"status": status, "leased_until": None, "last_error": error}
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    if status == Status.sent:
        values["sent_at"] = at
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


async def email_off(session: AsyncSession, user_id: int, kind: str) -> None:
    """The user's choice not to be e-mailed about ``kind``; no e-mail still queued for
    that kind is sent."""
    stmt = insert(NotificationPreference).values(user_id=user_id, kind=kind, email=False)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["user_id", "kind"], set_={"email": stmt.excluded.email}
        )
    )
    told = select(Notification.id).where(Notification.user_id == user_id, Notification.kind == kind)
    await session.execute(
        update(Delivery)
        .where(
            Delivery.channel == Channel.email,
            Delivery.status == Status.pending,
            Delivery.notification_id.in_(told),
        )
        .values(status=Status.skipped, last_error="unsubscribed")
    )


async def user_exists(session: AsyncSession, user_id: int) -> bool:
    return await session.get(User, user_id) is not None


# Webhook endpoints


async def add_endpoint(session: AsyncSession, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    session.add(endpoint)
    await session.flush()
    return endpoint


async def endpoint(
    session: AsyncSession, org_id: int, endpoint_id: int, lock: bool = False
) -> WebhookEndpoint | None:
    """An endpoint of organisation ``org_id`` not removed; another's does not exist."""
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id,
        WebhookEndpoint.org_id == org_id,
        WebhookEndpoint.removed_at.is_(None),
    )
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def endpoints(
    session: AsyncSession, org_id: int, after: int | None, limit: int
) -> list[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).where(
        WebhookEndpoint.org_id == org_id, WebhookEndpoint.removed_at.is_(None)
    )
    if after is not None:
        stmt = stmt.where(WebhookEndpoint.id > after)
    stmt = stmt.order_by(WebhookEndpoint.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def remove_endpoint(session: AsyncSession, endpoint_id: int, now: datetime) -> None:
    """Remove it; what was still to be sent to it is given up."""
    await session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id).values(removed_at=now)
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.endpoint_id == endpoint_id, Delivery.status == Status.pending)
        .values(status=Status.failed, last_error="endpoint removed")
    )


@dataclass(frozen=True)
class Logged:
    delivery: Delivery
    notification: Notification
    attempts: list[DeliveryAttempt]


async def log(
    session: AsyncSession, endpoint_id: int, before: int | None, limit: int
) -> list[Logged]:
    """The endpoint's deliveries, newest first, each with its attempts."""
    stmt = (
        select(Delivery, Notification)
        .join(Notification, Notification.id == Delivery.notification_id)
        .where(Delivery.endpoint_id == endpoint_id)
    )
    if before is not None:
        stmt = stmt.where(Delivery.id < before)
    rows = (await session.execute(stmt.order_by(Delivery.id.desc()).limit(limit))).all()
    attempts: dict[int, list[DeliveryAttempt]] = defaultdict(list)
    if rows:
        tried = select(DeliveryAttempt).where(
            DeliveryAttempt.delivery_id.in_([d.id for d, _ in rows])
        )
        for attempt in (await session.execute(tried.order_by(DeliveryAttempt.id))).scalars():
            attempts[attempt.delivery_id].append(attempt)
    return [Logged(d, n, attempts[d.id]) for d, n in rows]
