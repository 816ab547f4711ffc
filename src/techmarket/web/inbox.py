"""The inbox pages: one's notifications (mark one or all read), e-mail preferences per
kind, and the stream that keeps the header's unread count and the list live while a page
is open (a small script; without it the pages work all the same)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse

from techmarket.accounts import service as accounts
from techmarket.db import Session, unit_of_work
from techmarket.deps import Now
from techmarket.notify import inbox
from techmarket.notify.kinds import ABOUT, Kind
from techmarket.notify.live import Listener
from techmarket.pagination import DEFAULT_LIMIT, decode_cursor, next_cursor
from techmarket.types import Id, Line
from techmarket.web import forms
from techmarket.web.sessions import SignedIn, session_token
from techmarket.web.templating import render

router = APIRouter()

KEEPALIVE = 15.0  # seconds between comments on an idle stream (proxies close silent ones)
LATEST = 10  # notifications a woken page is sent at most


@router.get("/inbox")
async def inbox_page(
    request: Request,
    session: Session,
    principal: SignedIn,
    unread: bool = False,
    cursor: Annotated[Line | None, Query()] = None,
    done: str | None = None,
) -> HTMLResponse:
    found = await inbox.page(
        session, principal.user.id, decode_cursor(cursor), unread, DEFAULT_LIMIT
    )
    return render(
        request,
        "inbox.html",
        {
            "notifications": found,
            "next_cursor": next_cursor([n.id for n in found], DEFAULT_LIMIT),
            "unread_only": unread,
            "labels": {kind: about.label for kind, about in ABOUT.items()},
            "done": done == "read",
        },
    )


@router.post("/inbox/read")
async def read_all(session: Session, principal: SignedIn, now: Now) -> RedirectResponse:
    await inbox.read_all(session, principal.user.id, now)
    return RedirectResponse("/inbox?done=read", 303)


@router.post("/inbox/{notification_id}/read")
async def read_one(
    notification_id: Id, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    await inbox.read(session, principal.user.id, notification_id, now)
    return RedirectResponse("/inbox?done=read", 303)


@router.get("/account/notifications")
async def preferences_page(
    request: Request, session: Session, principal: SignedIn, done: str | None = None
) -> HTMLResponse:
    email = await inbox.preferences(session, principal.user.id)
    kinds = [(kind, about.label, email[kind]) for kind, about in ABOUT.items()]
    return render(request, "inbox_preferences.html", {"kinds": kinds, "done": done == "saved"})


@router.post("/account/notifications")
async def save_preferences(
    request: Request, session: Session, principal: SignedIn
) -> RedirectResponse:
    """The form lists every kind: a box left unticked is a kind not e-mailed."""
    ticked = set((await forms.read(request, lists=("email",))).get("email", []))
    await inbox.choose(session, principal.user.id, {kind: kind in ticked for kind in Kind})
    return RedirectResponse("/account/notifications?done=saved", 303)


@router.get("/inbox/live")
async def live(request: Request, principal: SignedIn) -> StreamingResponse:
    """Server-sent events: the unread count and the newest notifications, at once and
    whenever the user is told something. The session is checked again before each
    message, so a signed-out or deactivated user's stream ends."""
    listener: Listener = request.app.state.inbox_listener
    return StreamingResponse(
        events(request, listener, principal.user.id, session_token(request) or ""),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def events(
    request: Request, listener: Listener, user_id: int, token: str
) -> AsyncIterator[str]:
    app = request.app
    woken = listener.watch(user_id)
    stopping = asyncio.create_task(app.state.stopping.begun.wait())
    try:
        last_id: int | None = None  # the page drew what there was when it opened
        while not stopping.done():
            woken.clear()  # before reading: a notification told meanwhile wakes it again
            async with unit_of_work(app.state.sessionmaker) as session:
                now: datetime = app.state.clock.now()
                try:
                    await accounts.authenticate(session, token, now)
                except accounts.TokenInvalid:
                    return
                count = await inbox.unread(session, user_id)
                latest = await inbox.page(session, user_id, None, False, LATEST)
            seen = last_id
            new = [] if seen is None else [n for n in reversed(latest) if n.id > seen]
            last_id = max([seen or 0, *(n.id for n in latest)])
            message = {
                "unread": count,
                "new": [
                    {"id": n.id, "title": n.title, "body": n.body, "link": n.link} for n in new
                ],
            }
            yield f"data: {json.dumps(message, ensure_ascii=False)}\n\n"
            waiting = asyncio.create_task(woken.wait())
            done, _ = await asyncio.wait(
                {waiting, stopping}, timeout=KEEPALIVE, return_when="FIRST_COMPLETED"
            )
            waiting.cancel()
            if not done:
                yield ": keepalive\n\n"
    finally:
        stopping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stopping
        listener.unwatch(user_id, woken)
