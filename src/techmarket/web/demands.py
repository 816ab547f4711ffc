"""Enterprise demands (企业需求): search, one demand's public page with its deadline and
matching achievements, and responding to it (揭榜)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field, ValidationError

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Action, Principal, authorize
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError, Forbidden
from techmarket.listings import demands, search
from techmarket.listings.schemas import ResponseCreate
from techmarket.models.listing import Achievement, Demand, DemandResponse, DemandStatus
from techmarket.web import forms, listing_queries, messages
from techmarket.web.listing_queries import PAGE_SIZE, SORTS, DemandQuery
from techmarket.web.money import YuanPrice
from techmarket.web.sessions import SignedIn, Viewer, keeping_mandate
from techmarket.web.templating import render

router = APIRouter()

MATCHES = 10
LINKABLE = 50  # own published achievements offered for linking to a response


class ResponseForm(ResponseCreate):
    """The 揭榜 form: the API's schema, its price typed in yuan."""

    quoted_price_fen: YuanPrice = Field(alias="quoted_price")


@router.get("/demands")
async def search_page(request: Request, session: Session, viewer: Viewer, now: Now) -> HTMLResponse:
    query, typed, errors = listing_queries.read(request, DemandQuery)
    found: list[Demand] = []
    next_cursor = None
    if query is not None:
        found, next_cursor = await search.search_demands(
            session, viewer, query.filters(), query.sort, query.cursor, PAGE_SIZE, now
        )
    return render(
        request,
        "demands.html",
        {
            "form": typed,
            "errors": errors,
            "regions": listing_queries.region_of(typed),
            "sorts": SORTS,
            "results": found,
            "next_cursor": next_cursor,
            "now": now,
            "days_left": days_left,
        },
        status_code=422 if errors else 200,
    )


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days until the deadline, a part day counting as one (0 once it passed)."""
    return max(0, math.ceil((deadline - now) / timedelta(days=1)))


async def _page(
    request: Request,
    session: Session,
    viewer: Principal | None,
    demand: Demand,
    now: datetime,
    *,
    form: dict[str, object] | None = None,
    errors: forms.FieldErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    status = demands.effective_status(demand, now)
    refusal = None
    linkable: list[Achievement] = []
    responses: list[DemandResponse] = []
    if viewer is not None:
        try:
            authorize(viewer, Action.demand_respond, viewer.org.id)
        except Forbidden as exc:
            refusal = messages.domain(exc)
        else:
            linkable, _ = await search.search_achievements(
                session,
                viewer,
                search.AchievementFilters(org_id=viewer.org.id),
                "newest",
                None,
                LINKABLE,
            )
        responses = await demands.responses(session, viewer, demand.id, now)
    return render(
        request,
        "demand.html",
        {
            "d": demand,
            "status": status,
            "open": status == DemandStatus.published,
            "days_left": days_left(demand.deadline, now),
            "now": now,
            "owner": await accounts.load_org(session, demand.org_id),
            "matches": await search.achievements_for_demand(session, demand, MATCHES),
            "refusal": refusal,
            "linkable": [(str(a.id), a.title) for a in linkable],
            "titles": {a.id: a.title for a in linkable},  # of the achievements one linked
            "responses": responses,
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/demands/{demand_id}")
async def demand_page(
    request: Request, demand_id: int, session: Session, viewer: Viewer, now: Now
) -> HTMLResponse:
    demand = await demands.load(session, viewer, demand_id, now)
    return await _page(request, session, viewer, demand, now)


@router.post("/demands/{demand_id}/responses")
async def respond(
    request: Request, demand_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """揭榜: the same service as ``POST /api/v1/demands/{id}/responses``."""
    values = await forms.read(request, lists=["achievement_ids"])
    try:
        data = ResponseForm.model_validate(values)
        await demands.respond(session, principal, demand_id, data, now)
    except (ValidationError, DomainError) as exc:
        demand = await demands.load(session, principal, demand_id, now)
        errors = forms.field_errors(exc, {"invalid_input": "achievement_ids"})
        status = 422 if isinstance(exc, ValidationError) or exc.status in (400, 401) else exc.status
        page = await _page(
            request, session, principal, demand, now, form=values, errors=errors,
            status_code=status,
        )  # fmt: skip
        raise forms.FormRejected(page, exc) from exc
    return RedirectResponse(
        keeping_mandate(f"/demands/{demand_id}#responses", principal), status_code=303
    )
