"""Webhooks on the pages (/my/webhooks): an organisation's admin registers endpoints (the
secret shown once, on the page that follows), reads each one's delivery log and removes
it. The same service as the API decides."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.delivery import service
from techmarket.delivery.schemas import WebhookCreate
from techmarket.deps import AppSettings, Now
from techmarket.errors import DomainError
from techmarket.notify.kinds import ABOUT
from techmarket.types import Id, Line
from techmarket.web import forms
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

SHOWN = 200  # endpoints on the page
LOG_PAGE = 50
STATUS_NAMES = {"pending": "待重试", "sent": "已送达", "failed": "已放弃"}


def _kinds() -> list[tuple[str, str]]:
    return [(str(k), about.label) for k, about in ABOUT.items()]


async def _listing(session: Session, principal: Principal) -> dict[str, Any]:
    found, _ = await service.endpoints(session, principal, None, SHOWN)
    return {"endpoints": found, "kinds": _kinds(), "kind_names": dict(_kinds()), "created": None}


@router.get("/my/webhooks")
async def webhooks_page(request: Request, session: Session, principal: SignedIn) -> HTMLResponse:
    return render(request, "my_webhooks.html", await _listing(session, principal))


@router.post("/my/webhooks")
async def register(
    request: Request, session: Session, principal: SignedIn, settings: AppSettings, now: Now
) -> HTMLResponse:
    values = await forms.read(request, lists=["kinds"])
    try:
        data = WebhookCreate.model_validate(
            {"url": values.get("url", ""), "kinds": values.get("kinds", [])}
        )
        created = await service.register(session, principal, data.url, data.kinds, settings, now)
    except (ValidationError, DomainError) as exc:
        context = await _listing(session, principal)
        raise forms.reject(
            request,
            "my_webhooks.html",
            exc,
            {**context, "form": values},
            fields={"webhook_url_refused": "url"},
        ) from exc
    # The secret is shown on this page only: it is never shown again.
    context = await _listing(session, principal)
    return render(request, "my_webhooks.html", {**context, "created": created}, status_code=201)


@router.get("/my/webhooks/{webhook_id}")
async def webhook_page(
    request: Request,
    webhook_id: Id,
    session: Session,
    principal: SignedIn,
    cursor: Line | None = None,
) -> HTMLResponse:
    found = await service.endpoint(session, principal, webhook_id)
    log, more = await service.log(session, principal, webhook_id, cursor, LOG_PAGE)
    return render(
        request,
        "my_webhook.html",
        {
            "endpoint": found,
            "log": log,
            "next_cursor": more,
            "kind_names": dict(_kinds()),
            "status_names": STATUS_NAMES,
        },
    )


@router.post("/my/webhooks/{webhook_id}/remove")
async def remove(
    webhook_id: Id, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    await service.remove(session, principal, webhook_id, now)
    return RedirectResponse("/my/webhooks", 303)
