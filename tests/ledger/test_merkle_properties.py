"""Random trees: every proof we generate verifies; any flipped bit is caught."""

from hypothesis import given, settings
from hypothesis import strategies as st

from techmarket.ledger import merkle

MAX = 3000
_LEAVES = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(MAX)]


def _proof(ranges: list[merkle.Range], leaves: list[bytes]) -> list[bytes]:
    """Proof hashes from complete blocks, as the server assembles them from storage."""
    frontier = merkle.Frontier()
    nodes: dict[merkle.Block, bytes] = {}
    for leaf in leaves:
        for level, index, h in frontier.append(leaf):
            nodes[(level, index)] = h
    return merkle.range_hashes(ranges, nodes.__getitem__)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(st.integers(1, MAX))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    second = draw(st.integers(1, MAX))
    return draw(st.integers(1, second)), second


@settings(max_examples=150, deadline=None)
@given(tree_and_index(), st.data())
def test_inclusion_proofs_verify_and_flips_fail(tree: tuple[int, int], data: st.DataObject) -> None:
    size, index = tree
    leaves = _LEAVES[:size]
    root = merkle.root_from_leaves(leaves)
    proof = _proof(merkle.inclusion_ranges(index, size), leaves)
    merkle.verify_inclusion(index, size, leaves[index], proof, root)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(proof)
        bad[which] = _flip(bad[which], bit)
        try:
            merkle.verify_inclusion(index, size, leaves[index], bad, root)
        except merkle.ProofError:
            return
        raise AssertionError("a flipped bit went unnoticed")


@settings(max_examples=150, deadline=None)
@given(two_sizes(), st.data())
def test_consistency_proofs_verify_and_flips_fail(
    sizes: tuple[int, int], data: st.DataObject
) -> None:
    first, second = sizes
    leaves = _LEAVES[:second]
    root1 = merkle.root_from_leaves(leaves[:first])
    root2 = merkle.root_from_leaves(leaves)
    proof = _proof(merkle.consistency_ranges(first, second), leaves)
    merkle.verify_consistency(first, second, root1, root2, proof)
    if proof:
        which = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[which] = _flip(bad[which], data.draw(st.integers(0, 255)))
        try:
            merkle.verify_consistency(first, second, root1, root2, bad)
        except merkle.ProofError:
            return
        raise AssertionError("a flipped bit went unnoticed")


@given(st.integers(0, MAX))
def test_frontier_root_matches_reference(size: int) -> None:
    frontier = merkle.Frontier()
    for leaf in _LEAVES[:size]:
        frontier.append(leaf)
    assert frontier.root() == _reference_root(_LEAVES[:size])


def _reference_root(leaves: list[bytes]) -> bytes:
    """RFC 6962 §2.1 MTH, written straight from its recursive definition."""
    if not leaves:
        return merkle.EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return merkle.node_hash(_reference_root(leaves[:k]), _reference_root(leaves[k:]))


def _flip(h: bytes, bit: int) -> bytes:
    raw = bytearray(h)
    raw[bit // 8] ^= 1 << (bit % 8)
    return bytes(raw)
