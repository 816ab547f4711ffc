"""Alembic environment: async, URL from techmarket's settings, or a connection handed in."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from techmarket import models  # noqa: F401  (registers every table on Base.metadata)
from techmarket.config import get_settings
from techmarket.db import Base, make_engine, resolve_database_url

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    url, embedded = await resolve_database_url(get_settings())
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(run_with)
    finally:
        await engine.dispose()
        if embedded:
            embedded.stop()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; run against a database")

connection = config.attributes.get("connection")
if connection is not None:
    run_with(connection)
else:
    asyncio.run(run_online())
