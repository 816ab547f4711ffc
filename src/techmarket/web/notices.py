"""The public notice board (公示): agreed prices on notice, with parties, price, period
and time left, for anyone; a verified organisation raises an objection with reasons from
the board, and everyone sees its outcome once the operator rules; an organisation other
than the parties makes a competing offer (竞争报价) from it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ValidationError

from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.trading import agreements, competing
from techmarket.trading.schemas import ObjectionCreate
from techmarket.types import Count, Id
from techmarket.web import forms
from techmarket.web.money import YuanPrice
from techmarket.web.sessions import Verified, Viewer
from techmarket.web.templating import render

router = APIRouter()

TEMPLATE = "trades/notices.html"
ENDED = 10  # how many notices that are over the board still shows


class CompetingOfferForm(BaseModel):
    """A competing offer as typed: yuan with at most two decimals (the API takes fen)."""

    price: YuanPrice


async def _board(session: Session, viewer: Principal | None, now: Now) -> dict[str, Any]:
    notices = await agreements.notice_board(session)
    return {
        "notices": notices,
        "ended": await agreements.ended_notices(session, ENDED),
        "now": now,
        # Who sees the objection and competing-offer forms (the services decide all the same).
        "may_object": viewer is not None and viewer.verified and not viewer.is_operator,
        "viewer_org": viewer.org.id if viewer else None,
        "own_offers": await competing.own_offers(session, viewer, [n.trade_id for n in notices]),
        "failed": None,
        "failed_form": None,
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
        raise _refused(request, context, values, trade_id, "object", exc) from exc
    return RedirectResponse(f"/notices?ledger={index}#notice-{trade_id}", status_code=303)


@router.post("/notices/{trade_id}/competing-offers")
async def make_competing_offer(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        price_fen = CompetingOfferForm.model_validate(values).price
        _, index = await competing.make_offer(session, principal, trade_id, price_fen, now)
    except (ValidationError, DomainError) as exc:
        context = await _board(session, principal, now)
        raise _refused(request, context, values, trade_id, "compete", exc) from exc
    return RedirectResponse(f"/notices?ledger={index}#notice-{trade_id}", status_code=303)


def _refused(
    request: Request,
    board: dict[str, Any],
    values: dict[str, Any],
    trade_id: int,
    failed_form: str,
    exc: ValidationError | DomainError,
) -> forms.FormRejected:
    """The board again, the refused form (``object`` or ``compete``) open under its notice
    with what was typed, if that notice is still on the board."""
    listed = trade_id in {n.trade_id for n in board["notices"]}
    return forms.reject(
        request,
        TEMPLATE,
        exc,
        {
            **board,
            "form": values,
            "failed": trade_id if listed else 0,
            "failed_form": failed_form,
            "done": None,
        },
        fields={"competing_offer_too_low": "price"},
    )
