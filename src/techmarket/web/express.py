"""Express licences (一键许可) for people: the offer's page, which is the take's confirm step
(the terms and the standard contract the take will generate, then 确认许可), and the
seller's 停止许可. The same services as ``POST /api/v1/trades/{id}/take`` and ``/stop``;
the seller offers one from the trade form (``open_trade``), its TTO approves it at /tto."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from techmarket.accounts import service as accounts
from techmarket.accounts.policy import Principal
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.errors import DomainError
from techmarket.listings import achievements
from techmarket.models.org import OrgKind
from techmarket.models.trade import Trade
from techmarket.trading import express
from techmarket.trading import repository as trades
from techmarket.trading.rules import express as rules
from techmarket.types import Id
from techmarket.web import forms
from techmarket.web.sessions import Verified, Viewer
from techmarket.web.templating import render

router = APIRouter()

TEMPLATE = "trades/express_licence.html"
DONE = {"offered": "已提交一键许可。", "stopped": "已停止许可，已取得的许可不受影响。"}


async def _context(
    session: Session, viewer: Principal | None, offer: Trade, now: Now
) -> dict[str, Any]:
    achievement = await achievements.load(session, viewer, offer.achievement_id)
    seller = await accounts.load_org(session, offer.seller_org_id)
    takers = await trades.express_takers(session, offer.id)
    taker = viewer is not None and viewer.org.kind == OrgKind.enterprise
    preview = rules.contract_text(
        offer.terms,
        number="（确认后生成）",
        signed_on=now.astimezone(express.CHINA).date(),
        title=achievement.title,
        achievement_id=achievement.id,
        seller=seller.name,
        buyer=viewer.org.name if viewer is not None and taker else "（被许可企业）",
    )
    return {
        "offer": offer,
        "achievement": achievement,
        "seller": seller,
        "fee": rules.fee_clause(offer.terms),
        "takers": len(takers),
        "preview": preview,
        "is_seller": viewer is not None and viewer.org.id == offer.seller_org_id,
        "may_take": taker and viewer is not None and viewer.org.id not in takers,
        "taken": taker and viewer is not None and viewer.org.id in takers,
        "form": {},
    }


@router.get("/licences/{offer_id}")
async def offer_page(
    offer_id: Id,
    request: Request,
    session: Session,
    viewer: Viewer,
    now: Now,
    done: str | None = None,
) -> HTMLResponse:
    offer = await express.load_offer(session, viewer, offer_id)
    context = await _context(session, viewer, offer, now)
    return render(request, TEMPLATE, {**context, "done": DONE.get(done or "")})


@router.post("/licences/{offer_id}/take")
async def take(
    offer_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    """确认许可: the deal and its contract at once; its page shows the contract."""
    try:
        taken = await express.take(session, principal, offer_id, now)
    except DomainError as exc:
        offer = await express.load_offer(session, principal, offer_id)
        context = await _context(session, principal, offer, now)
        raise forms.reject(request, TEMPLATE, exc, context) from exc
    return RedirectResponse(f"/deals/{taken.deal.id}?ledger={taken.ledger_index}", 303)


@router.post("/licences/{offer_id}/stop")
async def stop(
    offer_id: Id, request: Request, session: Session, principal: Verified, now: Now
) -> RedirectResponse:
    try:
        await express.stop(session, principal, offer_id, now)
    except DomainError as exc:
        offer = await express.load_offer(session, principal, offer_id)
        context = await _context(session, principal, offer, now)
        raise forms.reject(request, TEMPLATE, exc, context) from exc
    return RedirectResponse(f"/licences/{offer_id}?done=stopped", 303)
