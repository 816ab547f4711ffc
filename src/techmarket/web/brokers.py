"""A broker's public contribution record (技术经纪人贡献积分): deals, volume, roles,
the clients' feedback and the score, as ``GET /api/v1/brokers/{id}/record`` gives it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techmarket.brokers import contributions, rules
from techmarket.db import Session
from techmarket.pagination import decode_cursor, next_cursor
from techmarket.types import Id
from techmarket.web.templating import render

router = APIRouter()

PAGE_SIZE = 50

ROLE_NAMES = {
    rules.Scope.respond.value: "揭榜应答",
    rules.Scope.negotiate.value: "议价谈判",
    rules.Scope.register_and_bid.value: "报名竞价",
}


@router.get("/brokers/{user_id}")
async def broker_page(
    request: Request, user_id: Id, session: Session, cursor: str | None = None
) -> HTMLResponse:
    record = await contributions.of_broker(session, user_id)
    shown = await contributions.broker_contributions(
        session, user_id, decode_cursor(cursor), PAGE_SIZE
    )
    return render(
        request,
        "broker.html",
        {
            "record": record,
            "contributions": shown,
            "next_cursor": next_cursor([c.id for c in shown], PAGE_SIZE),
            "role_names": ROLE_NAMES,
            "weights": rules.ROLE_WEIGHT,
        },
    )
