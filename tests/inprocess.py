"""HTTP and websockets on one in-process app, over the test's rolled-back transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.trading.desk import Desk
from techmarket.trading.pg_broadcast import PostgresBroadcaster


@asynccontextmanager
async def serving(
    settings: Settings,
    clock: FixedClock,
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its bidding desk; its broadcaster never starts (nothing is committed
    for it to hear). Enter it in the test itself: the transport's task group must end in
    the task that began it."""
    app = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
    app.state.desk = Desk(sessionmaker, clock)
    app.state.broadcaster = PostgresBroadcaster(engine.url.render_as_string(hide_password=False))
    transport = ASGIWebSocketTransport(app=app)
    async with transport, httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
    await app.state.desk.stop()
