"""SQL for organisations, users, tokens and login failures."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    LargeBinary,
    and_,
    any_,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.models.org import (
    AccessToken,
    LoginFailure,
    Organisation,
    OrgKind,
    OrgStatus,
    User,
)

_LOGIN_LOCKS = 7283101  # advisory lock space of the login throttle, one lock per address


async def get_org(session: AsyncSession, org_id: int, *, lock: bool = False) -> Organisation | None:
    stmt = select(Organisation).where(Organisation.id == org_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_org_by_name(session: AsyncSession, name: str) -> Organisation | None:
    stmt = select(Organisation).where(Organisation.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def org_taken(session: AsyncSession, name: str, credit_code: str) -> str | None:
    """Which unique field of a new organisation is already in use, if any."""
    stmt = select(Organisation.name, Organisation.credit_code).where(
        (Organisation.name == name) | (Organisation.credit_code == credit_code)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return "name" if row.name == name else "credit_code"


async def org_names(session: AsyncSession, org_ids: Collection[int]) -> dict[int, str]:
    """The names of these organisations, by id."""
    if not org_ids:
        return {}
    stmt = select(Organisation.id, Organisation.name).where(Organisation.id.in_(set(org_ids)))
    return {org_id: name for org_id, name in (await session.execute(stmt)).all()}


async def list_orgs(
    session: AsyncSession,
    *,
    after_id: int | None,
    limit: int,
    statuses: set[OrgStatus],
    kind: OrgKind | None,
) -> list[Organisation]:
    stmt = select(Organisation).where(Organisation.status.in_(statuses))
    if kind is not None:
        stmt = stmt.where(Organisation.kind == kind)
    if after_id is not None:
        stmt = stmt.where(Organisation.id > after_id)
    stmt = stmt.order_by(Organisation.id).limit(limit)
    return list((await session.execute(stmt)).scalars())


async def get_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def find_user_by_email(session: AsyncSession, email: str) -> User | None:
    stmt = select(User).where(User.email == email)
    return (await session.execute(stmt)).scalar_one_or_none()


async def has_users(session: AsyncSession) -> bool:
    return await session.scalar(select(User.id).limit(1)) is not None


async def list_users(
    session: AsyncSession, org_id: int, after_id: int | None = None, limit: int | None = None
) -> list[User]:
    stmt = select(User).where(User.org_id == org_id)
    if after_id is not None:
        stmt = stmt.where(User.id > after_id)
    return list((await session.execute(stmt.order_by(User.id).limit(limit))).scalars())


async def count_active_admins(session: AsyncSession, org_id: int) -> int:
    stmt = select(func.count()).where(
        User.org_id == org_id, User.is_active, User.roles.contains(["admin"])
    )
    return int(await session.scalar(stmt) or 0)


async def user_for_token(
    session: AsyncSession, token_hash: bytes, now: datetime
) -> tuple[User, Organisation] | None:
    stmt = (
        select(User, Organisation)
        .join(AccessToken, AccessToken.user_id == User.id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(
            AccessToken.token_hash == token_hash,
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
            User.is_active,
        )
    )
    row = (await session.execute(stmt)).first()
    return None if row is None else (row[0], row[1])


async def users_now(
    session: AsyncSession, user_ids: list[int], token_hashes: list[bytes], now: datetime
) -> tuple[dict[int, tuple[User, Organisation]], set[bytes]]:
    """The active ones among these users, with their organisations as they stand now, and
    which of these tokens are still live; one statement (of one text, so it stays prepared)."""
    live_token = and_(
        AccessToken.user_id == User.id,
        AccessToken.token_hash == any_(bindparam("hashes", token_hashes, type_=ARRAY(LargeBinary))),
        AccessToken.revoked_at.is_(None),
        AccessToken.expires_at > now,
    )
    stmt = (
        select(User, Organisation, AccessToken.token_hash)
        .join(Organisation, Organisation.id == User.org_id)
        .outerjoin(AccessToken, live_token)
        .where(User.id == any_(bindparam("ids", user_ids, type_=ARRAY(BigInteger))), User.is_active)
        .execution_options(populate_existing=True)  # not what this session read before
    )
    users: dict[int, tuple[User, Organisation]] = {}
    live: set[bytes] = set()
    for user, org, token_hash in (await session.execute(stmt)).all():
        users[user.id] = (user, org)
        if token_hash is not None:
            live.add(token_hash)
    return users, live


async def revoke_token(session: AsyncSession, token_hash: bytes, now: datetime) -> None:
    await session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == token_hash, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_user_tokens(session: AsyncSession, user_id: int, now: datetime) -> None:
    await session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def lock_login_address(session: AsyncSession, address: str) -> None:
    """Serialise the throttle check of one client address until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, hashtext(:address))"),
        {"space": _LOGIN_LOCKS, "address": address},
    )


async def failure_tally(
    session: AsyncSession, address: str, since: datetime, email: str | None = None
) -> tuple[int, datetime | None]:
    """How many logins failed from ``address`` (as ``email``, if given) after ``since``, and
    when the latest did."""
    stmt = select(func.count(), func.max(LoginFailure.at)).where(
        LoginFailure.address == address, LoginFailure.at > since
    )
    if email is not None:
        stmt = stmt.where(LoginFailure.email == email)
    count, latest = (await session.execute(stmt)).one()
    return int(count), latest


async def add_failure(session: AsyncSession, email: str, address: str, at: datetime) -> int:
    failure = LoginFailure(email=email, address=address, at=at)
    session.add(failure)
    await session.flush()
    return failure.id


async def forget_failure(session: AsyncSession, failure_id: int) -> None:
    await session.execute(delete(LoginFailure).where(LoginFailure.id == failure_id))


# Longer than any failure window may be (see config), so that no counted failure is lost.
FAILURE_RETENTION = timedelta(days=1)


async def forget_old_failures(session: AsyncSession, now: datetime) -> None:
    """A scheduled job: failed logins that no longer count are deleted."""
    await session.execute(delete(LoginFailure).where(LoginFailure.at < now - FAILURE_RETENTION))


async def set_password_hash(session: AsyncSession, user_id: int, password_hash: str) -> None:
    await session.execute(
        update(User).where(User.id == user_id).values(password_hash=password_hash)
    )
