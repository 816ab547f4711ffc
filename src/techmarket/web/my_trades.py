"""My trades (/my/trades): a member's view of its organisation's trades as seller, as
buyer and as bidder, grouped by what they wait for — first what needs the organisation
(待您还价, 待签约, 待登记 …), then what is under way, then what is over."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techmarket.db import Session
from techmarket.pagination import decode_cursor, next_cursor
from techmarket.trading import involvement
from techmarket.types import Line
from techmarket.web.sessions import SignedIn
from techmarket.web.templating import render

router = APIRouter()

PAGE = 50


@router.get("/my/trades")
async def my_trades(
    request: Request, session: Session, principal: SignedIn, cursor: Line | None = None
) -> HTMLResponse:
    found = await involvement.trades_of(session, principal, decode_cursor(cursor), PAGE)
    lines = [
        (i, involvement.next_step(i, principal.org.id, principal.roles), involvement.page_of(i))
        for i in found
    ]
    groups = {
        "yours": [line for line in lines if line[1].yours],
        "under_way": [line for line in lines if not line[1].yours and not line[1].done],
        "over": [line for line in lines if line[1].done],
    }
    more = next_cursor([i.trade.id for i in found], PAGE)
    return render(request, "trades/mine.html", {"groups": groups, "next_cursor": more})
