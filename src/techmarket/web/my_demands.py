"""The organisation's demands (/my/demands: post, edit, publish, close, and decide on the
responses each received) and the responses it sent (/my/responses: withdraw)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts import repository as accounts_repo
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings import demands
from techmarket.listings import repository as listings_repo
from techmarket.listings.schemas import DemandCreate, DemandUpdate
from techmarket.models.listing import Demand, DemandStatus, ResponseStatus
from techmarket.pagination import decode_cursor, encode_cursor
from techmarket.web import entry, forms
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

PAGE = 50
DONE = {
    "created": "草稿已保存。",
    "updated": "修改已保存。",
    "published": "已发布，开始征集揭榜方案。",
    "closed": "已关闭。",
    "shortlisted": "已列入入围。",
    "declined": "已婉拒该方案。",
    "accepted": "已采纳该方案，需求已揭榜。",
    "withdrawn": "已撤回方案。",
}
DECISIONS = {
    "shortlist": ResponseStatus.shortlisted,
    "decline": ResponseStatus.declined,
    "accept": ResponseStatus.accepted,
}
AMOUNTS = ("budget_min_fen", "budget_max_fen", "reward_fen")
MONEY_MESSAGE = "请填写大于 0 的金额（元，最多两位小数）。"


def _data(values: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        **{k: values.get(k) for k in ("title", "description", "industry", "region_code")},
        "cooperation_mode": values.get("cooperation_mode"),
        "deadline": entry.beijing_time(values.get("deadline")),
        "is_challenge": bool(values.get("is_challenge")),
        **{k: entry.fen(values.get(k)) for k in AMOUNTS},
    }
    return {k: v for k, v in data.items() if v is not None}


def _form(d: Demand) -> dict[str, Any]:
    return {
        "title": d.title,
        "description": d.description,
        "industry": str(d.industry),
        "region_code": d.region_code,
        "cooperation_mode": str(d.cooperation_mode),
        "deadline": entry.beijing_text(d.deadline),
        "is_challenge": ["true"] if d.is_challenge else [],
        **{k: entry.yuan_text(getattr(d, k)) for k in AMOUNTS},
    }


def _reject(
    request: Request,
    exc: DomainError | ValidationError,
    values: dict[str, Any],
    demand: Demand | None,
) -> forms.FormRejected:
    return forms.reject(
        request,
        "demand_form.html",
        exc,
        {"demand": demand, "form": values},
        fields={"deadline_passed": "deadline"},
        messages_by_field={k: MONEY_MESSAGE for k in AMOUNTS},
    )


def _done(demand_id: int, what: str, index: int | None = None) -> RedirectResponse:
    ledger = f"&ledger={index}" if index is not None else ""
    return RedirectResponse(f"/my/demands/{demand_id}?done={what}{ledger}", 303)


@router.get("/my/demands")
async def list_demands(
    request: Request, session: Session, principal: SignedIn, now: Now, cursor: str | None = None
) -> HTMLResponse:
    found = await demands.of_org(session, principal, decode_cursor(cursor), PAGE)
    return render(
        request,
        "my_demands.html",
        {
            "demands": [(d, demands.effective_status(d, now)) for d in found],
            "next_cursor": encode_cursor(found[-1].id) if len(found) == PAGE else None,
        },
    )


@router.get("/my/demands/new")
async def new_demand(request: Request, principal: SignedIn) -> HTMLResponse:
    return render(request, "demand_form.html", {"demand": None})


@router.post("/my/demands")
async def create_demand(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request, lists=["is_challenge"])
    try:
        created = await demands.create(
            session, principal, DemandCreate.model_validate(_data(values)), now
        )
    except (ValidationError, DomainError) as exc:
        raise _reject(request, exc, values, None) from exc
    return _done(created.id, "created")


@router.get("/my/demands/{demand_id}")
async def show_demand(
    request: Request,
    demand_id: int,
    session: Session,
    principal: SignedIn,
    now: Now,
    done: str | None = None,
    ledger: int | None = None,
) -> HTMLResponse:
    demand = await demands.load_own(session, principal, demand_id)
    received = await demands.responses(session, principal, demand_id, now)
    return render(
        request,
        "my_demand.html",
        {
            "demand": demand,
            "status": demands.effective_status(demand, now),
            "responses": received,
            "responders": await accounts_repo.org_names(session, [r.org_id for r in received]),
            "linked": await listings_repo.achievement_titles(
                session, [a for r in received for a in r.achievement_ids]
            ),
            "done": DONE.get(done or ""),
            "ledger_index": ledger,
        },
    )


@router.get("/my/demands/{demand_id}/edit")
async def edit_demand(
    request: Request, demand_id: int, session: Session, principal: SignedIn
) -> HTMLResponse:
    demand = await demands.load_own(session, principal, demand_id)
    return render(request, "demand_form.html", {"demand": demand, "form": _form(demand)})


@router.post("/my/demands/{demand_id}/edit")
async def update_demand(
    request: Request, demand_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    demand = await demands.load_own(session, principal, demand_id)
    values = await forms.read(request, lists=["is_challenge"])
    try:
        data = DemandCreate.model_validate(_data(values))  # the whole record, as at creation
        await demands.update(
            session, principal, demand_id, DemandUpdate.model_validate(data.model_dump()), now
        )
    except (ValidationError, DomainError) as exc:
        raise _reject(request, exc, values, demand) from exc
    return _done(demand_id, "updated")


@router.post("/my/demands/{demand_id}/publish")
async def publish_demand(
    demand_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    _, index = await demands.publish(session, principal, demand_id, now)
    return _done(demand_id, "published", index)


@router.post("/my/demands/{demand_id}/close")
async def close_demand(
    demand_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    await demands.close(session, principal, demand_id, now)
    return _done(demand_id, "closed")


@router.post("/my/demands/{demand_id}/responses/{response_id}/{decision}")
async def decide(
    demand_id: int, response_id: int, decision: str, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """The demand's owner shortlists, declines or accepts (accepting is ledgered)."""
    to = DECISIONS.get(decision)
    if to is None:
        raise demands.ResponseNotFound()
    _, index = await demands.decide(session, principal, demand_id, response_id, to, now)
    return _done(demand_id, to.value, index)


@router.get("/my/responses")
async def responses_sent(
    request: Request, session: Session, principal: SignedIn, now: Now, done: str | None = None
) -> HTMLResponse:
    sent = await demands.responses_sent(session, principal, PAGE)
    return render(
        request,
        "my_responses.html",
        {"responses": sent, "done": DONE.get(done or ""), "open": DemandStatus.published},
    )


@router.post("/my/responses/{demand_id}/{response_id}/withdraw")
async def withdraw_response(
    demand_id: int, response_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    await demands.withdraw_response(session, principal, demand_id, response_id, now)
    return RedirectResponse("/my/responses?done=withdrawn", 303)
