"""The market's home page: what it is, its live figures, what is new and what is on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techmarket import stats
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.listings import search
from techmarket.models.org import OrgKind
from techmarket.models.trade import TradeMode
from techmarket.trading import repository as trades
from techmarket.web.sessions import Viewer
from techmarket.web.templating import render

router = APIRouter()

LATEST = 6
MEMBER_KINDS = (OrgKind.university, OrgKind.institute, OrgKind.enterprise, OrgKind.agency)


@router.get("/")
async def home(request: Request, session: Session, viewer: Viewer, now: Now) -> HTMLResponse:
    figures = await stats.headline(session, now)
    verified = figures["organisations"]["verified_by_kind"]
    by_mode = figures["deals"]["by_mode"]
    achievements, _ = await search.search_achievements(
        session, viewer, search.AchievementFilters(), "newest", None, LATEST
    )
    demands, _ = await search.search_demands(
        session, viewer, search.DemandFilters(), "newest", None, LATEST, now
    )
    return render(
        request,
        "home.html",
        {
            "figures": figures,
            "institutions": sum(verified.get(kind.value, 0) for kind in MEMBER_KINDS),
            "deals_by_mode": [
                (mode, by_mode.get(mode.value, {"count": 0, "volume_fen": 0})) for mode in TradeMode
            ],
            "achievements": achievements,
            "demands": demands,
            "auctions": await trades.open_auctions(session, LATEST),
            "notices": await trades.newest_notices(session, LATEST),
        },
    )
