"""HTTP routes of the in-app inbox and its preferences: each user's own notifications."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.db import Session
from techmarket.deps import Authenticated, Now
from techmarket.notify import inbox
from techmarket.notify.kinds import ABOUT
from techmarket.notify.schemas import (
    MarkedRead,
    NotificationRead,
    Preferences,
    PreferencesUpdate,
    UnreadCount,
)
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationRead])
async def list_notifications(
    session: Session,
    principal: Authenticated,
    unread: bool = False,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[NotificationRead]:
    """The caller's notifications, newest first (``unread=true``: only those not read)."""
    found = await inbox.page(session, principal.user.id, decode_cursor(cursor), unread, limit)
    return Page(
        items=[NotificationRead.model_validate(n) for n in found],
        next_cursor=next_cursor([n.id for n in found], limit),
    )


@router.get("/unread", response_model=UnreadCount)
async def count_unread(session: Session, principal: Authenticated) -> UnreadCount:
    return UnreadCount(unread=await inbox.unread(session, principal.user.id))


@router.post("/read", response_model=MarkedRead)
async def read_all(session: Session, principal: Authenticated, now: Now) -> MarkedRead:
    """Mark all the caller's notifications read."""
    return MarkedRead(marked=await inbox.read_all(session, principal.user.id, now))


@router.post("/{notification_id}/read", response_model=UnreadCount)
async def read_one(
    notification_id: Id, session: Session, principal: Authenticated, now: Now
) -> UnreadCount:
    """Mark one of the caller's notifications read (another's is a 404); returns how many
    are still unread."""
    await inbox.read(session, principal.user.id, notification_id, now)
    return UnreadCount(unread=await inbox.unread(session, principal.user.id))


async def _preferences(session: AsyncSession, user_id: int) -> Preferences:
    return Preferences(
        email=await inbox.preferences(session, user_id),
        labels={kind: about.label for kind, about in ABOUT.items()},
        defaults={kind: about.email for kind, about in ABOUT.items()},
    )


@router.get("/preferences", response_model=Preferences)
async def get_preferences(session: Session, principal: Authenticated) -> Preferences:
    """Per kind, whether it is e-mailed to the caller."""
    return await _preferences(session, principal.user.id)


@router.put("/preferences", response_model=Preferences)
async def put_preferences(
    data: PreferencesUpdate, session: Session, principal: Authenticated
) -> Preferences:
    await inbox.choose(session, principal.user.id, data.email)
    return await _preferences(session, principal.user.id)
