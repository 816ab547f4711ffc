"""A client of a C2SP tlog-tiles log, written from the spec: any proof, root or entry of a
signed tree size from tiles alone, and the full audit of a log read through its tiles.
Offline code: it is handed a ``fetch`` and imports no database code."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from techmarket.ledger import merkle
from techmarket.ledger.checkpoint import TlogProof
from techmarket.ledger.note import Verifier
from techmarket.ledger.replay import RuleBook
from techmarket.ledger.tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    Tile,
    TileFormatError,
    TileTree,
    decode_bundle,
    tile_in,
    tile_of,
)
from techmarket.ledger.verify import (
    Summary,
    VerificationFailed,
    signed_checkpoint,
    verify_receipt,
    verify_records,
)

# A path below the log's prefix (``checkpoint``, ``tile/0/000.p/5``) to its body; None if
# the server has no such resource.
Fetch = Callable[[str], bytes | None]


class TilesNotOffered(Exception):
    """The server answers no tile where the checkpoint says there is one."""


class TileReader:
    """The hashes of a tree of ``size`` leaves as its tiles give them, each tile fetched once."""

    def __init__(self, fetch: Fetch, size: int) -> None:
        self.fetch = fetch
        self.size = size
        self._tiles: dict[tuple[int, int], list[bytes]] = {}
        self._trees: dict[Tile, TileTree] = {}

    def _get(self, tile: Tile) -> bytes:
        if tile.width == 0:
            raise VerificationFailed(f"the tree of size {self.size} has no {tile.path()}")
        body = self.fetch(tile.path())
        if body is None:
            raise TilesNotOffered(f"the server has no {tile.path()}")
        return body

    def hashes(self, level: int, index: int) -> list[bytes]:
        """Tile ``level``/``index`` as wide as this tree makes it, split into hashes."""
        key = (level, index)
        if key not in self._tiles:
            tile = tile_in(level, index, self.size)
            body = self._get(tile)
            if len(body) != tile.width * merkle.HASH_SIZE:
                raise VerificationFailed(
                    f"{tile.path()} is {len(body)} bytes, not {tile.width} hashes",
                    tile.start << tile.height,
                )
            size = merkle.HASH_SIZE
            self._tiles[key] = [body[i : i + size] for i in range(0, len(body), size)]
        return self._tiles[key]

    def entries(self, index: int) -> list[bytes]:
        """Entry bundle ``index``: the entries whose leaf hashes tile 0/``index`` holds."""
        tile = tile_in(None, index, self.size)
        try:
            found = decode_bundle(self._get(tile))
        except TileFormatError as exc:
            raise VerificationFailed(f"{tile.path()}: {exc}", tile.start) from None
        if len(found) != tile.width:
            raise VerificationFailed(
                f"{tile.path()} holds {len(found)} entries, not {tile.width}", tile.start
            )
        return found

    def node(self, block: merkle.Block) -> bytes:
        """The hash of a complete subtree: a tile hash, or hashed up from the hashes of the
        nearest tile level below (each tile hashed up once)."""
        tile, above, position = tile_of(block, self.size)
        assert tile.level is not None
        if tile not in self._trees:
            self._trees[tile] = TileTree.of(b"".join(self.hashes(tile.level, tile.index)))
        return self._trees[tile].node(above, position)

    def root(self) -> bytes:
        return merkle.fold([self.node(b) for b in merkle.blocks(0, self.size)])

    def inclusion_proof(self, index: int) -> list[bytes]:
        return merkle.range_hashes(merkle.inclusion_ranges(index, self.size), self.node)

    def consistency_proof(self, first: int) -> list[bytes]:
        return merkle.range_hashes(merkle.consistency_ranges(first, self.size), self.node)


def _records(reader: TileReader) -> Iterator[dict[str, Any]]:
    """The log's entries as export records, each with the leaf hash its level-0 tile holds:
    the verifier then checks every entry's bytes against the tile."""
    for bundle in range(-(-reader.size // TILE_WIDTH)):
        leaves = reader.hashes(0, bundle)
        for offset, raw in enumerate(reader.entries(bundle)):
            index = bundle * TILE_WIDTH + offset
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                raise VerificationFailed("entry is not UTF-8", index) from None
            yield {"index": index, "canonical": text, "leaf_hash": leaves[offset].hex()}


def _check_upper_tiles(reader: TileReader) -> None:
    """Every hash at level 1 and above is the root of a full tile of the level below; with
    level 0 checked against the entries, every tile of the tree is then checked."""
    level = 0
    while (full := reader.size >> (TILE_HEIGHT * (level + 1))) > 0:
        for index in range(full):
            above = reader.hashes(level + 1, index // TILE_WIDTH)[index % TILE_WIDTH]
            if merkle.root_from_leaves(reader.hashes(level, index)) != above:
                raise VerificationFailed(
                    f"tile/{level + 1} hash {index} is not the root of {Tile(level, index).path()}",
                    index << (TILE_HEIGHT * (level + 1)),
                )
        level += 1


def verify_tiles(
    fetch: Fetch,
    verifier: Verifier,
    *,
    earlier_note: str | None = None,
    rule_books: Iterable[RuleBook] = (),
    on_entry: Callable[[int], None] | None = None,
) -> Summary:
    """``verify_export`` on a log read through its tiles, and the tiles themselves checked:
    each entry's bytes against its leaf hash in the level-0 tile, every higher tile against
    the one below, and the root the tiles give against the signed checkpoint. Raises
    TilesNotOffered before checking anything if the server serves no tiles."""
    text = _checkpoint_note(fetch)
    reader = TileReader(fetch, signed_checkpoint(text, verifier).size)
    if reader.size:
        reader.hashes(0, 0)  # TilesNotOffered here: nothing was read from tiles yet
    try:
        summary = verify_records(
            _records(reader),
            [text],
            verifier,
            earlier_note=earlier_note,
            rule_books=rule_books,
            on_entry=on_entry,
        )
        _check_upper_tiles(reader)
    except TilesNotOffered as exc:
        raise VerificationFailed(f"a tile the checkpoint needs is missing: {exc}") from None
    if reader.size and reader.root() != summary.root:
        raise VerificationFailed("the root the tiles give is not the signed checkpoint's")
    return summary


def _checkpoint_note(fetch: Fetch) -> str:
    note = fetch("checkpoint")
    if note is None:
        raise TilesNotOffered("the server has no checkpoint")
    try:
        return note.decode()
    except UnicodeDecodeError:
        raise VerificationFailed("checkpoint: not UTF-8") from None


def check_entry(fetch: Fetch, verifier: Verifier, index: int) -> TlogProof:
    """One entry proven in the signed tree from tiles alone: its bytes from its bundle, its
    inclusion proof computed from the hash tiles and checked against the checkpoint's root.
    Returns it as a receipt (``verify-receipt`` checks it again offline)."""
    note = _checkpoint_note(fetch)
    checkpoint = signed_checkpoint(note, verifier)
    if not 0 <= index < checkpoint.size:
        raise VerificationFailed(f"the signed log holds {checkpoint.size} entries", index)
    reader = TileReader(fetch, checkpoint.size)
    bundle, offset = divmod(index, TILE_WIDTH)
    raw = reader.entries(bundle)[offset]
    if merkle.leaf_hash(raw) != reader.hashes(0, bundle)[offset]:
        raise VerificationFailed("leaf hash in the level-0 tile does not match the entry", index)
    proof = reader.inclusion_proof(index)
    try:
        merkle.verify_inclusion(
            index, checkpoint.size, merkle.leaf_hash(raw), proof, checkpoint.root
        )
    except merkle.ProofError as exc:
        raise VerificationFailed(f"inclusion proof from the tiles: {exc}", index) from None
    receipt = TlogProof(index, proof, note, extra=raw)
    verify_receipt(receipt.text(), verifier)  # the entry itself: its encoding and index
    return receipt
