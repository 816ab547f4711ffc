"""The organisation's subscriptions (/my/subscriptions): list, create, delete; a search
saved as a subscription from the search pages (订阅此搜索); and an institution admin's
switch of the standing push to its TTO."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from techmarket.accounts.policy import Action, open_to
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings.taxonomy import INDUSTRY_LABELS
from techmarket.models.subscription import Target
from techmarket.pagination import decode_cursor, encode_cursor
from techmarket.subscriptions import service
from techmarket.subscriptions.schemas import SubscriptionCreate
from techmarket.web import entry, forms, places
from techmarket.web.listing_queries import AchievementQuery, DemandQuery
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

PAGE = 50
DONE = {
    "created": "订阅已保存。",
    "saved": "已订阅此搜索：今后发布的符合条件的内容会推送给您。",
    "deleted": "订阅已删除。",
    "standing_on": "已开启：与本机构成果匹配的企业需求将推送给技术转移办公室。",
    "standing_off": "已关闭向技术转移办公室推送匹配的企业需求。",
}
AMOUNTS = ("price_min_fen", "price_max_fen")
MONEY_MESSAGE = "请填写金额（元，最多两位小数）。"


async def _page(
    request: Request,
    session: Session,
    principal: SignedIn,
    cursor: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    found = await service.of_org(session, principal, decode_cursor(cursor), PAGE)
    form = (extra or {}).get("form", {})
    may_switch = principal.verified and Action.standing_push in open_to(principal)
    return {
        "subscriptions": found,
        "next_cursor": encode_cursor(found[-1].id) if len(found) == PAGE else None,
        "standing": await service.standing_push(session, principal) if may_switch else None,
        "regions": places.RegionSelects.of(_region(form)),
        **(extra or {}),
    }


@router.get("/my/subscriptions")
async def list_subscriptions(
    request: Request,
    session: Session,
    principal: SignedIn,
    cursor: str | None = None,
    done: str | None = None,
) -> HTMLResponse:
    context = await _page(request, session, principal, cursor, {"done": DONE.get(done or "")})
    return render(request, "my_subscriptions.html", context)


def _region(values: dict[str, Any]) -> str | None:
    return places.pick(values.get("province"), values.get("city"), values.get("district"))


def _data(values: dict[str, Any]) -> dict[str, Any]:
    data = {
        **{k: values.get(k) for k in ("name", "target", "basis", "keywords", "industry")},
        "region_code": _region(values),
        "ip_type": values.get("ip_type"),
        **{k: entry.fen(values.get(k)) for k in AMOUNTS},
        "digest": values.get("digest") == "true",
    }
    return {k: v for k, v in data.items() if v is not None}


@router.post("/my/subscriptions")
async def create_subscription(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> Response:
    values = await forms.read(request)
    if "refine" in values:  # without script: show the cities of the province chosen
        context = await _page(request, session, principal, None, {"form": values})
        return render(request, "my_subscriptions.html", context)
    try:
        await service.create(
            session, principal, SubscriptionCreate.model_validate(_data(values)), now
        )
    except (DomainError, ValidationError) as exc:
        raise forms.reject(
            request,
            "my_subscriptions.html",
            exc,
            await _page(request, session, principal, None, {"form": values}),
            messages_by_field={k: MONEY_MESSAGE for k in AMOUNTS},
        ) from None
    return RedirectResponse("/my/subscriptions?done=created", 303)


def _saved(values: dict[str, Any]) -> SubscriptionCreate:
    """The subscription a search page's query asks for: its keywords, industry, region,
    IP type and price range (what a subscription filters on)."""
    target = Target.demand if values.pop("target", None) == "demand" else Target.achievement
    if target == Target.demand:
        query: AchievementQuery | DemandQuery = DemandQuery.model_validate(values)
        ip_type, low, high = None, None, None
    else:
        query = AchievementQuery.model_validate(values)
        ip_type, low, high = query.ip_type, query.price_min, query.price_max
    about = query.q or (INDUSTRY_LABELS[query.industry] if query.industry else "全部")
    return SubscriptionCreate(
        name=f"保存的搜索：{about}"[:100],
        target=target,
        keywords=query.q or None,
        industry=query.industry,
        region_code=query.region,
        ip_type=ip_type,
        price_min_fen=low,
        price_max_fen=high,
    )


@router.post("/my/subscriptions/search")
async def save_search(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """订阅此搜索: the search page posts its own query."""
    values = await forms.read(request)
    try:
        await service.create(session, principal, _saved(values), now)
    except (DomainError, ValidationError) as exc:
        raise forms.reject(
            request,
            "my_subscriptions.html",
            exc,
            await _page(request, session, principal, None, {"form": {}}),
        ) from None
    return RedirectResponse("/my/subscriptions?done=saved", 303)


@router.post("/my/subscriptions/standing")
async def switch_standing(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    enabled = (await forms.read(request)).get("enabled") == "true"
    await service.switch_standing_push(session, principal, enabled, now)
    return RedirectResponse(f"/my/subscriptions?done=standing_{'on' if enabled else 'off'}", 303)


@router.post("/my/subscriptions/{subscription_id}/delete")
async def delete_subscription(
    subscription_id: int, session: Session, principal: SignedIn
) -> RedirectResponse:
    await service.delete(session, principal, subscription_id)
    return RedirectResponse("/my/subscriptions?done=deleted", 303)
