"""Subscriptions of a user for its organisation: create (or save a search), list, delete;
and an institution's standing push, which its admin may switch off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize, may_see
from techmarket.errors import InvalidInput, NotFound
from techmarket.listings.repository import region_prefix
from techmarket.listings.text import tsquery_literal
from techmarket.models.subscription import Basis, Subscription, Target
from techmarket.subscriptions import repository as repo
from techmarket.subscriptions.schemas import SubscriptionCreate


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    title = "Subscription not found"


class InvalidSubscription(InvalidInput):
    code = "invalid_subscription"
    title = "The subscription asks for something that cannot match"


# Standing subscriptions are on what the organisation's own listings are matched with.
STANDING_TARGET = {Basis.our_achievements: Target.demand, Basis.our_demands: Target.achievement}


def _check(data: SubscriptionCreate) -> str | None:
    """The keywords' query; refuses what could never match."""
    if data.basis != Basis.filters:
        if data.target != STANDING_TARGET[data.basis]:
            wanted = STANDING_TARGET[data.basis]
            raise InvalidSubscription(f"basis {data.basis} is for target {wanted}")
        return None
    if data.ip_type is not None and data.target == Target.demand:
        raise InvalidSubscription("ip_type: demands have no IP type")
    if (
        data.price_min_fen is not None
        and data.price_max_fen is not None
        and data.price_min_fen > data.price_max_fen
    ):
        raise InvalidSubscription("price_min_fen: above price_max_fen")
    if data.keywords is None:
        return None
    query = tsquery_literal(data.keywords)
    if query is None:
        raise InvalidSubscription("keywords: nothing searchable (only stop words)")
    return query


async def create(
    session: AsyncSession, principal: Principal, data: SubscriptionCreate, now: datetime
) -> Subscription:
    authorize(principal, Action.subscription_manage, principal.org.id)
    query = _check(data)
    filters = data.basis == Basis.filters
    subscription = Subscription(
        org_id=principal.org.id,
        user_id=principal.user.id,
        name=data.name,
        target=data.target,
        basis=data.basis,
        keywords=data.keywords if filters else None,
        query=query,
        industry=data.industry if filters else None,
        region_code=data.region_code if filters else None,
        region_prefix=region_prefix(data.region_code) if filters and data.region_code else None,
        ip_type=data.ip_type if filters else None,
        price_min_fen=data.price_min_fen if filters else None,
        price_max_fen=data.price_max_fen if filters else None,
        digest=data.digest,
        created_at=now,
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def of_org(
    session: AsyncSession, principal: Principal, after_id: int | None, limit: int
) -> list[Subscription]:
    """The organisation's subscriptions, oldest first."""
    authorize(principal, Action.listing_read_private, principal.org.id)
    return await repo.of_org(session, principal.org.id, after_id, limit)


async def load(session: AsyncSession, principal: Principal, subscription_id: int) -> Subscription:
    """One of the organisation's subscriptions; to others it does not exist."""
    found = await repo.get(session, subscription_id)
    if found is None or not may_see(principal, found.org_id, public=False):
        raise SubscriptionNotFound()
    return found


async def delete(session: AsyncSession, principal: Principal, subscription_id: int) -> None:
    subscription = await load(session, principal, subscription_id)
    authorize(principal, Action.subscription_manage, subscription.org_id)
    await repo.remove(session, subscription.id)


async def standing_push(session: AsyncSession, principal: Principal) -> bool:
    authorize(principal, Action.standing_push, principal.org.id)
    return not await repo.standing_off(session, principal.org.id)


async def switch_standing_push(
    session: AsyncSession, principal: Principal, enabled: bool, now: datetime
) -> bool:
    """The institution's admin switches the standing push to its TTO on or off."""
    authorize(principal, Action.standing_push, principal.org.id)
    await repo.switch_standing(session, principal.org.id, enabled, principal.user.id, now)
    return enabled
