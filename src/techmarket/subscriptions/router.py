"""HTTP routes for subscriptions and an institution's standing push."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from techmarket.db import Session
from techmarket.deps import Authenticated, Now
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.subscriptions import service
from techmarket.subscriptions.schemas import StandingPush, SubscriptionCreate, SubscriptionRead
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1", tags=["subscriptions"])


@router.post("/subscriptions", response_model=SubscriptionRead, status_code=status.HTTP_201_CREATED)
async def create_subscription(
    data: SubscriptionCreate, session: Session, principal: Authenticated, now: Now
) -> SubscriptionRead:
    """Subscribe the caller (for its organisation) to pushes of what fits."""
    return SubscriptionRead.model_validate(await service.create(session, principal, data, now))


@router.get("/subscriptions", response_model=Page[SubscriptionRead])
async def list_subscriptions(
    session: Session,
    principal: Authenticated,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[SubscriptionRead]:
    """The organisation's subscriptions, oldest first."""
    found = await service.of_org(session, principal, decode_cursor(cursor), limit)
    return Page(
        items=[SubscriptionRead.model_validate(s) for s in found],
        next_cursor=next_cursor([s.id for s in found], limit),
    )


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionRead)
async def get_subscription(
    subscription_id: Id, session: Session, principal: Authenticated
) -> SubscriptionRead:
    return SubscriptionRead.model_validate(await service.load(session, principal, subscription_id))


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
)
async def delete_subscription(
    subscription_id: Id, session: Session, principal: Authenticated
) -> None:
    await service.delete(session, principal, subscription_id)


@router.get("/standing-push", response_model=StandingPush)
async def get_standing_push(session: Session, principal: Authenticated) -> StandingPush:
    """Whether the institution's TTO is pushed demands matching its achievements."""
    return StandingPush(enabled=await service.standing_push(session, principal))


@router.put("/standing-push", response_model=StandingPush)
async def put_standing_push(
    data: StandingPush, session: Session, principal: Authenticated, now: Now
) -> StandingPush:
    """The institution's admin switches the standing push on or off."""
    enabled = await service.switch_standing_push(session, principal, data.enabled, now)
    return StandingPush(enabled=enabled)
