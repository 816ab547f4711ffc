"""Building and tampering with a real ledger in the test database."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp

from techmarket.ledger import service as ledger

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


async def seed(session: AsyncSession, count: int, start: int = 0) -> list[int]:
    """Append ``count`` ordinary events and commit (a savepoint in tests)."""
    indexes = [
        await ledger.append(
            session,
            "test.event",
            f"thing/{start + i}",
            {"n": start + i, "名称": "测试"},
            T0 + timedelta(seconds=start + i),
        )
        for i in range(count)
    ]
    await session.commit()
    return indexes


async def export_lines(client: httpx.AsyncClient) -> list[str]:
    response = await client.get("/api/v1/ledger/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    return response.text.removesuffix("\n").split("\n")  # not splitlines(): see export_lines


@asynccontextmanager
async def served(app: ASGIApp) -> AsyncIterator[str]:
    """``app`` on a real socket, for the auditor's command to download from; yields its URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()  # connections wait in the backlog until the server takes them
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    serving = asyncio.create_task(server.serve(sockets=[listening]))
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        await serving


async def public_key(client: httpx.AsyncClient) -> str:
    return (await client.get("/api/v1/ledger/public-key")).text.strip()


async def as_superuser_without_triggers(session: AsyncSession, *statements: str) -> None:
    """What a database administrator could do: switch triggers off and edit the ledger."""
    await session.execute(text("SET LOCAL session_replication_role = replica"))
    for statement in statements:
        await session.execute(text(statement))
    await session.execute(text("SET LOCAL session_replication_role = origin"))


def body(line: str) -> dict[str, object]:
    return dict(json.loads(json.loads(line)["canonical"]))


async def rewind_ledger(session: AsyncSession, keep: int) -> None:
    """What a database administrator could do: drop every entry from ``keep`` on and
    rebuild the Merkle tree over the rest, so that new, correctly hashed entries follow."""
    from sqlalchemy import insert, select, update

    from techmarket.ledger import merkle
    from techmarket.models.ledger import LedgerEntry, LedgerHead, LedgerNode

    await as_superuser_without_triggers(
        session,
        f"DELETE FROM ledger_entries WHERE idx >= {keep}",
        "TRUNCATE ledger_nodes, ledger_checkpoints",
    )
    stmt = select(LedgerEntry.leaf_hash).order_by(LedgerEntry.idx)
    leaves = list((await session.execute(stmt)).scalars())
    frontier = merkle.Frontier()
    nodes = [n for leaf in leaves for n in frontier.append(leaf)]
    if nodes:
        await session.execute(
            insert(LedgerNode), [{"level": lv, "idx": i, "hash": h} for lv, i, h in nodes]
        )
    await session.execute(
        update(LedgerHead)
        .where(LedgerHead.id == 1)
        .values(
            size=len(leaves),
            last_leaf_hash=leaves[-1] if leaves else None,
            frontier=frontier.hashes,
        )
    )
