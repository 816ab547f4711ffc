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
from techmarket.brokers import mandates
from techmarket.db import Session, unit_of_work
from techmarket.deps import Now
from techmarket.errors import NotAuthenticated
from techmarket.models.org import OrgKind
from techmarket.notify import inbox
from techmarket.types import INT64_MAX
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
    mandate_id: int | None = None  # a broker acting for the organisation shown
    unread: int = 0  # notifications not read (the header's badge)

    @classmethod
    def of(cls, principal: Principal, unread: int = 0) -> SignedInAs:
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
            mandate_id=principal.mandate.id if principal.mandate else None,
            unread=unread,
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


def acting_under(request: Request) -> int | None:
    """The mandate a broker acts under on this page (``?mandate=``), as the API's
    ``X-Mandate``; the page's forms keep it (``acting_query``)."""
    raw = request.query_params.get("mandate", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < int(raw) <= INT64_MAX else None


def keeping_mandate(url: str, principal: Principal) -> str:
    """``url`` with the mandate a broker acts under, so that the page it leads to is still
    the client's (a form's redirect)."""
    if principal.mandate is None:
        return url
    path, hash_, fragment = url.partition("#")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}mandate={principal.mandate.id}{hash_}{fragment}"


async def _principal(session: Session, request: Request, now: Now) -> Principal | None:
    token = session_token(request)
    principal = None
    if token:
        try:
            principal = await accounts.authenticate(session, token, now)
        except accounts.TokenInvalid:  # expired or revoked: simply signed out
            principal = None
    if principal is not None and (mandate := acting_under(request)) is not None:
        principal = await mandates.act_under(session, principal, mandate, now)
    request.state.signed_in_as = (
        SignedInAs.of(principal, await inbox.unread(session, principal.user.id))
        if principal
        else None
    )
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
