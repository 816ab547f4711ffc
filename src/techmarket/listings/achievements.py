"""Rules for achievements: drafting, approval by the TTO, publication, withdrawal."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize, may_see
from techmarket.errors import Conflict, InvalidInput, NotFound
from techmarket.ledger import service as ledger
from techmarket.listings import lifecycle
from techmarket.listings import repository as repo
from techmarket.listings.schemas import AchievementCreate, AchievementUpdate
from techmarket.listings.text import tsvector_literal
from techmarket.models.listing import Achievement, AchievementEvent
from techmarket.models.listing import AchievementStatus as S


class AchievementNotFound(NotFound):
    code = "achievement_not_found"
    title = "Achievement not found"


class NotEditable(Conflict):
    code = "not_editable"
    title = "Only drafts, rejected and withdrawn achievements can be edited"


class InvalidAchievement(InvalidInput):
    code = "invalid_achievement"
    title = "The achievement as edited breaks a rule"


class InvalidTransition(Conflict):
    code = "invalid_status_transition"
    title = "Status cannot change that way"


def search_vector(a: Achievement | AchievementCreate) -> str:
    """Title weighs most, then keywords and field, then the summary and inventors."""
    return tsvector_literal(
        [
            ("A", a.title),
            ("B", " ".join(a.keywords)),
            ("C", a.summary),
            ("D", " ".join(a.inventors) + " " + " ".join(a.patent_numbers)),
        ]
    )


def new_achievement(principal: Principal, data: AchievementCreate, now: datetime) -> dict[str, Any]:
    """Column values of a new draft (shared with the bulk import)."""
    values = data.model_dump(mode="json")
    values.update(
        org_id=principal.org.id,
        created_by=principal.user.id,
        status=S.draft,
        created_at=now,
        updated_at=now,
        search=search_vector(data),
    )
    return values


async def create(
    session: AsyncSession, principal: Principal, data: AchievementCreate, now: datetime
) -> Achievement:
    authorize(principal, Action.listing_manage, principal.org.id)
    achievement = Achievement(**new_achievement(principal, data, now))
    session.add(achievement)
    await session.flush()
    session.add(_event(achievement.id, principal, None, S.draft, None, None, now))
    return achievement


def visible(principal: Principal | None, achievement: Achievement) -> bool:
    public = achievement.status in lifecycle.ACHIEVEMENT_PUBLIC
    return may_see(principal, achievement.org_id, public=public)


async def load(
    session: AsyncSession, principal: Principal | None, achievement_id: int, *, lock: bool = False
) -> Achievement:
    """An achievement the caller may see (others' drafts do not exist for them)."""
    achievement = await repo.get(session, Achievement, achievement_id, lock=lock)
    if achievement is None or not visible(principal, achievement):
        raise AchievementNotFound()
    return achievement  # type: ignore[no-any-return]


async def load_own(session: AsyncSession, principal: Principal, achievement_id: int) -> Achievement:
    """One of the caller's organisation's achievements, in any status; another
    organisation's is refused as not theirs (the pages under /my say so)."""
    achievement = await repo.get(session, Achievement, achievement_id)
    if achievement is None:
        raise AchievementNotFound()
    authorize(principal, Action.listing_read_private, achievement.org_id)
    return achievement  # type: ignore[no-any-return]


async def of_org(
    session: AsyncSession,
    principal: Principal,
    statuses: Collection[S],
    before_id: int | None,
    limit: int,
) -> list[Achievement]:
    """The caller's organisation's achievements in ``statuses`` (all when empty), newest
    first, before ``before_id``."""
    authorize(principal, Action.listing_read_private, principal.org.id)
    return await repo.of_org(session, Achievement, principal.org.id, statuses, before_id, limit)


async def awaiting_approval(
    session: AsyncSession, principal: Principal, limit: int
) -> list[Achievement]:
    """What the caller, its organisation's TTO, has to approve or send back."""
    authorize(principal, Action.listing_approve, principal.org.id)
    return await repo.of_org(
        session, Achievement, principal.org.id, [S.pending_approval], None, limit
    )


async def update(
    session: AsyncSession,
    principal: Principal,
    achievement_id: int,
    data: AchievementUpdate,
    now: datetime,
) -> Achievement:
    achievement = await load(session, principal, achievement_id, lock=True)
    authorize(principal, Action.listing_manage, achievement.org_id)
    if achievement.status not in lifecycle.ACHIEVEMENT_EDITABLE:
        raise NotEditable(f"it is {achievement.status}; withdraw it first")
    changes = data.model_dump(mode="json", exclude_unset=True, exclude={"negotiable"})
    for name, value in changes.items():
        setattr(achievement, name, value)
    if data.negotiable:
        achievement.asking_price_fen = None
    # The same rules as at creation, on the record as it now stands.
    try:
        AchievementCreate.model_validate(
            {k: getattr(achievement, k) for k in AchievementCreate.model_fields}
        )
    except ValidationError as exc:
        raise InvalidAchievement("; ".join(e["msg"] for e in exc.errors())) from None
    achievement.search = search_vector(achievement)
    achievement.updated_at = now
    await session.flush()
    return achievement


def _event(
    achievement_id: int,
    principal: Principal | None,
    before: S | None,
    after: S,
    reason: str | None,
    ledger_index: int | None,
    now: datetime,
) -> AchievementEvent:
    return AchievementEvent(
        achievement_id=achievement_id,
        at=now,
        by_user_id=principal.user.id if principal else None,
        from_status=before,
        to_status=after,
        reason=reason,
        ledger_index=ledger_index,
    )


def _ledger_data(a: Achievement, principal: Principal | None, reason: str | None) -> dict[str, Any]:
    return {
        "achievement_id": a.id,
        "org_id": a.org_id,
        "title": a.title,
        "ip_type": str(a.ip_type),
        "patent_numbers": list(a.patent_numbers),
        "industry": str(a.industry),
        "asking_price_fen": a.asking_price_fen,
        "by_user_id": principal.user.id if principal else None,
        "reason": reason,
    }


async def _move(
    session: AsyncSession,
    principal: Principal | None,
    achievement: Achievement,
    to: S,
    now: datetime,
    *,
    reason: str | None = None,
    ledger_types: tuple[str, ...] = (),
) -> int | None:
    """Change status, record who and when, and ledger it in this transaction.
    Returns the index of the last ledger entry written, if any."""
    before = achievement.status
    if to not in lifecycle.ACHIEVEMENT[before]:
        raise InvalidTransition(f"cannot go from {before} to {to}")
    achievement.status = to
    achievement.status_reason = reason
    achievement.updated_at = now
    if to == S.published:
        achievement.published_at = now
    await session.flush()
    index = None
    for event_type in ledger_types:
        index = await ledger.append(
            session,
            event_type,
            f"achievement/{achievement.id}",
            _ledger_data(achievement, principal, reason),
            now,
        )
    session.add(_event(achievement.id, principal, before, to, reason, index, now))
    return index


async def submit(
    session: AsyncSession, principal: Principal, achievement_id: int, now: datetime
) -> tuple[Achievement, int | None]:
    """Universities and institutes send it to their TTO; others publish directly."""
    achievement = await load(session, principal, achievement_id, lock=True)
    authorize(principal, Action.listing_manage, achievement.org_id)
    if principal.org.kind in lifecycle.NEEDS_TTO_APPROVAL:
        await _move(session, principal, achievement, S.pending_approval, now)
        # Its TTO is told from the ledger; what it is stays private until publication.
        submitted = await ledger.append(
            session,
            "achievement.submitted",
            f"achievement/{achievement.id}",
            {"achievement_id": achievement.id, "org_id": achievement.org_id},
            now,
        )
        return achievement, submitted
    index = await _move(
        session, principal, achievement, S.published, now, ledger_types=("achievement.published",)
    )
    return achievement, index


async def approve(
    session: AsyncSession, principal: Principal, achievement_id: int, now: datetime
) -> tuple[Achievement, int | None]:
    """The TTO approves: the approval and the publication both go on the ledger."""
    achievement = await load(session, principal, achievement_id, lock=True)
    authorize(principal, Action.listing_approve, achievement.org_id)
    if achievement.status != S.pending_approval:
        raise InvalidTransition(f"it is {achievement.status}, not pending approval")
    index = await _move(
        session,
        principal,
        achievement,
        S.published,
        now,
        ledger_types=("achievement.approved", "achievement.published"),
    )
    return achievement, index


async def reject(
    session: AsyncSession, principal: Principal, achievement_id: int, reason: str, now: datetime
) -> Achievement:
    """The TTO sends it back with a reason (an internal decision, not ledgered)."""
    achievement = await load(session, principal, achievement_id, lock=True)
    authorize(principal, Action.listing_approve, achievement.org_id)
    if achievement.status != S.pending_approval:
        raise InvalidTransition(f"it is {achievement.status}, not pending approval")
    await _move(session, principal, achievement, S.rejected, now, reason=reason)
    return achievement


async def withdraw(
    session: AsyncSession,
    principal: Principal,
    achievement_id: int,
    reason: str | None,
    now: datetime,
) -> tuple[Achievement, int | None]:
    """The owner withdraws a published achievement, or the operator suspends it."""
    achievement = await load(session, principal, achievement_id, lock=True)
    action = (
        Action.listing_moderate if principal.org.id != achievement.org_id else Action.listing_manage
    )
    authorize(principal, action, achievement.org_id)
    if achievement.status != S.published:
        raise InvalidTransition(f"it is {achievement.status}, not published")
    index = await _move(
        session,
        principal,
        achievement,
        S.withdrawn,
        now,
        reason=reason,
        ledger_types=("achievement.withdrawn",),
    )
    return achievement, index


async def suspended(
    session: AsyncSession, principal: Principal, before_event_id: int | None, limit: int
) -> list[dict[str, Any]]:
    """The listings the operator suspended (withdrew), for the operator's desk."""
    authorize(principal, Action.listing_moderate)
    return await repo.suspended_by_operator(session, before_event_id, limit)


async def history(
    session: AsyncSession, principal: Principal, achievement_id: int
) -> list[AchievementEvent]:
    achievement = await load(session, principal, achievement_id)
    authorize(principal, Action.listing_read_private, achievement.org_id)
    return await repo.history(session, achievement_id)


async def move_into_trade(
    session: AsyncSession, principal: Principal, achievement: Achievement, now: datetime
) -> None:
    """A trade opens on it (the trade's own ledger entries record that)."""
    await _move(session, principal, achievement, S.in_trade, now, reason="trade opened")


async def move_out_of_trade(
    session: AsyncSession,
    achievement_id: int,
    sold: bool,
    now: datetime,
    *,
    by: Principal | None = None,
    reason: str = "trade closed",
) -> None:
    """The trade closed: transferred when sold, on offer again when not (by the platform,
    unless ``by`` someone, e.g. the TTO who declined the trade, with its reason)."""
    achievement = await repo.get(session, Achievement, achievement_id, lock=True)
    to = S.transferred if sold else S.published
    await _move(session, by, achievement, to, now, reason=reason)
