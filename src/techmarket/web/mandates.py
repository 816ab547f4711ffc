"""Mandates on the pages (/my/mandates): the client's admin gives an agency a mandate and
revokes it, the agency's admin accepts or revokes it, its brokers follow it to the object
they act on for the client (the page then acts under ``?mandate=``, see ``sessions``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts import repository as accounts_repo
from techmarket.accounts.policy import Principal
from techmarket.brokers import mandates, rules
from techmarket.brokers import repository as brokers_repo
from techmarket.brokers.schemas import MandateCreate
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.models.mandate import Mandate
from techmarket.models.org import OrgKind, OrgStatus
from techmarket.web import entry, forms
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

SHOWN = 200  # mandates on the page, oldest first
DONE = {
    "given": "委托已提交，待受托机构接受。",
    "accepted": "已接受委托。",
    "revoked": "委托已撤销。",
}
OBJECT_KINDS = [("trade", "交易"), ("achievement", "科技成果"), ("demand", "企业需求")]
SCOPES = [
    (rules.Scope.respond.value, "揭榜应答"),
    (rules.Scope.negotiate.value, "议价谈判"),
    (rules.Scope.register_and_bid.value, "报名竞价"),
]
# Where a broker acts on each kind of object (the page keeps its mandate).
OBJECT_PAGES = {"trade": "/trades/{}", "achievement": "/achievements/{}", "demand": "/demands/{}"}


async def _listing(session: Session, principal: Principal, now: datetime) -> dict[str, Any]:
    found: list[Mandate] = await mandates.of_org(session, principal, None, SHOWN)
    orgs = {m.client_org_id for m in found} | {m.agency_org_id for m in found}
    agencies = await accounts_repo.list_orgs(
        session, after_id=None, limit=SHOWN, statuses={OrgStatus.verified}, kind=OrgKind.agency
    )
    names = await brokers_repo.names(session, sorted(orgs))
    return {
        "mandates": [
            {
                "m": m,
                "in_force": rules.in_force(mandates.grant_of(m), now),
                "client": names[m.client_org_id],
                "agency": names[m.agency_org_id],
                "object_url": OBJECT_PAGES[m.object_kind].format(m.object_id),
            }
            for m in found
        ],
        "agencies": [(str(o.id), o.name) for o in agencies if o.id != principal.org.id],
        "object_kinds": OBJECT_KINDS,
        "scopes": SCOPES,
        "scope_names": dict(SCOPES),
        "is_admin": "admin" in principal.roles,
        "is_broker": "broker" in principal.roles and principal.org.kind == OrgKind.agency,
        "done": None,
    }


@router.get("/my/mandates")
async def mandates_page(
    request: Request, session: Session, principal: SignedIn, now: Now, done: str | None = None
) -> HTMLResponse:
    context = await _listing(session, principal, now)
    return render(request, "my_mandates.html", {**context, "done": DONE.get(done or "")})


@router.post("/my/mandates")
async def give(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request, lists=["scope"])
    try:
        data = MandateCreate.model_validate(
            {
                "agency_org_id": values.get("agency_org_id") or None,
                "object_kind": values.get("object_kind") or None,
                "object_id": values.get("object_id") or None,
                "scope": values.get("scope", []),
                "fee_terms": values.get("fee_terms", ""),
                "share_pct": values.get("share_pct") or 100,
                "valid_until": entry.beijing_time(values.get("valid_until") or None),
            }
        )
        await mandates.give(session, principal, data, now)
    except (ValidationError, DomainError) as exc:
        context = await _listing(session, principal, now)
        raise forms.reject(request, "my_mandates.html", exc, {**context, "form": values}) from exc
    return RedirectResponse("/my/mandates?done=given", 303)


@router.post("/my/mandates/{mandate_id}/accept")
async def accept(
    request: Request, mandate_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    await _decide(request, session, principal, now, mandates.accept, mandate_id)
    return RedirectResponse("/my/mandates?done=accepted", 303)


@router.post("/my/mandates/{mandate_id}/revoke")
async def revoke(
    request: Request, mandate_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    await _decide(request, session, principal, now, mandates.revoke, mandate_id)
    return RedirectResponse("/my/mandates?done=revoked", 303)


Step = Callable[[Session, Principal, int, datetime], Awaitable[tuple[Mandate, int]]]


async def _decide(
    request: Request,
    session: Session,
    principal: Principal,
    now: datetime,
    step: Step,
    mandate_id: int,
) -> None:
    try:
        await step(session, principal, mandate_id, now)
    except DomainError as exc:
        context = await _listing(session, principal, now)
        raise forms.reject(request, "my_mandates.html", exc, context) from exc
