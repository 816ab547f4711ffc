"""Request-scoped dependencies shared by every router: settings, clock, the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import OAuth2PasswordBearer

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal, require_operator, require_verified
from techmarket.brokers import mandates
from techmarket.config import Settings
from techmarket.db import Session
from techmarket.errors import NotAuthenticated
from techmarket.types import Id

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()  # type: ignore[no-any-return]


AppSettings = Annotated[Settings, Depends(_settings)]
Now = Annotated[datetime, Depends(_now)]
BearerToken = Annotated[str | None, Depends(_bearer)]
# A broker acting for a client names the mandate it acts under; without it, it acts for
# its own agency.
MandateHeader = Annotated[
    Id | None,
    Header(alias="X-Mandate", description="the mandate a broker acts under, for its client"),
]


async def _optional_principal(
    session: Session, token: BearerToken, now: Now, mandate: MandateHeader = None
) -> Principal | None:
    if token is None:
        return None
    principal = await accounts.authenticate(session, token, now)
    if mandate is None:
        return principal
    return await mandates.act_under(session, principal, mandate, now)


# What a route accepts as its caller; object-level checks then go through policy.authorize.
Anyone = Annotated[Principal | None, Depends(_optional_principal)]


async def _principal(principal: Anyone) -> Principal:
    if principal is None:
        raise NotAuthenticated()
    return principal


Authenticated = Annotated[Principal, Depends(_principal)]


async def _verified(principal: Authenticated) -> Principal:
    require_verified(principal)
    return principal


async def _operator(principal: Authenticated) -> Principal:
    require_operator(principal)
    return principal


Verified = Annotated[Principal, Depends(_verified)]
Operator = Annotated[Principal, Depends(_operator)]
