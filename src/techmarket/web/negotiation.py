"""Agreement pricing (协议定价) for its two parties: the thread of offers and
counter-offers, a counter-offer, acceptance, and then the public notice with its end.

``/trades/{id}`` of an agreement redirects here (the trade room dispatches by mode); to
anyone but the seller and the named buyer the negotiation does not exist (404)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import AppSettings, Now
from techmarket.errors import DomainError
from techmarket.trading import agreements, withdrawals
from techmarket.trading.schemas import OfferCreate
from techmarket.types import FEN_MAX, Count, Id, Text
from techmarket.web import forms
from techmarket.web.sessions import SignedIn, Verified
from techmarket.web.templating import render

router = APIRouter()

TEMPLATE = "trades/negotiation.html"

# The API's bound on fen, in yuan, so that every refusal is about the field as typed.
Yuan = Annotated[Decimal, Field(gt=0, le=Decimal(FEN_MAX) / 100, decimal_places=2)]


class OfferForm(BaseModel):
    """An offer as typed: yuan with at most two decimals (the API takes fen)."""

    price: Yuan
    note: Text | None = Field(default=None, max_length=2000)

    def to_offer(self) -> OfferCreate:
        return OfferCreate(price_fen=int(self.price * 100), note=self.note)


def url(trade_id: int) -> str:
    return f"/trades/{trade_id}/negotiation"


async def _context(
    session: Session, principal: Principal, trade_id: int, now: Now
) -> dict[str, Any]:
    found = await agreements.negotiation(session, principal, trade_id)
    return {"n": found, "mine": principal.org.id, "now": now}


@router.get("/trades/{trade_id}/negotiation")
async def negotiation_page(
    trade_id: Id,
    request: Request,
    session: Session,
    principal: SignedIn,
    now: Now,
    ledger: Count | None = None,
) -> HTMLResponse:
    context = await _context(session, principal, trade_id, now)
    return render(request, TEMPLATE, {**context, "done": ledger})


@router.post("/trades/{trade_id}/negotiation/offers")
async def make_offer(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        data = OfferForm.model_validate(values).to_offer()
        _, index = await agreements.offer(
            session, principal, trade_id, data.price_fen, data.note, now
        )
    except (ValidationError, DomainError) as exc:
        context = await _context(session, principal, trade_id, now)
        raise forms.reject(
            request, TEMPLATE, exc, {**context, "form": values, "done": None}
        ) from exc
    return RedirectResponse(f"{url(trade_id)}?ledger={index}#thread", status_code=303)


@router.post("/trades/{trade_id}/negotiation/accept")
async def accept(
    trade_id: Id,
    request: Request,
    session: Session,
    principal: Verified,
    settings: AppSettings,
    now: Now,
) -> RedirectResponse:
    try:
        _, index = await agreements.accept(session, principal, trade_id, settings, now)
    except DomainError as exc:
        context = await _context(session, principal, trade_id, now)
        raise forms.reject(request, TEMPLATE, exc, {**context, "done": None}) from exc
    return RedirectResponse(f"{url(trade_id)}?ledger={index}", status_code=303)


@router.post("/trades/{trade_id}/negotiation/end")
async def end(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """Either party ends the negotiation (the same service as the API's)."""
    try:
        _, index = await withdrawals.end(session, principal, trade_id, now)
    except DomainError as exc:
        context = await _context(session, principal, trade_id, now)
        raise forms.reject(request, TEMPLATE, exc, {**context, "done": None}) from exc
    return RedirectResponse(f"{url(trade_id)}?ledger={index}", status_code=303)
