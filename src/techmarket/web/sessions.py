"""Browser sessions: a cookie holding one of the same revocable bearer tokens the API
issues, and the page dependencies that give the signed-in caller.

``Viewer`` is the caller or None; ``SignedIn`` requires one (else the page says 请登录);
object-level checks then go through ``accounts.policy`` exactly as in the API routers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request, Response

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal, open_to, require_operator, require_verified
from techmarket.db import Session, unit_of_work
from techmarket.deps import Now
from techmarket.errors import NotAuthenticated
from techmarket.models.org import OrgKind
from techmarket.web.csrf import SESSION_COOKIE, https


@dataclass(frozen=True)
class SignedInAs:
    """Who the page header shows, kept apart from the ORM objects (which a rolled-back
    request expires before its error page is drawn)."""

    user_id: int
    name: str
    org_id: int
    org_name: str
    org_kind: OrgKind
    verified: bool
    operator: bool
    roles: frozenset[str]
    may: frozenset[str]  # the actions its pages offer (policy.open_to)

    @classmethod
    def of(cls, principal: Principal) -> SignedInAs:
        return cls(
            user_id=principal.user.id,
            name=principal.user.display_name,
            org_id=principal.org.id,
            org_name=principal.org.name,
            org_kind=principal.org.kind,
            verified=principal.verified,
            operator=principal.is_operator,
            roles=principal.roles,
            may=frozenset(open_to(principal)),
        )


def start(
    request: Request, response: Response, token: str, expires_at: datetime, now: datetime
) -> None:
    """Hand the browser its session: HttpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max(int((expires_at - now).total_seconds()), 0),
        httponly=True,
        samesite="lax",
        secure=https(request),
        path="/",
    )


def end(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=https(request)
    )


def session_token(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


async def _principal(session: Session, request: Request, now: Now) -> Principal | None:
    token = session_token(request)
    principal = None
    if token:
        try:
            principal = await accounts.authenticate(session, token, now)
        except accounts.TokenInvalid:  # expired or revoked: simply signed out
            principal = None
    request.state.signed_in_as = SignedInAs.of(principal) if principal else None
    return principal


async def identify(request: Request) -> None:
    """For pages drawn outside any route (an unknown path): who is signed in, if anyone."""
    if hasattr(request.state, "signed_in_as") or not session_token(request):
        return
    async with unit_of_work(request.app.state.sessionmaker) as session:
        await _principal(session, request, request.app.state.clock.now())


# What a page accepts as its caller (mirrors techmarket.deps for the API).
Viewer = Annotated[Principal | None, Depends(_principal)]


async def _signed_in(principal: Viewer) -> Principal:
    if principal is None:
        raise NotAuthenticated()
    return principal


SignedIn = Annotated[Principal, Depends(_signed_in)]


async def _verified(principal: SignedIn) -> Principal:
    require_verified(principal)
    return principal


async def _operator(principal: SignedIn) -> Principal:
    require_operator(principal)
    return principal


Verified = Annotated[Principal, Depends(_verified)]
Operator = Annotated[Principal, Depends(_operator)]
