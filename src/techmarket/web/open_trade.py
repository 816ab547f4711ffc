"""Opening a trade on one of the organisation's published achievements
(``/my/achievements/{id}/trade``): the pricing mode and its terms, each rule explained
beside its field; the same services as ``POST /api/v1/trades`` (universities and
institutes then wait for their TTO at /tto)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import TypeAdapter, ValidationError

from techmarket.db import Session
from techmarket.deps import AppSettings, Now
from techmarket.errors import DomainError
from techmarket.listings import achievements
from techmarket.models.listing import Achievement, AchievementStatus
from techmarket.trading import agreements, express, lifecycle
from techmarket.trading.schemas import AgreementCreate, ExpressCreate, TradeCreate
from techmarket.web import entry, forms
from techmarket.web.sessions import SignedIn, Verified
from techmarket.web.templating import render

router = APIRouter()

MODES = (
    ("auction", "竞价拍卖"),
    ("listed", "挂牌交易"),
    ("agreement", "协议定价"),
    ("express_licence", "一键许可"),
)
_TRADE = TypeAdapter(TradeCreate)
# The form's fields per mode, as the API names them; *_fen are typed in yuan, *_at and
# the deadline in Beijing time. The form names them "<mode>.<field>".
FIELDS: dict[str, tuple[str, ...]] = {
    "auction": (
        "start_price_fen",
        "increment_fen",
        "reserve_fen",
        "deposit_fen",
        "registration_deadline",
        "starts_at",
        "ends_at",
        "extension_seconds",
        "priority_holder_org_ids",
    ),
    "listed": (
        "listed_price_fen",
        "deposit_fen",
        "listing_ends_at",
        "increment_fen",
        "auction_minutes",
        "extension_seconds",
    ),
    "agreement": ("buyer_org_id", "asking_price_fen"),
    "express_licence": ("pricing", "price_fen", "royalty_rate_bp", "royalty_base", "term_years"),
}


def _value(name: str, text: str | None) -> Any:
    if name.endswith("_fen"):
        return entry.fen(text)
    if name.endswith(("_at", "_deadline")):
        return entry.beijing_time(text)
    if name == "priority_holder_org_ids":
        return entry.items(text)
    return text


def _data(achievement_id: int, values: dict[str, Any]) -> dict[str, Any]:
    mode = values.get("mode") or ""
    data: dict[str, Any] = {"achievement_id": achievement_id, "mode": mode}
    for name in FIELDS.get(mode, ()):
        value = _value(name, values.get(f"{mode}.{name}"))
        if value not in (None, []):
            data[name] = value
    return data


# The schema's rules across fields, as the form says them.
ACROSS_FIELDS = {
    "ends_at must be after starts_at": "结束时间须晚于开始时间。",
    "registration_deadline must not be after ends_at": "报名截止不得晚于结束时间。",
    "a fixed-price licence needs price_fen": "固定许可费须填写许可费。",
    "a free-first licence needs royalty_rate_bp and royalty_base": (
        "先免费许可后付费须填写提成比例和提成基数。"
    ),
}


def _by_field(exc: ValidationError, mode: str) -> dict[str, list[str]]:
    """Each message next to its field: the union's tag (the mode) leads each error's
    location, so "auction.ends_at" is the form's own name; a rule across fields (the
    end after the start) is about the form as a whole."""
    errors = forms.field_errors(exc)
    across = [
        text
        for error in exc.errors()
        if error["loc"] == (mode,)
        for rule, text in ACROSS_FIELDS.items()
        if rule in error["msg"]
    ]
    if across:
        errors[mode] = across
    if mode in errors:
        errors[forms.FORM_LEVEL] = errors.pop(mode)
    return errors


async def _tradeable(session: Session, principal: SignedIn, achievement_id: int) -> Achievement:
    achievement = await achievements.load_own(session, principal, achievement_id)
    if achievement.status != AchievementStatus.published:
        raise lifecycle.NotPublished(f"the achievement is {achievement.status}")
    return achievement


@router.get("/trades/new")
async def new_trade(achievement: int) -> RedirectResponse:
    return RedirectResponse(f"/my/achievements/{achievement}/trade", 303)


@router.get("/my/achievements/{achievement_id}/trade")
async def trade_form(
    request: Request, achievement_id: int, session: Session, principal: SignedIn
) -> HTMLResponse:
    achievement = await _tradeable(session, principal, achievement_id)
    form = {
        "mode": "auction",
        "auction.extension_seconds": "300",
        "listed.auction_minutes": "60",
        "express_licence.term_years": "5",
    }
    return render(
        request, "open_trade.html", {"achievement": achievement, "form": form, "modes": MODES}
    )


@router.post("/my/achievements/{achievement_id}/trade")
async def open_trade(
    request: Request,
    achievement_id: int,
    session: Session,
    principal: Verified,
    settings: AppSettings,
    now: Now,
) -> RedirectResponse:
    values = await forms.read(request)
    achievement = await _tradeable(session, principal, achievement_id)
    context = {"achievement": achievement, "form": values, "modes": MODES}
    try:
        data = _TRADE.validate_python(_data(achievement_id, values))
        if isinstance(data, ExpressCreate):
            trade, _ = await express.offer(session, principal, data, now)
        elif isinstance(data, AgreementCreate):
            trade, _ = await agreements.create(
                session, principal, achievement_id, data.buyer_org_id, data.asking_price_fen, now
            )
        else:
            trade, _ = await lifecycle.create(
                session, principal, data, settings.signing_period, now
            )
    except ValidationError as exc:
        errors = _by_field(exc, values.get("mode") or "")
        response = render(
            request, "open_trade.html", {**context, "errors": errors}, status_code=422
        )
        raise forms.FormRejected(response, exc) from exc
    except DomainError as exc:
        raise forms.reject(request, "open_trade.html", exc, context) from exc
    return RedirectResponse(f"/trades/{trade.id}?done=opened", 303)
