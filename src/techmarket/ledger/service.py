"""Appending to the ledger and proving what it holds."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket import metrics
from techmarket.errors import InvalidInput, NotFound
from techmarket.ledger import merkle, tiles
from techmarket.ledger import repository as repo
from techmarket.ledger.canonical import GENESIS_PREV, encode_entry
from techmarket.ledger.checkpoint import Checkpoint, TlogProof
from techmarket.ledger.note import Signer
from techmarket.ledger.tile_cache import TileCache
from techmarket.models.ledger import LedgerCheckpoint, LedgerEntry


class EntryNotFound(NotFound):
    code = "ledger_entry_not_found"
    title = "No such ledger entry"


class BadTreeSize(InvalidInput):
    code = "invalid_tree_size"
    title = "Tree size out of range"


class BadProofRange(InvalidInput):
    code = "invalid_proof_range"
    title = "No proof between these positions"


class TileNotFound(NotFound):
    code = "ledger_tile_not_found"
    title = "No such ledger tile"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        # the tile may exist soon: a cache must ask again
        self.headers["Cache-Control"] = "no-store"


class Staged:
    """An entry added to a transaction's appender: its index is known once it is written."""

    def __init__(self, type_: str, subject: str, data: dict[str, Any], at: datetime) -> None:
        self.type, self.subject, self.data, self.at = type_, subject, data, at
        self._index: int | None = None

    @property
    def index(self) -> int:
        assert self._index is not None, "the entry is not written yet"
        return self._index


class Appender:
    """Entries of the caller's transaction: ``add`` stages them (no I/O), ``write`` writes
    them in one statement. The head row is locked only by the first ``write`` and stays
    locked until the transaction ends, so a caller does all its other work first and
    writes last, just before commit: the lock is held for the write and the commit alone,
    and commit order is index order (readers tail the ledger by index). Indexes, chain
    links and hashes are assigned under the lock."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._frontier: merkle.Frontier | None = None
        self._prev = GENESIS_PREV
        self._staged: list[Staged] = []

    def add(self, type_: str, subject: str, data: dict[str, Any], at: datetime) -> Staged:
        staged = Staged(type_, subject, data, at)
        self._staged.append(staged)
        return staged

    async def write(self) -> None:
        """Lock the head (if this appender has not yet), number, chain, hash and store the
        staged entries; each ``Staged`` then knows its index."""
        if not self._staged:
            return
        if self._frontier is None:
            asked = time.perf_counter()
            head = await repo.lock_head(self.session)
            metrics.ledger_locked(self.session, time.perf_counter() - asked)
            self._frontier = merkle.Frontier(head.size, head.frontier)
            self._prev = head.last_leaf_hash.hex() if head.last_leaf_hash else GENESIS_PREV
            self.session.expire(head)  # the write moves the row by SQL, not through the ORM
        entries, nodes = [], []
        for staged in self._staged:
            staged._index = index = self._frontier.size
            raw = encode_entry(
                index, staged.at, staged.type, staged.subject, staged.data, self._prev
            )
            if len(raw) > tiles.MAX_ENTRY_BYTES:  # input limits keep entries far smaller
                raise ValueError(f"a {len(raw)}-byte entry would not fit a tile's entry bundle")
            leaf = merkle.leaf_hash(raw)
            nodes += self._frontier.append(leaf)
            self._prev = leaf.hex()
            entries.append(
                {
                    "idx": index,
                    "ts": staged.at,
                    "type": staged.type,
                    "subject": staged.subject,
                    "canonical": raw,
                    "leaf": leaf,
                }
            )
        self._staged = []
        await repo.write_append(self.session, entries, nodes, self._frontier)


async def append(
    session: AsyncSession, type_: str, subject: str, data: dict[str, Any], at: datetime
) -> int:
    """Append one event in the caller's transaction now and return its index (the head
    stays locked until the transaction ends: call it last where you can)."""
    appender = Appender(session)
    staged = appender.add(type_, subject, data, at)
    await appender.write()
    return staged.index


async def checkpoint(
    session: AsyncSession, signer: Signer, origin: str, now: datetime
) -> LedgerCheckpoint:
    """The signed checkpoint for the current tree size (signed now if it is new)."""
    size, frontier = await repo.read_head(session)
    stored = await repo.checkpoint_at(session, size)
    if stored is not None:
        return stored
    root = merkle.Frontier(size, frontier).root()
    note = signer.sign(Checkpoint(origin, size, root).text())
    return await repo.keep_checkpoint(session, size, root, note, now)


async def _range_hashes(
    session: AsyncSession, cache: TileCache, ranges: list[merkle.Range], tree_size: int
) -> list[bytes]:
    """Proof hashes from the tiles of the tree of ``tree_size``, most of them in memory. The
    tile of the tree's last leaf is read too: the tree holds it exactly when the log has
    reached ``tree_size``."""
    placed = {b: tiles.tile_of(b, tree_size) for a, z in ranges for b in merkle.blocks(a, z)}
    last = tiles.tile_in(0, (tree_size - 1) // tiles.TILE_WIDTH, tree_size)
    wanted = {tile for tile, _, _ in placed.values()} | {last}
    trees = await cache.trees(session, wanted)
    if len(trees) != len(wanted):
        size, _ = await repo.read_head(session)
        raise BadTreeSize(f"tree_size {tree_size} is beyond the current size {size}")

    def node(block: merkle.Block) -> bytes:
        tile, above, position = placed[block]
        return trees[tile].node(above, position)

    return merkle.range_hashes(ranges, node)


async def inclusion_proof(
    session: AsyncSession, cache: TileCache, index: int, tree_size: int
) -> list[bytes]:
    if not 0 <= index < tree_size:
        raise BadProofRange(f"index must be below tree_size {tree_size}")
    ranges = merkle.inclusion_ranges(index, tree_size)
    return await _range_hashes(session, cache, ranges, tree_size)


async def consistency_proof(
    session: AsyncSession, cache: TileCache, first: int, second: int
) -> list[bytes]:
    if not 0 < first <= second:
        raise BadProofRange(
            "first must be between 1 and second (a proof from size 0 is never given: "
            "start from the first checkpoint you save)"
        )
    ranges = merkle.consistency_ranges(first, second)
    return await _range_hashes(session, cache, ranges, second)


async def tile(session: AsyncSession, cache: TileCache, path: str) -> tuple[tiles.Tile, bytes]:
    """A C2SP tlog-tiles resource by its path below ``tile/``: a hash tile from memory or
    the stored hashes, an entry bundle from the stored entries (in one range query);
    refused if the tree does not reach its width yet."""
    try:
        wanted = tiles.Tile.parse(path)
    except tiles.TileFormatError as exc:
        raise TileNotFound(str(exc)) from None
    if wanted.level is None:
        found = await repo.canonicals(session, wanted.start, wanted.start + wanted.width)
        if len(found) == wanted.width:
            return wanted, tiles.encode_bundle(found)
    elif trees := await cache.trees(session, [wanted]):
        return wanted, trees[wanted].rows[0]
    raise TileNotFound(f"the tree does not hold tile/{path} (yet)")


@dataclass(frozen=True)
class Event:
    """A ledger entry as a page shows it: its index (for the receipt), type and data."""

    index: int
    type: str
    subject: str
    data: dict[str, Any]
    at: datetime


async def events_about(
    session: AsyncSession, subjects: Collection[str], types: Collection[str]
) -> list[Event]:
    """What the ledger says about these subjects, oldest first: the one record of which
    entry holds which event, read back rather than kept twice."""
    found = await repo.entries_about(session, subjects, types)
    out = []
    for entry in found:
        body = json.loads(entry.canonical)
        out.append(Event(entry.idx, entry.type, entry.subject, body["data"], entry.ts))
    return out


async def get_entry(session: AsyncSession, index: int) -> LedgerEntry:
    found = await repo.entry(session, index)
    if found is None:
        raise EntryNotFound(f"no entry {index}")
    return found


async def receipt(
    session: AsyncSession,
    cache: TileCache,
    signer: Signer,
    origin: str,
    index: int,
    now: datetime,
) -> TlogProof:
    """A self-contained receipt: the entry, its inclusion proof and the signed checkpoint."""
    found = await get_entry(session, index)
    signed = await checkpoint(session, signer, origin, now)
    hashes = await inclusion_proof(session, cache, index, signed.tree_size)
    return TlogProof(index, hashes, signed.signed_note, extra=found.canonical)
