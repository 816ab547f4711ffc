"""The ASGI application: create_app() wires settings, database, clock and routers."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp

from techmarket import demo as demo_data
from techmarket import errors, health, logs, metrics, migrate, scheduler, scrape, stats, web
from techmarket.accounts.router import router as accounts_router
from techmarket.agencies.router import router as agencies_router
from techmarket.brokers.router import router as brokers_router
from techmarket.clock import Clock, SystemClock
from techmarket.config import Settings, get_settings
from techmarket.db import make_engine, make_sessionmaker, resolve_database_url
from techmarket.delivery import worker as delivery
from techmarket.delivery.router import router as delivery_router
from techmarket.ledger import keys as ledger_keys
from techmarket.ledger.router import router as ledger_router
from techmarket.ledger.tile_cache import TileCache
from techmarket.listings.router import router as listings_router
from techmarket.notify import feed, live
from techmarket.notify.router import router as notify_router
from techmarket.poc.router import router as poc_router
from techmarket.shutdown import Stopping
from techmarket.subscriptions.router import router as subscriptions_router
from techmarket.trading.desk import Desk
from techmarket.trading.payments.router import router as payments_router
from techmarket.trading.pg_broadcast import PostgresBroadcaster
from techmarket.trading.router import notices_router
from techmarket.trading.router import router as trading_router
from techmarket.trading.throttle import Throttle
from techmarket.trading.ws import router as ws_router


class Service(FastAPI):
    """The application, its request log and metrics outermost: outside even Starlette's
    error middleware, so that an unhandled error is logged in its request's context and
    its 500 is counted."""

    def build_middleware_stack(self) -> ASGIApp:
        return logs.RequestLog(metrics.RequestMetrics(super().build_middleware_stack()))


def _tune_collector() -> None:
    """A serving process holds thousands of long-lived websocket objects, and the garbage
    collector's full passes over them stalled the fan-out of a bid by hundreds of
    milliseconds (bench/bids.py). What start-up built is never scanned again, and the
    young generation is collected less often."""
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    engine: AsyncEngine | None = None,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    demo: bool = False,
    demo_on_database_url: bool = False,
    on_demo_loaded: Callable[[list[tuple[str, str, str]]], None] | None = None,
) -> FastAPI:
    """Build the application. Pass ``engine`` (and optionally ``sessionmaker``) to use an
    existing database connection (tests); otherwise the lifespan connects to the configured
    database, or starts the embedded one, and migrates.
    With ``demo`` the demo data is loaded at start and its logins handed to ``on_demo_loaded``
    (into the embedded database only, unless ``demo_on_database_url``; see demo.load)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        embedded = None
        own_engine = engine is None
        if own_engine:
            url, embedded = await resolve_database_url(settings)
            app.state.engine = make_engine(url)
            if settings.migrate_on_start:
                await migrate.upgrade(app.state.engine)
            app.state.sessionmaker = make_sessionmaker(app.state.engine)
            async with app.state.sessionmaker() as session:
                await ledger_keys.check_signed_latest(
                    session, app.state.ledger_signer, settings.signing_key_path
                )
            app.state.broadcaster = PostgresBroadcaster(url)
            await app.state.broadcaster.start()
            app.state.inbox_listener = live.Listener(url)
            await app.state.inbox_listener.start()
        app.state.desk = Desk(app.state.sessionmaker, app.state.clock)
        jobs: list[asyncio.Task[None]] = []
        try:  # a refused demo stops the start, and what started is stopped below
            if demo:
                logins = await demo_data.load(
                    app.state.sessionmaker,
                    app.state.clock.now(),
                    on_database_url=embedded is None,
                    allow_database_url=demo_on_database_url,
                )
                if on_demo_loaded:
                    on_demo_loaded(logins)
            if own_engine:  # a serving process (tests drive the scheduler themselves)
                _tune_collector()
                jobs = [
                    asyncio.create_task(
                        scheduler.run_forever(
                            app.state.sessionmaker,
                            app.state.clock,
                            settings.scheduler_interval_seconds,
                        )
                    ),
                    asyncio.create_task(feed.run_forever(app.state.sessionmaker, app.state.clock)),
                    asyncio.create_task(
                        delivery.run_forever(
                            app.state.sessionmaker,
                            app.state.clock,
                            settings,
                            app.state.session_key,
                        )
                    ),
                ]
            yield
        finally:
            await app.state.desk.stop()
            for job in jobs:
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await job
            if own_engine:
                await app.state.broadcaster.stop()
                await app.state.inbox_listener.stop()
                await app.state.engine.dispose()
            if embedded:
                embedded.stop()

    app = Service(
        title="techmarket",
        summary="Technology market and auction platform with a verifiable ledger",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # served offline by techmarket.web.docs
        redoc_url=None,  # ReDoc would load from a CDN
        dependencies=[Depends(logs.trade_in_context)],
        # OpenAPI operation ids are the views' names (get_trade, not get_trade_api_v1_…).
        generate_unique_id_function=lambda route: route.name,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.stopping = Stopping()
    app.state.throttle = Throttle(
        sockets_per_user=settings.ws_sockets_per_user,
        sockets_per_address=settings.ws_sockets_per_address,
    )
    app.state.ledger_signer = ledger_keys.load_or_create(
        settings.signing_key_path, settings.ledger_origin
    )
    app.state.ledger_tiles = TileCache()  # immutable tiles kept for proofs: tile_cache.py
    if engine is not None:
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker or make_sessionmaker(engine)
    errors.install(app)
    app.include_router(health.router)
    app.include_router(scrape.router)
    app.include_router(accounts_router)
    app.include_router(listings_router)
    app.include_router(stats.router)
    app.include_router(trading_router)
    app.include_router(payments_router)
    app.include_router(agencies_router)
    app.include_router(notices_router)
    app.include_router(ws_router)
    app.include_router(ledger_router)
    app.include_router(poc_router)
    app.include_router(brokers_router)
    app.include_router(delivery_router)
    app.include_router(subscriptions_router)
    app.include_router(notify_router)
    web.install(app)  # the pages, and page errors as pages (replacing errors' handlers there)
    errors.install_openapi(app)
    return app
