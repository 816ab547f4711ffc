"""Running Alembic migrations from code: at start-up, from the CLI and in tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

# Serialises migrations when several processes start at once.
_MIGRATION_LOCK = 7283002


def _script_location() -> Path:
    packaged = Path(__file__).parent / "migrations"  # inside a built wheel
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "migrations"  # source checkout


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_script_location()))
    cfg.attributes["connection"] = connection
    return cfg


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    await _run(engine, lambda conn: command.upgrade(alembic_config(conn), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    await _run(engine, lambda conn: command.downgrade(alembic_config(conn), revision))


async def _run(engine: AsyncEngine, step: object) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        await conn.run_sync(step)  # type: ignore[arg-type]


def head_revisions() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        heads = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_heads())
    return set(heads)


async def at_head(engine: AsyncEngine) -> bool:
    return await current_revisions(engine) == head_revisions()
