"""Rules for organisations, users and authentication."""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from techmarket import logs
from techmarket.accounts import lifecycle, passwords, throttle
from techmarket.accounts import repository as repo
from techmarket.accounts.policy import Action, Principal, authorize, may_see
from techmarket.accounts.schemas import AdminCreate, OrgCreate, UserCreate, UserUpdate
from techmarket.config import Settings
from techmarket.errors import Conflict, DomainError, NotAuthenticated, NotFound, RateLimited
from techmarket.ledger import service as ledger
from techmarket.models.org import (
    EMAIL_LENGTH,
    AccessToken,
    Organisation,
    OrgStatus,
    Role,
    User,
)


class OrgNotFound(NotFound):
    code = "org_not_found"
    title = "Organisation not found"


class UserNotFound(NotFound):
    code = "user_not_found"
    title = "User not found"


class AlreadyRegistered(Conflict):
    code = "already_registered"
    title = "Already registered"


class InvalidTransition(Conflict):
    code = "invalid_status_transition"
    title = "Status cannot change that way"


class LastAdmin(Conflict):
    code = "last_admin"
    title = "An organisation needs at least one active administrator"


class InvalidCredentials(DomainError):
    code, status, title = "invalid_credentials", 401, "Wrong email or password"


class TokenInvalid(NotAuthenticated):
    code = "invalid_token"
    title = "Token is invalid, expired or revoked"


# The browser's session cookie: it holds one of the same bearer tokens (web pages set it;
# the live auction's websocket reads it too).
SESSION_COOKIE = "tm_session"


def hash_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def register(
    session: AsyncSession, data: OrgCreate, now: datetime
) -> tuple[Organisation, User]:
    """Register a new, pending organisation with its first administrator."""
    taken = await repo.org_taken(session, data.name, data.credit_code)
    if taken:
        raise AlreadyRegistered(f"an organisation with this {taken} is already registered")
    if await repo.find_user_by_email(session, data.admin.email):
        raise AlreadyRegistered("a user with this email already exists")
    org = Organisation(
        name=data.name,
        kind=data.kind,
        region_code=data.region_code,
        credit_code=data.credit_code,
        status=OrgStatus.pending,
        created_at=now,
    )
    session.add(org)
    await session.flush()
    # Awaiting review (the operator is told of it from the ledger); its name and codes
    # go on the ledger when it is verified.
    await ledger.append(
        session,
        lifecycle.REGISTERED,
        f"org/{org.id}",
        {"org_id": org.id, "kind": org.kind.value, "to": OrgStatus.pending.value},
        now,
    )
    return org, await add_admin(session, org, data.admin, now)


async def add_admin(
    session: AsyncSession, org: Organisation, data: AdminCreate, now: datetime
) -> User:
    """Add an administrator to ``org`` (its first one at registration, or at bootstrap)."""
    return await _add_user(
        session,
        org,
        UserCreate(
            email=data.email,
            display_name=data.display_name,
            password=data.password,
            roles=[Role.admin],
        ),
        now,
    )


async def _add_user(
    session: AsyncSession, org: Organisation, data: UserCreate, now: datetime
) -> User:
    if await repo.find_user_by_email(session, data.email):
        raise AlreadyRegistered("a user with this email already exists")
    user = User(
        org_id=org.id,
        email=data.email,
        display_name=data.display_name,
        password_hash=await passwords.hash_password(data.password),
        roles=sorted({r.value for r in data.roles}),
        is_active=True,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def load_org(session: AsyncSession, org_id: int, *, lock: bool = False) -> Organisation:
    org = await repo.get_org(session, org_id, lock=lock)
    if org is None:
        raise OrgNotFound()
    return org


def visible_to(principal: Principal | None, org: Organisation) -> bool:
    """Verified organisations are public; others only to their members and operators."""
    return may_see(principal, org.id, public=org.status == OrgStatus.verified)


async def review(
    session: AsyncSession,
    principal: Principal,
    org_id: int,
    to: OrgStatus,
    reason: str | None,
    now: datetime,
) -> tuple[Organisation, int]:
    """An operator verifies, rejects, suspends or reinstates an organisation; the review is
    ledgered in the same transaction. Returns the organisation and the ledger index."""
    authorize(principal, Action.org_review, org_id)
    org = await load_org(session, org_id, lock=True)
    if not lifecycle.allowed(org.status, to):
        raise InvalidTransition(f"cannot go from {org.status} to {to}")
    before = org.status
    org.status = to
    org.status_reason = reason
    org.reviewed_at = now
    await session.flush()
    index = await ledger.append(
        session,
        lifecycle.EVENT[to],
        f"org/{org.id}",
        {
            "org_id": org.id,
            "name": org.name,
            "kind": org.kind.value,
            "region_code": org.region_code,
            "credit_code": org.credit_code,
            "from": before.value,
            "to": to.value,
            "reason": reason,
            "by_user_id": principal.user.id,
        },
        now,
    )
    return org, index


async def add_user(
    session: AsyncSession, principal: Principal, org_id: int, data: UserCreate, now: datetime
) -> User:
    authorize(principal, Action.org_manage_users, org_id)
    return await _add_user(session, await load_org(session, org_id), data, now)


async def update_user(
    session: AsyncSession,
    principal: Principal,
    org_id: int,
    user_id: int,
    data: UserUpdate,
    now: datetime,
) -> User:
    authorize(principal, Action.org_manage_users, org_id)
    await load_org(session, org_id, lock=True)  # serialises admin-count checks per org
    user = await repo.get_user(session, user_id)
    if user is None or user.org_id != org_id:
        raise UserNotFound()
    if data.display_name is not None:
        user.display_name = data.display_name
    if data.roles is not None:
        user.roles = sorted({r.value for r in data.roles})
    if data.is_active is not None:
        user.is_active = data.is_active
        if not data.is_active:
            await repo.revoke_user_tokens(session, user.id, now)
    await session.flush()
    if await repo.count_active_admins(session, org_id) == 0:
        raise LastAdmin()
    return user


async def list_users(
    session: AsyncSession,
    principal: Principal,
    org_id: int,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[User]:
    """The organisation's users, oldest first (after ``after_id``, at most ``limit``)."""
    authorize(principal, Action.org_read_private, org_id)
    await load_org(session, org_id)
    return await repo.list_users(session, org_id, after_id, limit)


async def login(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    email: str,
    password: str,
    client_host: str | None,
    now: datetime,
) -> tuple[str, AccessToken]:
    """Check a password and issue a bearer token. Failures slow down further attempts from
    the same client address (see ``throttle``); the account itself is never locked.

    Three short steps, so that no connection is held while argon2 works: admit the attempt
    and record it as failed; check the password off the event loop; on success forget the
    failure and issue the token."""
    email = email.strip().lower()
    # An email longer than the column is nobody's; its failures are counted cut to fit.
    counted_as = email[:EMAIL_LENGTH]
    address = throttle.client_key(client_host)
    async with sessionmaker.begin() as session:
        await repo.lock_login_address(session, address)
        await _admit(session, settings, counted_as, address, now)
        attempt = await repo.add_failure(session, counted_as, address, now)
        user = await repo.find_user_by_email(session, email)
    password_hash = user.password_hash if user else passwords.DUMMY_HASH
    if not await passwords.verify_password(password_hash, password) or not (
        user and user.is_active
    ):
        raise InvalidCredentials()
    rehashed = None
    if passwords.needs_rehash(password_hash):
        rehashed = await passwords.hash_password(password)
    async with sessionmaker.begin() as session:
        await repo.forget_failure(session, attempt)
        issued = issue_token(session, settings, user, now)
        if rehashed:
            await repo.set_password_hash(session, user.id, rehashed)
    return issued


def issue_token(
    session: AsyncSession, settings: Settings, user: User, now: datetime
) -> tuple[str, AccessToken]:
    """A new bearer token for ``user`` (whose password was just checked, or who was just
    registered with it), stored by its hash only."""
    logs.bind(user_id=user.id, org_id=user.org_id)
    token = secrets.token_urlsafe(32)
    record = AccessToken(
        user_id=user.id,
        token_hash=hash_token(token),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.token_lifetime_minutes),
    )
    session.add(record)
    return token, record


async def _admit(
    session: AsyncSession, settings: Settings, email: str, address: str, now: datetime
) -> None:
    """Refuse the attempt (429 with Retry-After) while this address must wait, for failures
    from it on any account, or on this one."""
    since = now - timedelta(seconds=settings.login_failure_window_seconds)
    max_delay = timedelta(seconds=settings.login_max_delay_seconds)
    from_address = await repo.failure_tally(session, address, since)
    on_account = await repo.failure_tally(session, address, since, email)
    wait = max(
        throttle.wait(*from_address, settings.login_free_failures_per_address, max_delay, now),
        throttle.wait(*on_account, settings.login_free_failures, max_delay, now),
    )
    if wait > timedelta(0):
        seconds = math.ceil(wait.total_seconds())
        raise RateLimited(
            seconds, f"too many failed logins from your address; try again in {seconds} s"
        )


async def authenticate(session: AsyncSession, token: str, now: datetime) -> Principal:
    found = await repo.user_for_token(session, hash_token(token), now)
    if found is None:
        raise TokenInvalid()
    user, org = found
    logs.bind(user_id=user.id, org_id=org.id)
    return Principal(user=user, org=org, token_hash=hash_token(token))


async def as_they_stand(
    session: AsyncSession, principals: list[Principal], now: datetime
) -> list[Principal | None]:
    """Each principal as it stands now, its user and organisation read again; None where
    its token has been revoked or has expired, or its user deactivated, since it was
    authenticated (one query, however many)."""
    hashes = sorted({p.token_hash for p in principals if p.token_hash is not None})
    users, live = await repo.users_now(
        session, sorted({p.user.id for p in principals}), hashes, now
    )
    current: list[Principal | None] = []
    for p in principals:
        found = users.get(p.user.id)
        if found is None or (p.token_hash is not None and p.token_hash not in live):
            current.append(None)
        else:
            current.append(Principal(user=found[0], org=found[1], token_hash=p.token_hash))
    return current


async def logout(session: AsyncSession, token: str, now: datetime) -> None:
    await repo.revoke_token(session, hash_token(token), now)
