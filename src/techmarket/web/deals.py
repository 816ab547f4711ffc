"""Deals (成交): the public list, and each deal's page where its parties record the
technology contract (合同编号, signing date, payment terms, e.g. 先免费许可后付费) and
then its registration (技术合同认定登记); an auction's winner sees the signing deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field, ValidationError

from techmarket.accounts.policy import Principal
from techmarket.brokers import contributions
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.pagination import decode_cursor, next_cursor
from techmarket.trading import deals
from techmarket.trading import repository as trades
from techmarket.trading.payments import service as payments
from techmarket.trading.schemas import ContractCreate, ContractRegistration
from techmarket.types import Count, Id, Line
from techmarket.web import forms
from techmarket.web.money import YuanPrice
from techmarket.web.sessions import Verified, Viewer
from techmarket.web.templating import render

router = APIRouter()

PAGE = 20
TEMPLATE = "trades/deal.html"
PAYMENTS_SHOWN = 200  # instalments of one contract: far fewer in practice


class PaymentForm(BaseModel):
    """A payment as typed on the deal page: the amount in yuan."""

    amount_fen: YuanPrice = Field(alias="amount")
    received_on: date
    evidence: Line = Field(min_length=1, max_length=200)


@router.get("/deals")
async def deal_list(request: Request, session: Session, cursor: Line | None = None) -> HTMLResponse:
    """Concluded deals, oldest first (the API's /deals)."""
    found = await trades.deals(session, decode_cursor(cursor), PAGE)
    more = next_cursor([d["trade_id"] for d in found], PAGE)
    return render(request, "trades/deals.html", {"deals": found, "next_cursor": more})


async def _deal(
    session: Session, viewer: Principal | None, trade_id: int, now: Now
) -> dict[str, Any]:
    found = await deals.deal(session, viewer, trade_id)
    context = {
        "d": found,
        "now": now,
        "party": found.is_party(viewer.org.id if viewer else None),
        "served_by": await contributions.of_deal(session, trade_id),
    }
    if found.contract is not None:
        listed, _ = await payments.payments(session, viewer, trade_id, None, PAYMENTS_SHOWN)
        context["payments"] = [(p, payments.sees_evidence(viewer, p)) for p in listed]
        context["received"] = await payments.received(session, viewer, trade_id)
        context["viewer_org_id"] = viewer.org.id if viewer else None
    return context


@router.get("/deals/{trade_id}")
async def deal_page(
    trade_id: Id,
    request: Request,
    session: Session,
    viewer: Viewer,
    now: Now,
    ledger: Count | None = None,
) -> HTMLResponse:
    return render(
        request, TEMPLATE, {**await _deal(session, viewer, trade_id, now), "done": ledger}
    )


async def _record(
    request: Request,
    session: Session,
    principal: Principal,
    trade_id: int,
    now: Now,
    schema: type[BaseModel],
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        data = schema.model_validate(values)
        if isinstance(data, ContractCreate):
            _, index = await deals.record_contract(
                session,
                principal,
                trade_id,
                data.contract_number,
                data.signed_on,
                data.payment_terms,
                now,
            )
        else:
            assert isinstance(data, ContractRegistration)
            _, index = await deals.register_contract(
                session, principal, trade_id, data.registration_number, data.registered_on, now
            )
    except (ValidationError, DomainError) as exc:
        context = await _deal(session, principal, trade_id, now)
        raise forms.reject(
            request, TEMPLATE, exc, {**context, "form": values, "done": None}
        ) from exc
    return RedirectResponse(f"/deals/{trade_id}?ledger={index}", status_code=303)


@router.post("/deals/{trade_id}/contract")
async def record_contract(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    return await _record(request, session, principal, trade_id, now, ContractCreate)


@router.post("/deals/{trade_id}/registration")
async def register_contract(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    return await _record(request, session, principal, trade_id, now, ContractRegistration)


@router.post("/deals/{trade_id}/payments")
async def record_payment(
    trade_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """A party records a payment received (实际到账), for the other party to confirm."""
    values = await forms.read(request)
    try:
        data = PaymentForm.model_validate(values)
        _, index = await payments.record(
            session, principal, trade_id, data.amount_fen, data.received_on, data.evidence, now
        )
    except (ValidationError, DomainError) as exc:
        context = await _deal(session, principal, trade_id, now)
        raise forms.reject(
            request, TEMPLATE, exc, {**context, "form": values, "done": None}
        ) from exc
    return RedirectResponse(f"/deals/{trade_id}?ledger={index}#payments-title", status_code=303)


@router.post("/deals/{trade_id}/payments/{payment_id}/confirm")
async def confirm_payment(
    trade_id: Id, payment_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """The other party confirms a payment: it now counts as received."""
    try:
        _, index = await payments.confirm(session, principal, trade_id, payment_id, now)
    except DomainError as exc:
        context = await _deal(session, principal, trade_id, now)
        raise forms.reject(request, TEMPLATE, exc, {**context, "done": None}) from exc
    return RedirectResponse(f"/deals/{trade_id}?ledger={index}#payments-title", status_code=303)
