"""Test fixtures: a real PostgreSQL (embedded unless TECHMARKET_DATABASE_URL is set), the
schema built by Alembic once, and a rolled-back transaction around every test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from techmarket import migrate
from techmarket.app import create_app
from techmarket.clock import FixedClock
from techmarket.config import Settings
from techmarket.db import Base, EmbeddedPostgres, create_database, make_engine

TEST_DATABASE = "techmarket_test"
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
async def server_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """An asyncpg URL to the ``postgres`` database of the server under test.

    With no TECHMARKET_DATABASE_URL an embedded server is started; if it cannot start the
    whole run errors out (it never skips)."""
    external = os.environ.get("TECHMARKET_DATABASE_URL")
    if external:
        url = Settings(database_url=external).database_url
        assert url is not None
        yield make_url(url).set(database="postgres").render_as_string(hide_password=False)
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    yield await embedded.start("postgres")
    embedded.stop()


async def fresh_database(server_url: str, name: str) -> str:
    """Drop and create database ``name``; return its URL."""
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT", pool_size=1)
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()
    await create_database(server_url, name)
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> str:
    url = await fresh_database(server_url, TEST_DATABASE)
    engine = make_engine(url, pool_size=1)
    await migrate.upgrade(engine)
    await engine.dispose()
    return url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside a transaction that is rolled back after the test."""
    async with engine.connect() as conn:
        transaction = await conn.begin()
        yield conn
        await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test's transaction: their commits become savepoints."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions with real commits on their own connections, for concurrency tests; every
    table is emptied afterwards."""
    yield async_sessionmaker(engine, expire_on_commit=False)
    await empty_database(engine)


async def empty_database(engine: AsyncEngine) -> None:
    """Remove every row, the append-only ledger's too (as the superuser the tests run as)."""
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        await conn.execute(text("INSERT INTO ledger_head (id, size, frontier) VALUES (1, 0, '{}')"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=None, data_dir=tmp_path, notice_period=timedelta(days=15))


@pytest.fixture
async def client(
    engine: AsyncEngine,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FixedClock,
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, clock=clock, engine=engine, sessionmaker=sessionmaker)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Set TECHMARKET_* variables for code that reads settings itself (the CLI)."""
    from techmarket.config import get_settings

    def set_env(**values: Any) -> None:
        for key, value in values.items():
            monkeypatch.setenv(f"TECHMARKET_{key.upper()}", str(value))
        get_settings.cache_clear()

    yield set_env
    get_settings.cache_clear()
