"""An application over committed sessions, as the senders see what it writes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from tests.conftest import START


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def smtp_port() -> int:
    from tests.delivery.receivers import free_port

    return free_port()


@pytest.fixture
def settings(tmp_path: Path, smtp_port: int) -> Settings:
    return Settings(
        database_url=None,
        data_dir=tmp_path,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",  # type: ignore[arg-type]
        webhook_allow_private=True,
    )


@pytest.fixture
def app(
    engine: AsyncEngine,
    committed: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> FastAPI:
    return create_app(settings, clock=clock, engine=engine, sessionmaker=committed)


@pytest.fixture
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client
