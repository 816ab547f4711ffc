"""SQL for the ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.ledger.merkle import Frontier
from techmarket.models.ledger import LedgerCheckpoint, LedgerEntry, LedgerHead


async def lock_head(session: AsyncSession) -> LedgerHead:
    """The head row, locked until the caller's transaction ends: appends are serialised."""
    stmt = select(LedgerHead).where(LedgerHead.id == 1).with_for_update()
    return (await session.execute(stmt)).scalar_one()


async def read_head(session: AsyncSession) -> tuple[int, list[bytes]]:
    row = (await session.execute(select(LedgerHead.size, LedgerHead.frontier))).one()
    return int(row.size), list(row.frontier)


_APPEND = text(
    """
    WITH entries AS (
        INSERT INTO ledger_entries (idx, ts, type, subject, canonical, leaf_hash)
        SELECT * FROM unnest(
            CAST(:indexes AS bigint[]), CAST(:times AS timestamptz[]), CAST(:types AS text[]),
            CAST(:subjects AS text[]), CAST(:canonicals AS bytea[]), CAST(:leaves AS bytea[])
        )
    ), nodes AS (
        INSERT INTO ledger_nodes (level, idx, hash)
        SELECT * FROM unnest(
            CAST(:levels AS smallint[]), CAST(:node_indexes AS bigint[]), CAST(:hashes AS bytea[])
        )
    )
    UPDATE ledger_head
    SET size = :size, last_leaf_hash = :last_leaf, frontier = CAST(:frontier AS bytea[])
    WHERE id = 1
    """
)


async def write_append(
    session: AsyncSession,
    entries: Sequence[dict[str, Any]],
    nodes: Sequence[tuple[int, int, bytes]],
    frontier: Frontier,
) -> None:
    """Entries (each: idx, ts, type, subject, canonical, leaf), their new complete nodes
    and the moved head, in one statement."""
    await session.execute(
        _APPEND,
        {
            "indexes": [e["idx"] for e in entries],
            "times": [e["ts"] for e in entries],
            "types": [e["type"] for e in entries],
            "subjects": [e["subject"] for e in entries],
            "canonicals": [e["canonical"] for e in entries],
            "leaves": [e["leaf"] for e in entries],
            "levels": [n[0] for n in nodes],
            "node_indexes": [n[1] for n in nodes],
            "hashes": [n[2] for n in nodes],
            "size": frontier.size,
            "last_leaf": entries[-1]["leaf"],
            "frontier": list(frontier.hashes),
        },
    )


async def node_ranges(
    session: AsyncSession, ranges: Sequence[tuple[int, int, int]]
) -> dict[tuple[int, int, int], bytes]:
    """The stored hashes in each range (height, start, end), concatenated in order, keyed
    by the range; in one query, one row a range (a range with none is left out)."""
    heights, starts, ends = zip(*ranges, strict=True)
    rows = await session.execute(
        text(
            "SELECT r.level, r.lo, r.hi, string_agg(n.hash, ''::bytea ORDER BY n.idx) AS hashes "
            "FROM unnest(CAST(:heights AS smallint[]), CAST(:starts AS bigint[]), "
            "CAST(:ends AS bigint[])) AS r(level, lo, hi) "
            "JOIN ledger_nodes n ON n.level = r.level AND n.idx >= r.lo AND n.idx < r.hi "
            "GROUP BY r.level, r.lo, r.hi"
        ),
        {"heights": list(heights), "starts": list(starts), "ends": list(ends)},
    )
    return {(r.level, r.lo, r.hi): r.hashes for r in rows}


async def canonicals(session: AsyncSession, start: int, end: int) -> list[bytes]:
    """The canonical bytes of entries ``start`` … ``end - 1`` (those that exist), in order."""
    stmt = (
        select(LedgerEntry.canonical)
        .where(LedgerEntry.idx >= start, LedgerEntry.idx < end)
        .order_by(LedgerEntry.idx)
    )
    return list((await session.execute(stmt)).scalars())


async def entries(session: AsyncSession, start: int, limit: int) -> list[LedgerEntry]:
    stmt = (
        select(LedgerEntry).where(LedgerEntry.idx >= start).order_by(LedgerEntry.idx).limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def newest_entries(
    session: AsyncSession, before: int | None, limit: int
) -> list[LedgerEntry]:
    """Entries newest first, below index ``before`` when given."""
    stmt = select(LedgerEntry)
    if before is not None:
        stmt = stmt.where(LedgerEntry.idx < before)
    return list(
        (await session.execute(stmt.order_by(LedgerEntry.idx.desc()).limit(limit))).scalars()
    )


async def entries_about(
    session: AsyncSession, subjects: Collection[str], types: Collection[str]
) -> list[LedgerEntry]:
    """The entries of these types about these subjects (``trade/7``), oldest first."""
    stmt = select(LedgerEntry).where(
        LedgerEntry.subject.in_(sorted(subjects)), LedgerEntry.type.in_(sorted(types))
    )
    return list((await session.execute(stmt.order_by(LedgerEntry.idx))).scalars())


async def entry(session: AsyncSession, index: int) -> LedgerEntry | None:
    return await session.get(LedgerEntry, index)


async def stream_entries(session: AsyncSession, end: int) -> AsyncIterator[LedgerEntry]:
    """Entries 0 … end-1 in order, fetched in batches through a server-side cursor."""
    stmt = (
        select(LedgerEntry)
        .where(LedgerEntry.idx < end)
        .order_by(LedgerEntry.idx)
        .execution_options(yield_per=2000)
    )
    result = await session.stream_scalars(stmt)
    async for row in result:
        yield row


async def checkpoint_at(session: AsyncSession, size: int) -> LedgerCheckpoint | None:
    return await session.get(LedgerCheckpoint, size)


async def latest_checkpoint(session: AsyncSession) -> LedgerCheckpoint | None:
    stmt = select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(1)
    return await session.scalar(stmt)


async def keep_checkpoint(
    session: AsyncSession, size: int, root: bytes, signed_note: str, at: datetime
) -> LedgerCheckpoint:
    """Store a checkpoint unless one for this size exists; return the one stored."""
    await session.execute(
        insert(LedgerCheckpoint)
        .values(tree_size=size, root_hash=root, signed_note=signed_note, created_at=at)
        .on_conflict_do_nothing(index_elements=["tree_size"])
    )
    stored = await session.get(LedgerCheckpoint, size, populate_existing=True)
    assert stored is not None
    return stored
