"""C2SP tlog-tiles (https://c2sp.org/tlog-tiles): tile paths, widths and entry bundles.
No I/O; the server and the offline tile reader share it.

A tile at level L holds up to 256 consecutive Merkle tree hashes of height 8·L: at level 0
the leaf hashes, above that the hash of each full tile of the level below. The entry bundle
``entries/N`` holds the entries whose leaf hashes tile 0/N holds."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from techmarket.ledger.merkle import HASH_SIZE, Block, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_LEVEL = 63
MAX_ENTRY_BYTES = 0xFFFF  # an entry's length is a big-endian uint16 in a bundle

# <L>/<N>[.p/<W>] or entries/<N>[.p/<W>]; N in 3-digit elements, all but the last "x"-prefixed
_PATH = re.compile(r"(0|[1-9][0-9]?|entries)/((?:x[0-9]{3}/)*[0-9]{3})(?:\.p/([1-9][0-9]{0,2}))?")


class TileFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Tile:
    """A hash tile (``level`` 0…63) or, with ``level`` None, an entry bundle."""

    level: int | None
    index: int
    width: int = TILE_WIDTH

    @property
    def height(self) -> int:
        """The tree height of the hashes this tile holds (entries: their leaves, 0)."""
        return TILE_HEIGHT * (self.level or 0)

    @property
    def full(self) -> bool:
        return self.width == TILE_WIDTH

    @property
    def start(self) -> int:
        """Position of the tile's first hash among the nodes of its height."""
        return self.index * TILE_WIDTH

    def path(self) -> str:
        """The path below the log's prefix, e.g. ``tile/1/x001/234.p/7``."""
        digits = f"{self.index:03d}"
        digits = "0" * (-len(digits) % 3) + digits
        groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
        name = "/".join([*(f"x{g}" for g in groups[:-1]), groups[-1]])
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{name}{suffix}"

    @classmethod
    def parse(cls, path: str) -> Tile:
        """A tile from its path below ``tile/``; only the canonical spelling is accepted, so
        that each tile has exactly one URL (and one cache entry)."""
        found = _PATH.fullmatch(path)
        if found is None:
            raise TileFormatError(f"{path!r} is not a tile path")
        level = None if found[1] == "entries" else int(found[1])
        if level is not None and level > MAX_LEVEL:
            raise TileFormatError(f"level {level} is above {MAX_LEVEL}")
        width = int(found[3]) if found[3] else TILE_WIDTH
        if found[3] and width >= TILE_WIDTH:
            raise TileFormatError(f"a partial tile is 1 to {TILE_WIDTH - 1} wide")
        tile = cls(level, int(found[2].replace("x", "").replace("/", "")), width)
        if tile.path() != f"tile/{path}":
            raise TileFormatError(f"{path!r} is not spelled canonically: {tile.path()}")
        return tile


def width_in(level: int, index: int, size: int) -> int:
    """How many hashes tile ``level``/``index`` holds in a tree of ``size`` leaves (0: none)."""
    nodes = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, nodes - index * TILE_WIDTH))


def tile_in(level: int | None, index: int, size: int) -> Tile:
    """The tile (full or partial) that a tree of ``size`` leaves has at this position."""
    return Tile(level, index, width_in(level or 0, index, size))


def tile_of(block: Block, size: int) -> tuple[Tile, int, int]:
    """Where a complete subtree's hash is found in a tree of ``size`` leaves: its tile, how
    many heights above the tile's hashes, and its position at that height in the tile."""
    height, index = block
    level, above = divmod(height, TILE_HEIGHT)
    tile, offset = divmod(index << above, TILE_WIDTH)
    return tile_in(level, tile, size), above, offset >> above


class TileTree:
    """A tile's hashes and every complete subtree above them within the tile: any node a
    proof needs from this tile is then a slice, hashed once however often it is asked for."""

    def __init__(self, rows: list[bytes]) -> None:
        self.rows = rows  # row r: the nodes r heights above the tile's hashes, concatenated

    @classmethod
    def of(cls, hashes: bytes) -> TileTree:
        """The tree hashed up from the tile's hashes (a client has nothing else)."""
        rows, pair = [hashes], 2 * HASH_SIZE
        while len(row := rows[-1]) >= pair:
            rows.append(
                b"".join(
                    node_hash(row[i : i + HASH_SIZE], row[i + HASH_SIZE : i + pair])
                    for i in range(0, len(row) - pair + 1, pair)
                )
            )
        return cls(rows)

    @property
    def width(self) -> int:
        return len(self.rows[0]) // HASH_SIZE

    def node(self, above: int, position: int) -> bytes:
        return self.rows[above][position * HASH_SIZE : (position + 1) * HASH_SIZE]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    out = bytearray()
    for entry in entries:
        if len(entry) > MAX_ENTRY_BYTES:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit a bundle")
        out += len(entry).to_bytes(2, "big") + entry
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    entries, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileFormatError("entry bundle ends inside a length prefix")
        end = pos + 2 + int.from_bytes(data[pos : pos + 2], "big")
        if end > len(data):
            raise TileFormatError("entry bundle ends inside an entry")
        entries.append(data[pos + 2 : end])
        pos = end
    return entries
