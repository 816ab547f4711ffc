"""One-click unsubscribe from an e-mail's kind (RFC 8058): ``/unsubscribe/<token>``.

A mail client POSTs ``List-Unsubscribe=One-Click`` to the link in the message's
``List-Unsubscribe`` header, without cookies, so these routes are outside the pages' CSRF
check: the signed token is the authority. A person who opens the link gets a page that
asks first (a GET never changes anything: link scanners follow links), and works without
JavaScript."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techmarket.db import Session
from techmarket.delivery import service
from techmarket.notify.kinds import ABOUT, Kind
from techmarket.web.templating import render

router = APIRouter()


def _key(request: Request) -> bytes:
    key: bytes = request.app.state.session_key
    return key


@router.get("/unsubscribe/{token}")
async def confirm(request: Request, token: str, session: Session) -> HTMLResponse:
    _, kind = await service.unsubscribed(session, _key(request), token)
    return render(
        request, "unsubscribe.html", {"kind_label": ABOUT[Kind(kind)].label, "done": False}
    )


@router.post("/unsubscribe/{token}")
async def unsubscribe(request: Request, token: str, session: Session) -> HTMLResponse:
    kind = await service.unsubscribe_email(session, _key(request), token)
    return render(
        request, "unsubscribe.html", {"kind_label": ABOUT[Kind(kind)].label, "done": True}
    )
