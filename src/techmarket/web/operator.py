"""The platform operator's desk: organisations awaiting verification, objections raised
during public notice awaiting a ruling, and the listings the operator suspended.

Every decision is the same service call as the API's and lands on the ledger; the page
it returns to names that ledger entry (``?ledger=``), read back from the ledger itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts import repository as orgs_repo
from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.accounts.schemas import OrgReview, OrgReviewWithReason
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.ledger import repository as ledger_repo
from techmarket.listings import achievements
from techmarket.models.ledger import LedgerEntry
from techmarket.models.org import OrgStatus
from techmarket.models.trade import ObjectionState
from techmarket.pagination import decode_cursor, encode_cursor, next_cursor
from techmarket.trading import agreements
from techmarket.types import Count, Id
from techmarket.web import forms
from techmarket.web.ledger import event_label
from techmarket.web.sessions import Operator
from techmarket.web.templating import render

router = APIRouter()

PAGE = 20


class SuspendForm(OrgReviewWithReason):
    org_id: Id


async def _done(session: Session, index: int | None) -> dict[str, Any]:
    """The ledger entry the last decision wrote, to show with a link to its receipt."""
    entry: LedgerEntry | None = None
    if index is not None:
        entry = await ledger_repo.entry(session, index)
    return {"done": entry, "event_label": event_label}


def _recorded(path: str, index: int) -> RedirectResponse:
    return RedirectResponse(f"{path}?ledger={index}", status_code=303)


async def _org_desk(session: Session, cursor: str | None) -> dict[str, Any]:
    pending = await orgs_repo.list_orgs(
        session, after_id=decode_cursor(cursor), limit=PAGE, statuses={OrgStatus.pending}, kind=None
    )
    return {"orgs": pending, "next_cursor": next_cursor([o.id for o in pending], PAGE)}


@router.get("/operator")
async def org_desk(
    request: Request,
    session: Session,
    principal: Operator,
    cursor: str | None = None,
    ledger: Count | None = None,
) -> HTMLResponse:
    context = await _org_desk(session, cursor) | await _done(session, ledger)
    return render(request, "operator/orgs.html", context)


async def _review(
    request: Request,
    session: Session,
    principal: Principal,
    org_id: int,
    to: OrgStatus,
    now: Now,
    *,
    reason_needed: bool,
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        schema = OrgReviewWithReason if reason_needed else OrgReview
        reason = schema.model_validate(values).reason
        _, index = await accounts.review(session, principal, org_id, to, reason, now)
    except (ValidationError, DomainError) as exc:
        context = await _org_desk(session, None) | await _done(session, None)
        shown = org_id in {o.id for o in context["orgs"]}
        raise forms.reject(
            request,
            "operator/orgs.html",
            exc,
            {**context, "form": values, "failed": org_id if shown else None},
        ) from exc
    return _recorded("/operator", index)


@router.post("/operator/orgs/{org_id}/verify")
async def verify_org(
    org_id: Id, request: Request, session: Session, principal: Operator, now: Now
) -> RedirectResponse:
    return await _review(
        request, session, principal, org_id, OrgStatus.verified, now, reason_needed=False
    )


@router.post("/operator/orgs/{org_id}/reject")
async def reject_org(
    org_id: Id, request: Request, session: Session, principal: Operator, now: Now
) -> RedirectResponse:
    return await _review(
        request, session, principal, org_id, OrgStatus.rejected, now, reason_needed=True
    )


@router.post("/operator/suspensions")
async def suspend_org(
    request: Request, session: Session, principal: Operator, now: Now
) -> RedirectResponse:
    """Suspend a verified organisation, named by its number (机构编号)."""
    values = await forms.read(request)
    try:
        data = SuspendForm.model_validate(values)
        _, index = await accounts.review(
            session, principal, data.org_id, OrgStatus.suspended, data.reason, now
        )
    except (ValidationError, DomainError) as exc:
        context = await _org_desk(session, None) | await _done(session, None)
        raise forms.reject(
            request,
            "operator/orgs.html",
            exc,
            {**context, "form": values, "failed": "suspend"},
            fields={"org_not_found": "org_id", "invalid_status_transition": "org_id"},
        ) from exc
    return _recorded("/operator", index)


async def _objection_desk(
    session: Session, principal: Principal, cursor: str | None
) -> dict[str, Any]:
    found = await agreements.objections(
        session, principal, ObjectionState.open, decode_cursor(cursor), PAGE
    )
    return {"objections": found, "next_cursor": next_cursor([o["id"] for o in found], PAGE)}


@router.get("/operator/objections")
async def objection_desk(
    request: Request,
    session: Session,
    principal: Operator,
    cursor: str | None = None,
    ledger: Count | None = None,
) -> HTMLResponse:
    context = await _objection_desk(session, principal, cursor) | await _done(session, ledger)
    return render(request, "operator/objections.html", context)


async def _rule(
    request: Request,
    session: Session,
    principal: Principal,
    trade_id: int,
    objection_id: int,
    upheld: bool,
    now: Now,
) -> RedirectResponse:
    try:
        _, index = await agreements.rule(session, principal, trade_id, objection_id, upheld, now)
    except DomainError as exc:
        context = await _objection_desk(session, principal, None) | await _done(session, None)
        shown = objection_id in {o["id"] for o in context["objections"]}
        raise forms.reject(
            request,
            "operator/objections.html",
            exc,
            {**context, "failed": objection_id if shown else None},
        ) from exc
    return _recorded("/operator/objections", index)


@router.post("/operator/objections/{trade_id}/{objection_id}/uphold")
async def uphold(
    trade_id: Id,
    objection_id: Id,
    request: Request,
    session: Session,
    principal: Operator,
    now: Now,
) -> RedirectResponse:
    return await _rule(request, session, principal, trade_id, objection_id, True, now)


@router.post("/operator/objections/{trade_id}/{objection_id}/dismiss")
async def dismiss(
    trade_id: Id,
    objection_id: Id,
    request: Request,
    session: Session,
    principal: Operator,
    now: Now,
) -> RedirectResponse:
    return await _rule(request, session, principal, trade_id, objection_id, False, now)


@router.get("/operator/listings")
async def suspended_listings(
    request: Request, session: Session, principal: Operator, cursor: str | None = None
) -> HTMLResponse:
    """Achievements the operator withdrew (下架), newest first, with why."""
    found = await achievements.suspended(session, principal, decode_cursor(cursor), PAGE)
    more = encode_cursor(found[-1]["event_id"]) if len(found) == PAGE else None
    return render(request, "operator/listings.html", {"listings": found, "next_cursor": more})
