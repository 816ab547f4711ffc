"""The pages people use: server-rendered HTML over the same services as the API.

Each area is a module with an ``APIRouter`` named ``router`` and its templates; add it to
``AREAS``. Every page route gets the CSRF check (on unsafe methods) and the signed-in
caller for the header; see README "Web pages" for the conventions.
"""

from __future__ import annotations

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from techmarket.web import (
    account,
    achievements,
    agencies,
    auction_room,
    brokers,
    csrf,
    deals,
    demands,
    docs,
    error_pages,
    express,
    home,
    inbox,
    ledger,
    mandates,
    my_achievements,
    my_demands,
    my_import,
    my_trades,
    my_users,
    negotiation,
    notices,
    open_trade,
    operator,
    orgs,
    places,
    poc,
    statistics,
    subscriptions,
    tto,
    unsubscribe,
    webhooks,
)
from techmarket.web.sessions import Viewer
from techmarket.web.templating import STATIC

AREAS = (
    home.router,
    account.router,
    inbox.router,
    ledger.router,
    operator.router,
    my_achievements.router,
    my_import.router,
    my_demands.router,
    subscriptions.router,
    my_users.router,
    webhooks.router,
    mandates.router,
    tto.router,
    achievements.router,
    demands.router,
    orgs.router,
    agencies.router,
    brokers.router,
    places.router,
    negotiation.router,
    notices.router,
    deals.router,
    express.router,
    my_trades.router,
    statistics.router,
    poc.router,
    open_trade.router,  # /trades/new before /trades/{trade_id}
    auction_room.router,
)


async def _identify(viewer: Viewer) -> None:
    """Every page knows who is signed in (the header shows it), even one that does not ask."""


def install(app: FastAPI) -> None:
    app.state.session_key = csrf.load_or_create_key(app.state.settings.session_secret_path)
    error_pages.install(app)
    docs.install(app)  # before /static: its assets live under /static/swagger-ui
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for area in AREAS:
        app.include_router(
            area,
            include_in_schema=False,
            dependencies=[Depends(csrf.protect), Depends(_identify)],
        )
    # a mail client's one-click POST carries no cookie: the signed link is the authority
    app.include_router(unsubscribe.router, include_in_schema=False)
