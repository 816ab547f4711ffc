"""A broker's public contribution record (技术经纪人贡献积分): deals, volume, roles,
the clients' feedback and the score, as ``GET /api/v1/brokers/{id}/record`` gives it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techmarket.brokers import contributions, rules
from techmarket.db import Session
from techmarket.types import Id
from techmarket.web.templating import render

router = APIRouter()

ROLE_NAMES = {
    rules.Scope.respond.value: "揭榜应答",
    rules.Scope.negotiate.value: "议价谈判",
    rules.Scope.register_and_bid.value: "报名竞价",
}


@router.get("/brokers/{user_id}")
async def broker_page(request: Request, user_id: Id, session: Session) -> HTMLResponse:
    record = await contributions.of_broker(session, user_id)
    return render(
        request,
        "broker.html",
        {"record": record, "role_names": ROLE_NAMES, "weights": rules.ROLE_WEIGHT},
    )
