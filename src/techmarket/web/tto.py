"""The TTO desk (安心屋, /tto): the organisation's achievements and trades awaiting its
technology transfer office, what each would publish or open, and the decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings import achievements
from techmarket.listings.schemas import OptionalReason, Reason
from techmarket.models.listing import Achievement
from techmarket.models.trade import Trade, TradeMode
from techmarket.trading import lifecycle
from techmarket.trading.rules import express
from techmarket.web import forms
from techmarket.web.display import local_time, yuan
from techmarket.web.labels import label
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

QUEUE = 200
DONE = {
    "achievement_approved": "已批准，成果已发布。",
    "achievement_rejected": "已退回，并告知了原因。",
    "trade_approved": "已批准交易方式和价格，交易已开始。",
    "trade_rejected": "已否决该交易，成果重新可供交易。",
}
TERMS: dict[str, str] = {
    "start_price_fen": "起拍价",
    "listed_price_fen": "挂牌价",
    "asking_price_fen": "报价",
    "increment_fen": "加价幅度",
    "deposit_fen": "保证金",
    "registration_deadline": "报名截止",
    "starts_at": "开始时间",
    "ends_at": "结束时间",
    "listing_ends_at": "挂牌截止",
    "extension_seconds": "延时周期",
    "auction_minutes": "多人意向时的竞价时长",
}


def _shown(name: str, value: Any) -> str:
    if value is None:
        return "面议" if name == "asking_price_fen" else "—"
    if name.endswith("_fen"):
        return yuan(int(value))
    if name.endswith(("_at", "_deadline")):
        return local_time(datetime.fromisoformat(str(value)))
    if name == "extension_seconds":
        return (
            f"{int(value) // 60} 分 {int(value) % 60} 秒"
            if int(value) % 60
            else f"{int(value) // 60} 分钟"
        )
    if name == "auction_minutes":
        return f"{value} 分钟"
    return str(value)


def terms(trade: Trade) -> list[tuple[str, str]]:
    """What the TTO approves: the trade's terms as people read them, the reserve (secret
    to everyone but the seller until the close) and the priority-right holders named."""
    shown = [
        (label, _shown(name, trade.terms[name]))
        for name, label in TERMS.items()
        if name in trade.terms
    ]
    if trade.mode == TradeMode.express_licence:
        shown += [
            ("一键许可", "普通许可（非独占），已认证企业一键取得，可许可多家"),
            ("许可费用", express.fee_clause(trade.terms)),
            ("许可期限", f"{trade.terms['term_years']} 年"),
        ]
    if trade.mode == TradeMode.auction:
        shown.append(("保留价（保密，成交前不公开）", yuan(trade.reserve_fen, "无")))
        shown.append(
            (
                "优先购买权人",
                f"{len(trade.priority_holders)} 家" if trade.priority_holders else "无",
            )
        )
    return shown


@router.get("/tto")
async def desk(
    request: Request,
    session: Session,
    principal: SignedIn,
    done: str | None = None,
    ledger: int | None = None,
) -> HTMLResponse:
    pending = await achievements.awaiting_approval(session, principal, QUEUE)
    trades = await lifecycle.awaiting_approval(session, principal, QUEUE)
    return render(
        request,
        "tto.html",
        {
            "achievements": pending,
            "trades": [(t, title, buyer, terms(t)) for t, title, buyer in trades],
            "done": DONE.get(done or ""),
            "ledger_index": ledger,
        },
    )


def _decided(what: str, index: int | None = None) -> RedirectResponse:
    ledger = f"&ledger={index}" if index is not None else ""
    return RedirectResponse(f"/tto?done={what}{ledger}", 303)


@router.post("/tto/achievements/{achievement_id}/approve")
async def approve_achievement(
    achievement_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    _, index = await achievements.approve(session, principal, achievement_id, now)
    return _decided("achievement_approved", index)


def _achievement_refusal(achievement: Achievement) -> dict[str, Any]:
    return {
        "heading": "退回科技成果",
        "title": achievement.title,
        "href": f"/my/achievements/{achievement.id}",
        "facts": [
            ("知识产权类型", label(achievement.ip_type)),
            ("挂牌价格", yuan(achievement.asking_price_fen, "面议")),
        ],
        "action": f"/tto/achievements/{achievement.id}/reject",
        "required": True,
        "hint": "提交人将在成果的状态记录中看到这一原因。",
    }


@router.get("/tto/achievements/{achievement_id}/reject")
async def reject_achievement_page(
    request: Request, achievement_id: int, session: Session, principal: SignedIn
) -> HTMLResponse:
    achievement = await achievements.load_own(session, principal, achievement_id)
    return render(request, "tto_reject.html", _achievement_refusal(achievement))


@router.post("/tto/achievements/{achievement_id}/reject")
async def reject_achievement(
    request: Request, achievement_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """Sent back with a reason (the member sees it in the achievement's history)."""
    values = await forms.read(request)
    try:
        await achievements.reject(
            session, principal, achievement_id, Reason.model_validate(values).reason, now
        )
    except (ValidationError, DomainError) as exc:
        achievement = await achievements.load_own(session, principal, achievement_id)
        context = {**_achievement_refusal(achievement), "form": values}
        raise forms.reject(request, "tto_reject.html", exc, context) from exc
    return _decided("achievement_rejected")


@router.post("/tto/trades/{trade_id}/approve")
async def approve_trade(
    trade_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    _, index = await lifecycle.approve(session, principal, trade_id, now)
    return _decided("trade_approved", index)


async def _trade_refusal(session: Session, principal: Principal, trade_id: int) -> dict[str, Any]:
    trade = await lifecycle.load(session, principal, trade_id)
    achievement = await achievements.load_own(session, principal, trade.achievement_id)
    return {
        "heading": "否决交易",
        "title": f"{achievement.title} · {label(trade.mode)}",
        "href": f"/my/achievements/{achievement.id}",
        "facts": terms(trade),
        "action": f"/tto/trades/{trade.id}/reject",
        "required": False,
        "hint": "原因只记入本机构的成果状态记录，不写入公开账本。",
    }


@router.get("/tto/trades/{trade_id}/reject")
async def reject_trade_page(
    request: Request, trade_id: int, session: Session, principal: SignedIn
) -> HTMLResponse:
    return render(request, "tto_reject.html", await _trade_refusal(session, principal, trade_id))


@router.post("/tto/trades/{trade_id}/reject")
async def reject_trade(
    request: Request, trade_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """Declined (ledgered), optionally saying why (kept in the organisation)."""
    values = await forms.read(request)
    try:
        reason = OptionalReason.model_validate(values).reason
        _, index = await lifecycle.reject(session, principal, trade_id, now, reason)
    except (ValidationError, DomainError) as exc:
        context = {**await _trade_refusal(session, principal, trade_id), "form": values}
        raise forms.reject(request, "tto_reject.html", exc, context) from exc
    return _decided("trade_rejected", index)
