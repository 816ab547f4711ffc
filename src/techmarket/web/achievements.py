"""Technology achievements (科技成果): search with filters and sorts, and one
achievement's public page with its open trades, its express licence (一键许可) and the
demands it matches."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from techmarket.accounts import service as accounts
from techmarket.db import Session
from techmarket.deps import Now
from techmarket.listings import achievements, search
from techmarket.models.listing import Achievement
from techmarket.models.trade import TradeMode, TradeStatus
from techmarket.poc import service as poc
from techmarket.trading import repository as trades
from techmarket.trading.rules import express
from techmarket.web import listing_queries
from techmarket.web.listing_queries import PAGE_SIZE, SORTS, TRL_LEVELS, AchievementQuery
from techmarket.web.sessions import Viewer
from techmarket.web.templating import render

router = APIRouter()

MATCHES = 10
# Trades a buyer can still join or watch: bidding, listed, on public notice.
LIVE_TRADES = (TradeStatus.open, TradeStatus.listed, TradeStatus.notice)


@router.get("/achievements")
async def search_page(request: Request, session: Session, viewer: Viewer) -> HTMLResponse:
    query, typed, errors = listing_queries.read(request, AchievementQuery)
    found: list[Achievement] = []
    next_cursor = None
    if query is not None:
        found, next_cursor = await search.search_achievements(
            session, viewer, query.filters(), query.sort, query.cursor, PAGE_SIZE
        )
    return render(
        request,
        "achievements.html",
        {
            "form": typed,
            "errors": errors,
            "regions": listing_queries.region_of(typed),
            "sorts": SORTS,
            "trl_levels": TRL_LEVELS,
            "results": found,
            "verified_by": await poc.verifiers(session, [a.id for a in found]),
            "next_cursor": next_cursor,
        },
        status_code=422 if errors else 200,
    )


@router.get("/achievements/{achievement_id}")
async def achievement_page(
    request: Request, achievement_id: int, session: Session, viewer: Viewer, now: Now
) -> HTMLResponse:
    achievement = await achievements.load(session, viewer, achievement_id)
    return render(
        request,
        "achievement.html",
        {
            "a": achievement,
            "owner": await accounts.load_org(session, achievement.org_id),
            "trades": [
                t
                for t in await trades.trades_of_achievement(session, achievement.id, LIVE_TRADES)
                if t.mode != TradeMode.express_licence  # offered apart, below
            ],
            "licences": [
                (offer, express.fee_clause(offer.terms))
                for offer in await trades.express_offers(
                    session, achievement.id, (TradeStatus.open,)
                )
            ],
            "matches": await search.demands_for_achievement(session, achievement, MATCHES, now),
            "verifications": await poc.results(session, None, achievement.id, None, MATCHES),
        },
    )
