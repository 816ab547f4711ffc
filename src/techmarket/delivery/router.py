"""Webhook endpoints over HTTP: ``/api/v1/webhooks`` (an organisation's admin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from techmarket.db import Session
from techmarket.delivery import service
from techmarket.delivery.schemas import (
    AttemptRead,
    DeliveryRead,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
)
from techmarket.deps import AppSettings, Authenticated, Now
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1/webhooks", tags=["webhooks"])

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


def delivery_read(entry: service.LogEntry) -> DeliveryRead:
    d, n = entry.logged.delivery, entry.logged.notification
    return DeliveryRead(
        id=d.id,
        webhook_id=f"msg_{d.message_id.hex}",
        kind=n.kind,
        title=n.title,
        status=d.status,
        attempts=[AttemptRead.model_validate(a) for a in entry.logged.attempts],
        next_attempt_at=entry.next_attempt_at,
        last_error=d.last_error,
        created_at=d.created_at,
        sent_at=d.sent_at,
    )


@router.post("", response_model=WebhookCreated, status_code=status.HTTP_201_CREATED)
async def create_webhook(
    data: WebhookCreate,
    session: Session,
    principal: Authenticated,
    settings: AppSettings,
    now: Now,
) -> WebhookCreated:
    """Register an endpoint for the caller's organisation: each notification of one of
    ``kinds`` told to its users is POSTed there once, signed with the secret returned
    (only here: it is not shown again)."""
    found = await service.register(session, principal, data.url, data.kinds, settings, now)
    return WebhookCreated(**WebhookRead.model_validate(found).model_dump(), secret=found.secret)


@router.get("", response_model=Page[WebhookRead])
async def list_webhooks(
    session: Session,
    principal: Authenticated,
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[WebhookRead]:
    """The caller's organisation's endpoints, oldest first."""
    found, more = await service.endpoints(session, principal, cursor, limit)
    return Page(items=[WebhookRead.model_validate(e) for e in found], next_cursor=more)


@router.get("/{webhook_id}", response_model=WebhookRead)
async def get_webhook(webhook_id: Id, session: Session, principal: Authenticated) -> WebhookRead:
    return WebhookRead.model_validate(await service.endpoint(session, principal, webhook_id))


@router.delete("/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def delete_webhook(
    webhook_id: Id, session: Session, principal: Authenticated, now: Now
) -> Response:
    """Remove the endpoint: nothing more is sent to it, what was waiting is given up."""
    await service.remove(session, principal, webhook_id, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{webhook_id}/deliveries", response_model=Page[DeliveryRead])
async def list_webhook_deliveries(
    webhook_id: Id,
    session: Session,
    principal: Authenticated,
    cursor: Line | None = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DeliveryRead]:
    """The endpoint's delivery log, newest first: each attempt's status code or error,
    and when it is tried next."""
    found, more = await service.log(session, principal, webhook_id, cursor, limit)
    return Page(items=[delivery_read(e) for e in found], next_cursor=more)
