"""Who is told: the active users of an organisation who pass the same check the pages and
the API apply to what they would be told about, so that no one learns of an object they
may not see, or of a step only another role acts on."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.errors import Forbidden
from techmarket.models.org import Organisation, User
from techmarket.notify import repository as repo
from techmarket.notify.inbox import Draft
from techmarket.notify.kinds import Kind

Check = Callable[[Principal], bool]


def may(action: Action, owner_org_id: int | None = None) -> Check:
    """Users who may do ``action`` on an object of ``owner_org_id`` (policy.RULES)."""

    def check(principal: Principal) -> bool:
        try:
            authorize(principal, action, owner_org_id)
        except Forbidden:
            return False
        return True

    return check


def both(*checks: Check) -> Check:
    return lambda principal: all(check(principal) for check in checks)


async def of_orgs(session: AsyncSession, org_ids: Iterable[int | None], check: Check) -> list[int]:
    """The active users of ``org_ids`` who pass ``check`` acting for their organisation."""
    wanted = {org_id for org_id in org_ids if org_id is not None}
    if not wanted:
        return []
    return passing(await repo.members(session, wanted), check)


async def brokers(session: AsyncSession, user_ids: Iterable[int | None], check: Check) -> list[int]:
    """Brokers who acted for a client (placed its bid, registered it), if they may still
    see what they are told of (a broker sees what is public, as on the pages)."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return []
    return passing(await repo.users(session, wanted), check)


def passing(found: Iterable[tuple[User, Organisation]], check: Check) -> list[int]:
    """The users who pass ``check`` acting for their organisation."""
    return [u.id for u, org in found if check(Principal(u, org))]


async def operators(session: AsyncSession, action: Action) -> list[int]:
    """The platform operator's users who may do ``action``."""
    return await of_orgs(session, await repo.operator_orgs(session), may(action))


@dataclass(frozen=True)
class Message:
    """What an entry tells, before it is addressed."""

    kind: Kind
    subject: str
    title: str
    body: str
    link: str


def drafts(message: Message, user_ids: Collection[int], index: int) -> Sequence[Draft]:
    """``message`` for each of ``user_ids``, once per user for the entry ``index``."""
    return [
        Draft(
            user_id=user_id,
            kind=message.kind,
            subject=message.subject,
            title=message.title,
            body=message.body,
            link=message.link,
            key=f"ledger/{index}",
            ledger_index=index,
        )
        for user_id in sorted(set(user_ids))
    ]
