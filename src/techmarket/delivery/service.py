"""Webhook endpoints: an organisation's admin registers, lists and removes them and reads
their delivery log; and the one-click unsubscribe from e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.config import Settings
from techmarket.delivery import repository as repo
from techmarket.delivery import unsubscribe, webhook
from techmarket.delivery.repository import Logged
from techmarket.delivery.rules import Status
from techmarket.errors import InvalidInput, NotFound
from techmarket.models.delivery import WebhookEndpoint
from techmarket.notify.kinds import Kind
from techmarket.pagination import decode_cursor, next_cursor


class WebhookNotFound(NotFound):
    code = "webhook_not_found"
    title = "No such webhook endpoint"


class WebhookUrlRefused(InvalidInput):
    code = "webhook_url_refused"
    title = "Webhooks cannot be sent to this address"


class UnsubscribeLinkInvalid(NotFound):
    code = "unsubscribe_link_invalid"
    title = "This unsubscribe link is not valid"


async def register(
    session: AsyncSession,
    principal: Principal,
    url: str,
    kinds: list[Kind],
    settings: Settings,
    now: datetime,
) -> WebhookEndpoint:
    """A new endpoint of the caller's organisation, with a new secret."""
    authorize(principal, Action.webhook_manage, principal.org.id)
    try:
        await webhook.check_reachable(url, settings.webhook_allow_private)
    except webhook.Unreachable as exc:
        raise WebhookUrlRefused(str(exc)) from None
    endpoint = WebhookEndpoint(
        org_id=principal.org.id,
        url=url,
        kinds=sorted(set(map(str, kinds))),
        secret=webhook.new_secret(),
        created_by=principal.user.id,
        created_at=now,
    )
    return await repo.add_endpoint(session, endpoint)


async def endpoints(
    session: AsyncSession, principal: Principal, cursor: str | None, limit: int
) -> tuple[list[WebhookEndpoint], str | None]:
    authorize(principal, Action.webhook_manage, principal.org.id)
    found = await repo.endpoints(session, principal.org.id, decode_cursor(cursor), limit)
    return found, next_cursor([e.id for e in found], limit)


async def endpoint(
    session: AsyncSession, principal: Principal, endpoint_id: int, lock: bool = False
) -> WebhookEndpoint:
    """One of the caller's organisation's endpoints; another's is not found."""
    authorize(principal, Action.webhook_manage, principal.org.id)
    found = await repo.endpoint(session, principal.org.id, endpoint_id, lock)
    if found is None:
        raise WebhookNotFound()
    return found


async def remove(
    session: AsyncSession, principal: Principal, endpoint_id: int, now: datetime
) -> None:
    found = await endpoint(session, principal, endpoint_id, lock=True)
    await repo.remove_endpoint(session, found.id, now)


@dataclass(frozen=True)
class LogEntry:
    logged: Logged
    next_attempt_at: datetime | None  # None once sent or given up


async def log(
    session: AsyncSession,
    principal: Principal,
    endpoint_id: int,
    cursor: str | None,
    limit: int,
) -> tuple[list[LogEntry], str | None]:
    """The endpoint's deliveries, newest first, with every attempt."""
    found = await endpoint(session, principal, endpoint_id)
    rows = await repo.log(session, found.id, decode_cursor(cursor), limit)
    entries = [
        LogEntry(
            r,
            r.delivery.next_attempt_at if r.delivery.status == Status.pending else None,
        )
        for r in rows
    ]
    return entries, next_cursor([r.delivery.id for r in rows], limit)


async def unsubscribed(session: AsyncSession, key: bytes, token: str) -> tuple[int, str]:
    """Who and which kind an unsubscribe link is for, if it is one of ours."""
    read = unsubscribe.read(key, token)
    if read is None or read[1] not in set(Kind) or not await repo.user_exists(session, read[0]):
        raise UnsubscribeLinkInvalid()
    return read


async def unsubscribe_email(session: AsyncSession, key: bytes, token: str) -> str:
    """Turn off e-mail of the link's kind for the link's user; returns the kind."""
    user_id, kind = await unsubscribed(session, key, token)
    await repo.email_off(session, user_id, kind)
    return kind
