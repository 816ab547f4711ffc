"""Service agencies (服务机构): the directory, filtered by service category, region served
and text (the API's /agencies), each agency's page with its brokers, and, for the
agency's admin, the form declaring its categories, regions served and description."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.agencies import service
from techmarket.agencies.rules import CATEGORIES
from techmarket.agencies.schemas import AgencyProfileUpdate
from techmarket.brokers import contributions
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.regions import validate_region_code
from techmarket.types import Count, Id, Line
from techmarket.web import forms
from techmarket.web.sessions import Verified, Viewer
from techmarket.web.templating import render

router = APIRouter()

PAGE = 20
TEMPLATE = "agency.html"
CATEGORY_OPTIONS = list(CATEGORIES.items())
_SEPARATORS = re.compile(r"[\s,，、;；]+")


@router.get("/agencies")
async def agency_list(
    request: Request,
    session: Session,
    category: Line | None = None,
    region: Line | None = None,
    q: Line | None = None,
    cursor: Line | None = None,
) -> HTMLResponse:
    """The directory; a filter left empty is no filter, one that cannot match says why."""
    typed = {"category": category or "", "region": region or "", "q": q or ""}
    errors: dict[str, list[str]] = {}
    if category and category not in CATEGORIES:
        errors["category"] = ["没有这一服务类别。"]
    if region:
        try:
            validate_region_code(region)
        except ValueError:
            errors["region"] = ["请填写 6 位行政区划代码，如 330100（杭州市）。"]
    found: list[service.Agency] = []
    more = None
    if not errors:
        found, more = await service.search(
            session, category or None, region or None, q or None, cursor, PAGE
        )
    return render(
        request,
        "agencies.html",
        {
            "agencies": found,
            "next_cursor": more,
            "form": typed,
            "errors": errors,
            "category_options": CATEGORY_OPTIONS,
            "categories": CATEGORIES,
        },
    )


def _profile_form(agency: service.Agency) -> dict[str, Any]:
    profile = agency.profile
    return {
        "categories": profile.categories if profile else [],
        "regions": " ".join(agency.regions),
        "description": profile.description if profile else "",
    }


async def _context(session: Session, viewer: Viewer, org_id: int) -> dict[str, Any]:
    agency = await service.agency(session, org_id)
    own = viewer is not None and viewer.org.id == org_id and "admin" in viewer.roles
    return {
        "a": agency,
        "record": await contributions.of_agency(session, org_id),
        "own": own,
        "categories": CATEGORIES,
        "category_options": CATEGORY_OPTIONS,
        "form": _profile_form(agency),
    }


@router.get("/agencies/{org_id}")
async def agency_page(
    org_id: Id, request: Request, session: Session, viewer: Viewer, ledger: Count | None = None
) -> HTMLResponse:
    return render(request, TEMPLATE, {**await _context(session, viewer, org_id), "done": ledger})


@router.post("/agencies/{org_id}/profile")
async def update_profile(
    org_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """``PUT /api/v1/agencies/{id}/profile``'s service; regions typed as codes separated
    by spaces, commas or 、."""
    values = await forms.read(request, lists=["categories"])
    regions = [r for r in _SEPARATORS.split(values.get("regions", "")) if r]
    try:
        data = AgencyProfileUpdate.model_validate({**values, "regions": regions})
        _, index = await service.update_profile(session, principal, org_id, data, now)
    except (ValidationError, DomainError) as exc:
        context = await _context(session, principal, org_id)
        raise forms.reject(
            request, TEMPLATE, exc, {**context, "form": values, "done": None}
        ) from exc
    return RedirectResponse(f"/agencies/{org_id}?ledger={index}", status_code=303)
