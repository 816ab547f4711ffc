from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from techmarket import migrate
from techmarket.db import Base, make_engine
from tests.conftest import fresh_database


@pytest.fixture
async def scratch(server_url: str) -> AsyncIterator[AsyncEngine]:
    """An empty database of its own, so the round trip cannot disturb other tests."""
    engine = make_engine(await fresh_database(server_url, "techmarket_migrations"), pool_size=1)
    yield engine
    await engine.dispose()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


async def test_upgrade_downgrade_upgrade_round_trip(scratch: AsyncEngine) -> None:
    await migrate.upgrade(scratch)
    assert await migrate.at_head(scratch)
    assert {t.name for t in Base.metadata.sorted_tables} <= await _tables(scratch)

    await migrate.downgrade(scratch, "base")
    assert await _tables(scratch) == {"alembic_version"}
    assert not await migrate.at_head(scratch)

    await migrate.upgrade(scratch)
    assert await migrate.at_head(scratch)


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"compare_type": True}), Base.metadata
            )
        )
    assert diff == []
