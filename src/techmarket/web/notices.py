"""The public notice board (公示): agreed prices on notice, with parties, price, period
and time left, for anyone; a verified organisation raises an objection with reasons from
the board, and everyone sees its outcome once the operator rules."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.trading import agreements
from techmarket.trading.schemas import ObjectionCreate
from techmarket.types import Count, Id
from techmarket.web import forms
from techmarket.web.sessions import Verified, Viewer
from techmarket.web.templating import render

router = APIRouter()

TEMPLATE = "trades/notices.html"
ENDED = 10  # how many notices that are over the board still shows


async def _board(session: Session, viewer: Principal | None, now: Now) -> dict[str, Any]:
    return {
        "notices": await agreements.notice_board(session),
        "ended": await agreements.ended_notices(session, ENDED),
        "now": now,
        # Who sees the objection form (the service decides all the same).
        "may_object": viewer is not None and viewer.verified and not viewer.is_operator,
        "viewer_org": viewer.org.id if viewer else None,
        "failed": None,
    }


@router.get("/notices")
async def notice_board(
    request: Request, session: Session, viewer: Viewer, now: Now, ledger: Count | None = None
) -> HTMLResponse:
    return render(request, TEMPLATE, {**await _board(session, viewer, now), "done": ledger})


@router.post("/notices/{trade_id}/objections")
async def object_to(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        reasons = ObjectionCreate.model_validate(values).reasons
        _, index = await agreements.object_to(session, principal, trade_id, reasons, now)
    except (ValidationError, DomainError) as exc:
        context = await _board(session, principal, now)
        listed = trade_id in {n.trade_id for n in context["notices"]}
        raise forms.reject(
            request,
            TEMPLATE,
            exc,
            {**context, "form": values, "failed": trade_id if listed else 0, "done": None},
        ) from exc
    return RedirectResponse(f"/notices?ledger={index}#notice-{trade_id}", status_code=303)
