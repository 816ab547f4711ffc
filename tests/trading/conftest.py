"""Fixtures of the trading tests."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import pytest
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.trading.desk import Desk
from techmarket.trading.pg_broadcast import PostgresBroadcaster

InProcess = Callable[[], AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def in_process(
    engine: AsyncEngine,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> InProcess:
    """HTTP and websockets on one in-process app, with its bidding desk (the tests'
    transaction is never committed, so the broadcaster is never started). Entered in the
    test itself: the transport's task group must end in the task that began it."""

    @asynccontextmanager
    async def serving() -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
        app.state.desk = Desk(sessionmaker, clock)
        app.state.broadcaster = PostgresBroadcaster(database_url)
        transport = ASGIWebSocketTransport(app=app)
        async with transport, httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c
        await app.state.desk.stop()

    return serving
