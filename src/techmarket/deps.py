"""Request-scoped dependencies shared by every router: settings, clock, the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal, require_operator, require_verified
from techmarket.config import Settings
from techmarket.db import Session
from techmarket.errors import NotAuthenticated

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def _now(request: Request) -> datetime:
    return request.app.state.clock.now()  # type: ignore[no-any-return]


AppSettings = Annotated[Settings, Depends(_settings)]
Now = Annotated[datetime, Depends(_now)]
BearerToken = Annotated[str | None, Depends(_bearer)]


async def _optional_principal(session: Session, token: BearerToken, now: Now) -> Principal | None:
    return None if token is None else await accounts.authenticate(session, token, now)


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
