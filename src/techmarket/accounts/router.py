"""HTTP routes for organisations, users and authentication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request, status

from techmarket.accounts import repository as repo
from techmarket.accounts import service
from techmarket.accounts.schemas import (
    MeRead,
    OrgCreate,
    OrgRead,
    OrgReview,
    OrgReviewed,
    OrgReviewWithReason,
    Registration,
    TokenRead,
    UserCreate,
    UserRead,
    UserUpdate,
)
from techmarket.db import Session, Sessionmaker
from techmarket.deps import Anyone, AppSettings, Authenticated, BearerToken, Now, Operator
from techmarket.models.org import OrgKind, OrgStatus
from techmarket.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, next_cursor
from techmarket.types import Id, Line

router = APIRouter(prefix="/api/v1")


class PasswordForm:
    """The OAuth2 password grant's form (RFC 6749 §4.3), its text checked like any input."""

    def __init__(
        self,
        username: Annotated[Line, Form(max_length=320, description="the user's email")],
        password: Annotated[Line, Form(max_length=128)],
    ) -> None:
        self.username = username
        self.password = password


@router.post("/auth/token", response_model=TokenRead, tags=["auth"])
async def issue_token(
    form: Annotated[PasswordForm, Depends()],
    request: Request,
    sessionmaker: Sessionmaker,
    settings: AppSettings,
    now: Now,
) -> TokenRead:
    """OAuth2 password flow: the username is the user's email. Failed logins from one
    address make it wait (429 with Retry-After), growing with each further failure."""
    # The peer address; behind a proxy, uvicorn's --forwarded-allow-ips makes it the client's.
    host = request.client.host if request.client else None
    token, record = await service.login(
        sessionmaker, settings, form.username, form.password, host, now
    )
    return TokenRead(access_token=token, expires_at=record.expires_at)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["auth"])
async def logout(principal: Authenticated, token: BearerToken, session: Session, now: Now) -> None:
    assert token is not None  # Authenticated guarantees it
    await service.logout(session, token, now)


@router.get("/me", response_model=MeRead, tags=["auth"])
async def me(principal: Authenticated) -> MeRead:
    return MeRead(
        user=UserRead.model_validate(principal.user), org=OrgRead.model_validate(principal.org)
    )


@router.post(
    "/orgs", response_model=Registration, status_code=status.HTTP_201_CREATED, tags=["orgs"]
)
async def register_org(data: OrgCreate, session: Session, now: Now) -> Registration:
    """Register an organisation and its first administrator; an operator then verifies it."""
    org, admin = await service.register(session, data, now)
    return Registration(org=OrgRead.model_validate(org), admin=UserRead.model_validate(admin))


@router.get("/orgs", response_model=Page[OrgRead], tags=["orgs"])
async def list_orgs(
    session: Session,
    principal: Anyone,
    kind: OrgKind | None = None,
    status_: Annotated[OrgStatus | None, Query(alias="status")] = None,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[OrgRead]:
    """Verified organisations for everyone; operators may list any status."""
    statuses = {OrgStatus.verified}
    if principal is not None and principal.is_operator:
        statuses = {status_} if status_ else set(OrgStatus)
    elif status_ not in (None, OrgStatus.verified):
        statuses = set()
    orgs = await repo.list_orgs(
        session, after_id=decode_cursor(cursor), limit=limit, statuses=statuses, kind=kind
    )
    return Page(
        items=[OrgRead.model_validate(o) for o in orgs],
        next_cursor=next_cursor([o.id for o in orgs], limit),
    )


@router.get("/orgs/{org_id}", response_model=OrgRead, tags=["orgs"])
async def get_org(org_id: Id, session: Session, principal: Anyone) -> OrgRead:
    org = await service.load_org(session, org_id)
    if not service.visible_to(principal, org):
        raise service.OrgNotFound()
    return OrgRead.model_validate(org)


async def _review(
    org_id: Id, to: OrgStatus, reason: str | None, session: Session, principal: Operator, now: Now
) -> OrgReviewed:
    org, index = await service.review(session, principal, org_id, to, reason, now)
    return OrgReviewed(**OrgRead.model_validate(org).model_dump(), ledger_index=index)


@router.post("/orgs/{org_id}/verify", response_model=OrgReviewed, tags=["orgs"])
async def verify_org(
    org_id: Id, session: Session, principal: Operator, now: Now, body: OrgReview | None = None
) -> OrgReviewed:
    """Verify a pending organisation, or reinstate a suspended one."""
    reason = body.reason if body else None
    return await _review(org_id, OrgStatus.verified, reason, session, principal, now)


@router.post("/orgs/{org_id}/reject", response_model=OrgReviewed, tags=["orgs"])
async def reject_org(
    org_id: Id, body: OrgReviewWithReason, session: Session, principal: Operator, now: Now
) -> OrgReviewed:
    return await _review(org_id, OrgStatus.rejected, body.reason, session, principal, now)


@router.post("/orgs/{org_id}/suspend", response_model=OrgReviewed, tags=["orgs"])
async def suspend_org(
    org_id: Id, body: OrgReviewWithReason, session: Session, principal: Operator, now: Now
) -> OrgReviewed:
    return await _review(org_id, OrgStatus.suspended, body.reason, session, principal, now)


@router.get("/orgs/{org_id}/users", response_model=Page[UserRead], tags=["orgs"])
async def list_users(
    org_id: Id,
    session: Session,
    principal: Authenticated,
    cursor: Line | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[UserRead]:
    """The organisation's users, oldest first: its members and the operator."""
    users = await service.list_users(session, principal, org_id, decode_cursor(cursor), limit)
    return Page(
        items=[UserRead.model_validate(u) for u in users],
        next_cursor=next_cursor([u.id for u in users], limit),
    )


@router.post(
    "/orgs/{org_id}/users",
    response_model=UserRead,
    status_code=status.HTTP_201_CREATED,
    tags=["orgs"],
)
async def add_user(
    org_id: Id, data: UserCreate, session: Session, principal: Authenticated, now: Now
) -> UserRead:
    return UserRead.model_validate(await service.add_user(session, principal, org_id, data, now))


@router.patch("/orgs/{org_id}/users/{user_id}", response_model=UserRead, tags=["orgs"])
async def update_user(
    org_id: Id,
    user_id: Id,
    data: UserUpdate,
    session: Session,
    principal: Authenticated,
    now: Now,
) -> UserRead:
    user = await service.update_user(session, principal, org_id, user_id, data, now)
    return UserRead.model_validate(user)
