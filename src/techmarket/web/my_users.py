"""The organisation's users and their roles (/my/users): everyone reads the list;
administrators add users, change roles and deactivate (accounts.service decides)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.accounts.schemas import UserCreate, UserUpdate
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.models.org import User
from techmarket.web import forms
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

DONE = {"added": "已添加用户。", "updated": "已保存。"}


async def _user(session: Session, principal: Principal, user_id: int) -> User:
    for user in await accounts.list_users(session, principal, principal.org.id):
        if user.id == user_id:
            return user
    raise accounts.UserNotFound()


async def _listing(session: Session, principal: Principal) -> dict[str, Any]:
    return {
        "users": await accounts.list_users(session, principal, principal.org.id),
        "is_admin": "admin" in principal.roles,
        "done": None,
    }


@router.get("/my/users")
async def users(
    request: Request, session: Session, principal: SignedIn, done: str | None = None
) -> HTMLResponse:
    context = await _listing(session, principal)
    return render(request, "my_users.html", {**context, "done": DONE.get(done or "")})


@router.post("/my/users")
async def add_user(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request, lists=["roles"])
    try:
        data = UserCreate.model_validate(values)  # no role ticked: a member
        await accounts.add_user(session, principal, principal.org.id, data, now)
    except (ValidationError, DomainError) as exc:
        shown = {k: v for k, v in values.items() if k != "password"}
        raise forms.reject(
            request,
            "my_users.html",
            exc,
            {**await _listing(session, principal), "form": shown},
            fields={"already_registered": "email"},
        ) from exc
    return RedirectResponse("/my/users?done=added", 303)


def _form(user: User) -> dict[str, Any]:
    return {
        "display_name": user.display_name,
        "roles": list(user.roles),
        "active": ["true"] if user.is_active else [],
    }


@router.get("/my/users/{user_id}")
async def edit_user_page(
    request: Request, user_id: int, session: Session, principal: SignedIn
) -> HTMLResponse:
    user = await _user(session, principal, user_id)
    return render(request, "my_user.html", {"user": user, "form": _form(user)})


@router.post("/my/users/{user_id}")
async def update_user(
    request: Request, user_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """Roles and whether the user is active; deactivating ends the user's sessions."""
    values = await forms.read(request, lists=["roles", "active"])
    user = await _user(session, principal, user_id)
    try:
        data = UserUpdate.model_validate(
            {
                "display_name": values.get("display_name", ""),
                "roles": values.get("roles", []),  # none ticked: refused next to the roles
                "is_active": bool(values.get("active")),
            }
        )
        await accounts.update_user(session, principal, principal.org.id, user_id, data, now)
    except (ValidationError, DomainError) as exc:
        raise forms.reject(request, "my_user.html", exc, {"user": user, "form": values}) from exc
    return RedirectResponse("/my/users?done=updated", 303)
