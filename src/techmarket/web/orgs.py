"""Institutions (机构): the verified organisations, one's public profile, and registering
a new organisation with its first administrator."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from techmarket.accounts import repository as accounts_repo
from techmarket.accounts import service as accounts
from techmarket.accounts.schemas import REGISTRABLE_KINDS, OrgCreate
from techmarket.db import Session
from techmarket.deps import AppSettings, Now
from techmarket.errors import DomainError
from techmarket.listings import search
from techmarket.models.org import OrgKind, OrgStatus
from techmarket.pagination import decode_cursor, next_cursor
from techmarket.trading import repository as trades
from techmarket.web import forms, labels, places, sessions
from techmarket.web.sessions import Viewer
from techmarket.web.templating import render

router = APIRouter()

PAGE_SIZE = 30
SHOWN = 10  # of each kind of record on a profile
REGISTRABLE = [(v, t) for v, t in labels.options("org_kind") if v in REGISTRABLE_KINDS]
CREDIT_CODE_MESSAGE = (
    "统一社会信用代码无效：应为 18 位数字或大写字母（不含 I、O、S、V、Z），"
    "第 3–8 位为行政区划代码，末位校验码须符合 GB 32100-2015。"
)


@router.get("/orgs")
async def org_list(
    request: Request,
    session: Session,
    kind: OrgKind | None = None,
    cursor: str | None = None,
) -> HTMLResponse:
    """Verified organisations, as ``GET /api/v1/orgs`` lists them to everyone."""
    found = await accounts_repo.list_orgs(
        session,
        after_id=decode_cursor(cursor),
        limit=PAGE_SIZE,
        statuses={OrgStatus.verified},
        kind=kind,
    )
    return render(
        request,
        "orgs.html",
        {
            "orgs": found,
            "next_cursor": next_cursor([o.id for o in found], PAGE_SIZE),
            "form": {"kind": kind.value if kind else ""},
        },
    )


@router.get("/orgs/{org_id}")
async def org_page(
    request: Request, org_id: int, session: Session, viewer: Viewer, now: Now
) -> HTMLResponse:
    org = await accounts.load_org(session, org_id)
    if not accounts.visible_to(viewer, org):
        raise accounts.OrgNotFound()
    published, _ = await search.search_achievements(
        session, viewer, search.AchievementFilters(org_id=org.id), "newest", None, SHOWN
    )
    wanted, _ = await search.search_demands(
        session, viewer, search.DemandFilters(org_id=org.id), "newest", None, SHOWN, now
    )
    return render(
        request,
        "org.html",
        {
            "org": org,
            "achievements": published,
            "demands": wanted,
            "deals": await trades.deals(session, None, SHOWN, org_id=org.id),
        },
    )


@router.get("/register")
async def register_page(request: Request) -> HTMLResponse:
    return render(request, "register.html", _form_context({}))


def _form_context(typed: dict[str, Any]) -> dict[str, Any]:
    region = places.pick(typed.get("province"), typed.get("city"), typed.get("district"))
    return {"form": typed, "kinds": REGISTRABLE, "regions": places.RegionSelects.of(region)}


@router.post("/register")
async def register(request: Request, session: Session, settings: AppSettings, now: Now) -> Response:
    """``POST /api/v1/orgs``'s service, then signed in as the new administrator, who sees
    the organisation pending verification."""
    values = await forms.read(request)
    shown = {k: v for k, v in values.items() if k != "admin.password"}  # never echoed back
    if "refine" in values:  # without script: show the cities of the province chosen
        return render(request, "register.html", _form_context(shown))
    region = places.pick(values.get("province"), values.get("city"), values.get("district"))
    data = {
        "name": values.get("name"),
        "kind": values.get("kind"),
        "region_code": region,
        "credit_code": values.get("credit_code"),
        "admin": {k.removeprefix("admin."): v for k, v in values.items() if k.startswith("admin.")},
    }
    try:
        org, admin = await accounts.register(
            session, OrgCreate.model_validate({k: v for k, v in data.items() if v}), now
        )
        token, record = accounts.issue_token(session, settings, admin, now)
    except (ValidationError, DomainError) as exc:
        raise forms.reject(
            request,
            "register.html",
            exc,
            _form_context(shown),
            messages_by_field={"credit_code": CREDIT_CODE_MESSAGE},
        ) from exc
    response = RedirectResponse(f"/orgs/{org.id}", status_code=303)
    sessions.start(request, response, token, record.expires_at, now)
    return response
