"""Building blocks for tests: registered, verified organisations and logged-in users."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.accounts.credit_code import check_character
from techmarket.accounts.passwords import hash_blocking
from techmarket.models.org import Organisation, OrgKind, OrgStatus, User

PASSWORD = "correct horse battery"
_PASSWORD_HASH = hash_blocking(PASSWORD)  # argon2 is slow on purpose: hash once
CREATED = datetime(2026, 11, 1, tzinfo=UTC)
_serial = itertools.count(1)


def credit_code(n: int | None = None) -> str:
    base = f"9133010{n if n is not None else next(_serial):010d}"
    return base + check_character(base)


@dataclass
class Account:
    org: Organisation
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def make_org(
    session: AsyncSession,
    kind: OrgKind = OrgKind.enterprise,
    status: OrgStatus = OrgStatus.verified,
    region_code: str = "330100",
) -> Organisation:
    n = next(_serial)
    org = Organisation(
        name=f"测试机构{n}",
        kind=kind,
        region_code=region_code,
        credit_code=credit_code(n),
        status=status,
        created_at=CREATED,
    )
    session.add(org)
    await session.flush()
    return org


async def make_user(
    session: AsyncSession, org: Organisation, roles: tuple[str, ...] = ("admin",)
) -> User:
    user = User(
        org_id=org.id,
        email=f"user{next(_serial)}@example.com",
        display_name="测试用户",
        password_hash=_PASSWORD_HASH,
        roles=sorted(roles),
        is_active=True,
        created_at=CREATED,
    )
    session.add(user)
    await session.flush()
    return user


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/api/v1/auth/token", data={"username": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def account(
    session: AsyncSession,
    client: httpx.AsyncClient,
    kind: OrgKind = OrgKind.enterprise,
    roles: tuple[str, ...] = ("admin",),
    status: OrgStatus = OrgStatus.verified,
    org: Organisation | None = None,
) -> Account:
    """A user of a (new, unless given) organisation, logged in over HTTP."""
    org = org or await make_org(session, kind, status)
    user = await make_user(session, org, roles)
    await session.commit()
    return Account(org=org, user=user, token=await login(client, user.email))
