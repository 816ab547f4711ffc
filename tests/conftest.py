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


def external_server_url() -> str | None:
    """With TECHMARKET_DATABASE_URL set, an asyncpg URL to that server's ``postgres``
    database: the tests make databases of their own there (the role needs CREATEDB)."""
    external = Settings(database_url=os.environ.get("TECHMARKET_DATABASE_URL")).database_url
    if external is None:
        return None
    return make_url(external).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
async def server_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """An asyncpg URL to the ``postgres`` database of the server under test.

    With no TECHMARKET_DATABASE_URL an embedded server is started; if it cannot start the
    whole run errors out (it never skips). On an external server, the databases this run
    made are dropped at its end."""
    external = external_server_url()
    if external:
        yield external
        await drop_databases(external, made_here)
        return
    embedded = EmbeddedPostgres(tmp_path_factory.mktemp("pg"))
    yield await embedded.start("postgres")
    embedded.stop()


# Databases made by this run, named after its process: runs sharing a server never meet.
made_here: set[str] = set()


def run_scoped(name: str) -> str:
    made_here.add(f"{name}_{os.getpid()}")
    return f"{name}_{os.getpid()}"


async def drop_databases(server_url: str, names: set[str]) -> None:
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT", pool_size=1)
    async with admin.connect() as conn:
        for name in names:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


async def fresh_database(server_url: str, name: str) -> str:
    """Drop and create this run's database ``name``; return its URL."""
    name = run_scoped(name)
    await drop_databases(server_url, {name})
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
        await conn.execute(text("INSERT INTO notification_feed (id, position) VALUES (1, 0)"))


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
