"""Signing in and out of the pages, and one's own account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from techmarket.accounts import service as accounts
from techmarket.db import Session, Sessionmaker
from techmarket.deps import AppSettings, Now
from techmarket.errors import DomainError
from techmarket.web import forms, sessions
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()


class LoginForm(BaseModel):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=1000)]


def safe_next(target: object) -> str:
    """Where to go after signing in: a path on this site only (never ``//host`` or a URL)."""
    if isinstance(target, str) and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/account"


@router.get("/login")
async def login_page(request: Request, next: str = "/account") -> HTMLResponse:
    return render(request, "login.html", {"form": {"next": safe_next(next)}})


@router.post("/login")
async def login(
    request: Request, sessionmaker: Sessionmaker, settings: AppSettings, now: Now
) -> RedirectResponse:
    form = await forms.read(request)
    form["next"] = safe_next(form.get("next"))
    try:
        data = LoginForm.model_validate(form)
        host = request.client.host if request.client else None
        token, record = await accounts.login(
            sessionmaker, settings, data.email, data.password, host, now
        )
    except (ValidationError, DomainError) as exc:
        shown = {k: v for k, v in form.items() if k != "password"}  # never echoed back
        raise forms.reject(
            request, "login.html", exc, {"form": shown}, fields={"invalid_credentials": "password"}
        ) from exc
    response = RedirectResponse(form["next"], status_code=303)
    sessions.start(request, response, token, record.expires_at, now)
    return response


@router.post("/logout")
async def logout(request: Request, session: Session, now: Now) -> RedirectResponse:
    """Revoke the session's token (it stops working everywhere at once) and forget it."""
    token = sessions.session_token(request)
    if token:
        await accounts.logout(session, token, now)
    response = RedirectResponse("/", status_code=303)
    sessions.end(request, response)
    return response


@router.get("/account")
async def account(request: Request, principal: SignedIn) -> HTMLResponse:
    return render(request, "account.html", {"user": principal.user, "org": principal.org})
