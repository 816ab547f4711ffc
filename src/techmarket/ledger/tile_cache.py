"""Hash tiles held in the process's memory, from which proofs and tiles are served.

A proof's own work is a few dozen index lookups; what it costs on a busy machine is the
round trip to PostgreSQL, whose wake-ups wait for a CPU (on the shared 2-core bench
machine a bare ``SELECT 1`` has the same p95 as a proof). A tile's hashes never change once
the tree holds it — its width is part of its name — so a process keeps the tiles it has
read, with the stored nodes between their hashes, and most proofs need no round trip.

Only committed nodes may enter: call from a transaction that has not appended."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from techmarket.ledger import repository as repo
from techmarket.ledger.merkle import HASH_SIZE
from techmarket.ledger.tiles import TILE_HEIGHT, Tile, TileTree

# At most 511 hashes (16 KiB) a tile: 64 MiB holds every tile of a million-entry log.
CAPACITY = 4096


class TileCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._trees: OrderedDict[Tile, TileTree] = OrderedDict()

    async def trees(self, session: AsyncSession, wanted: Collection[Tile]) -> dict[Tile, TileTree]:
        """The wanted hash tiles the tree holds (those it does not are left out); those not
        in memory are read in one query."""
        found = {t: self._trees[t] for t in wanted if t in self._trees}
        for tile in found:
            self._trees.move_to_end(tile)
        missing = sorted({t for t in wanted if t not in found}, key=_order)
        if missing:
            for tile, tree in (await _read(session, missing)).items():
                found[tile] = self._trees[tile] = tree
            while len(self._trees) > self.capacity:
                self._trees.popitem(last=False)
        return found


def _order(tile: Tile) -> tuple[int, int, int]:
    return tile.level or 0, tile.index, tile.width


def _ranges(tile: Tile) -> list[tuple[int, int, int]]:
    """The stored nodes a tile's tree consists of: at each of its 8 heights, the positions
    below the tile's hashes."""
    start, end = tile.start, tile.start + tile.width
    return [(tile.height + r, start >> r, end >> r) for r in range(TILE_HEIGHT)]


async def _read(session: AsyncSession, tiles: list[Tile]) -> dict[Tile, TileTree]:
    stored = await repo.node_ranges(session, [r for tile in tiles for r in _ranges(tile)])
    out = {}
    for tile in tiles:
        rows = [stored.get(r, b"") for r in _ranges(tile)]
        if len(rows[0]) == tile.width * HASH_SIZE:  # else the tree does not hold it yet
            out[tile] = TileTree(rows)
    return out
