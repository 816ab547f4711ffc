"""My organisation's achievements (/my/achievements): every status with its history,
drafting and editing, submitting for approval (or publishing), withdrawing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings import achievements, lifecycle
from techmarket.listings.schemas import (
    AchievementCreate,
    AchievementUpdate,
    OptionalReason,
)
from techmarket.models.listing import Achievement, AchievementStatus
from techmarket.pagination import decode_cursor, encode_cursor
from techmarket.web import entry, forms
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

PAGE = 50
LISTS = ("transfer_modes",)
DONE = {
    "created": "草稿已保存。",
    "updated": "修改已保存。",
    "submitted": "已提交本机构成果转化办公室审批。",
    "published": "已发布。",
    "withdrawn": "已撤回。",
}
# The reasons the platform itself writes in an achievement's history, as people read them.
SYSTEM_REASONS = {
    "imported": "批量导入",
    "trade opened": "开始交易",
    "trade closed": "交易结束",
    "trade declined": "交易未获成果转化办公室批准",
}
PATENT_HINT = "12 位或 8 位数字、小数点和校验位，例如 ZL 2023 1 0123456.6"


def _data(values: dict[str, Any]) -> dict[str, Any]:
    """The form as AchievementCreate reads it (fields left empty are left out)."""
    poc = {k: v for k in ("centre", "date", "result") if (v := values.get(f"proof_of_concept.{k}"))}
    data = {
        **{k: values.get(k) for k in ("title", "summary", "ip_type", "industry", "region_code")},
        "trl": values.get("trl"),
        "patent_numbers": entry.items(values.get("patent_numbers")),
        "transfer_modes": values.get("transfer_modes", []),
        "asking_price_fen": entry.fen(values.get("asking_price_fen")),
        "inventors": entry.items(values.get("inventors")),
        "keywords": entry.items(values.get("keywords")),
        "proof_of_concept": poc or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def _form(a: Achievement) -> dict[str, Any]:
    """An achievement as its form shows it."""
    poc = a.proof_of_concept or {}
    return {
        "title": a.title,
        "summary": a.summary,
        "ip_type": str(a.ip_type),
        "industry": str(a.industry),
        "region_code": a.region_code,
        "trl": str(a.trl),
        "patent_numbers": "\n".join(a.patent_numbers),
        "transfer_modes": list(a.transfer_modes),
        "asking_price_fen": entry.yuan_text(a.asking_price_fen),
        "inventors": "、".join(a.inventors),
        "keywords": "、".join(a.keywords),
        **{f"proof_of_concept.{k}": v for k, v in poc.items()},
    }


def patent_message(errors: list[ErrorDetails]) -> str | None:
    """What is wrong with the patent numbers among ``errors``, naming the wrong ones."""
    mine = [e for e in errors if e["loc"][:1] == ("patent_numbers",)]
    bad = [str(e["input"]) for e in mine if isinstance(e["input"], str)]
    if bad:
        return f"申请号不正确：{'、'.join(bad)}（应为 {PATENT_HINT}）。"
    repeated = [n for e in mine if e["type"] == "already_listed" for n in e["input"]]
    if repeated:
        return f"申请号 {'、'.join(repeated)} 已登记在本机构的其他成果中。"
    return "专利须填写申请号。" if mine else None


def _field_messages(exc: ValidationError) -> dict[str, str]:
    """Messages that name what was wrong: which patent numbers, and the price's format."""
    found = {"asking_price_fen": "请填写大于 0 的金额（元，最多两位小数）；面议请留空。"}
    if patents := patent_message(exc.errors()):
        found["patent_numbers"] = patents
    return found


def _validated(
    request: Request, values: dict[str, Any], context: dict[str, Any]
) -> AchievementCreate:
    """The form as a complete record, by the API's schema; else the form again."""
    try:
        return AchievementCreate.model_validate(_data(values))
    except ValidationError as exc:
        raise forms.reject(
            request,
            "achievement_form.html",
            exc,
            {**context, "form": values},
            messages_by_field=_field_messages(exc),
        ) from exc


async def _names(session: Session, principal: Principal) -> dict[int, str]:
    return {
        u.id: u.display_name
        for u in await accounts.list_users(session, principal, principal.org.id)
    }


def reason_text(reason: str | None) -> str | None:
    """A reason as people read it: the platform's own in Chinese, a person's as written."""
    if reason is None:
        return None
    known, _, given = reason.partition(": ")
    if known in SYSTEM_REASONS:
        return SYSTEM_REASONS[known] + (f"：{given}" if given else "")
    return reason


async def _shown(
    session: Session, principal: Principal, achievement: Achievement
) -> dict[str, Any]:
    """What an achievement's page shows: the record, its history, what may be done."""
    return {
        "achievement": achievement,
        "history": await achievements.history(session, principal, achievement.id),
        "names": await _names(session, principal),
        "editable": achievement.status in lifecycle.ACHIEVEMENT_EDITABLE,
        "needs_approval": principal.org.kind in lifecycle.NEEDS_TTO_APPROVAL,
        "reason_text": reason_text,
        "done": None,
        "ledger_index": None,
    }


def _done(achievement_id: int, what: str, index: int | None = None) -> RedirectResponse:
    ledger = f"&ledger={index}" if index is not None else ""
    return RedirectResponse(f"/my/achievements/{achievement_id}?done={what}{ledger}", 303)


@router.get("/my")
async def my_organisation(principal: SignedIn) -> RedirectResponse:
    return RedirectResponse("/my/achievements", 303)


@router.get("/my/achievements")
async def list_achievements(
    request: Request,
    session: Session,
    principal: SignedIn,
    status: AchievementStatus | None = None,
    cursor: str | None = None,
) -> HTMLResponse:
    found = await achievements.of_org(
        session, principal, [status] if status else [], decode_cursor(cursor), PAGE
    )
    return render(
        request,
        "my_achievements.html",
        {
            "achievements": found,
            "status": status,
            "statuses": list(AchievementStatus),
            "next_cursor": encode_cursor(found[-1].id) if len(found) == PAGE else None,
        },
    )


@router.get("/my/achievements/new")
async def new_achievement(request: Request, principal: SignedIn) -> HTMLResponse:
    return render(request, "achievement_form.html", {"achievement": None})


@router.post("/my/achievements")
async def create_achievement(
    request: Request, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request, lists=LISTS)
    context = {"achievement": None}
    data = _validated(request, values, context)
    try:
        created = await achievements.create(session, principal, data, now)
    except DomainError as exc:
        raise forms.reject(
            request, "achievement_form.html", exc, {**context, "form": values}
        ) from exc
    return _done(created.id, "created")


@router.get("/my/achievements/{achievement_id}")
async def show_achievement(
    request: Request,
    achievement_id: int,
    session: Session,
    principal: SignedIn,
    done: str | None = None,
    ledger: int | None = None,
) -> HTMLResponse:
    achievement = await achievements.load_own(session, principal, achievement_id)
    shown = await _shown(session, principal, achievement)
    return render(
        request,
        "my_achievement.html",
        {**shown, "done": DONE.get(done or ""), "ledger_index": ledger},
    )


@router.get("/my/achievements/{achievement_id}/edit")
async def edit_achievement(
    request: Request, achievement_id: int, session: Session, principal: SignedIn
) -> HTMLResponse:
    achievement = await achievements.load_own(session, principal, achievement_id)
    return render(
        request, "achievement_form.html", {"achievement": achievement, "form": _form(achievement)}
    )


@router.post("/my/achievements/{achievement_id}/edit")
async def update_achievement(
    request: Request, achievement_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    achievement = await achievements.load_own(session, principal, achievement_id)
    values = await forms.read(request, lists=LISTS)
    context = {"achievement": achievement}
    data = _validated(request, values, context)
    changes = AchievementUpdate.model_validate(
        {**data.model_dump(), "negotiable": data.asking_price_fen is None}
    )
    try:
        await achievements.update(session, principal, achievement_id, changes, now)
    except DomainError as exc:
        raise forms.reject(
            request, "achievement_form.html", exc, {**context, "form": values}
        ) from exc
    return _done(achievement_id, "updated")


@router.post("/my/achievements/{achievement_id}/submit")
async def submit_achievement(
    achievement_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    """To the TTO (universities, institutes); others publish at once (ledgered)."""
    achievement, index = await achievements.submit(session, principal, achievement_id, now)
    what = "published" if achievement.status == AchievementStatus.published else "submitted"
    return _done(achievement_id, what, index)


@router.post("/my/achievements/{achievement_id}/withdraw")
async def withdraw_achievement(
    request: Request, achievement_id: int, session: Session, principal: SignedIn, now: Now
) -> RedirectResponse:
    values = await forms.read(request)
    try:
        reason = OptionalReason.model_validate(values).reason
    except ValidationError as exc:
        achievement = await achievements.load_own(session, principal, achievement_id)
        raise forms.reject(
            request,
            "my_achievement.html",
            exc,
            {"form": values, **await _shown(session, principal, achievement)},
        ) from exc
    _, index = await achievements.withdraw(session, principal, achievement_id, reason, now)
    return _done(achievement_id, "withdrawn", index)
