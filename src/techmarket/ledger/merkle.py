"""RFC 6962 / RFC 9162 §2.1 Merkle trees: hashing, proofs, verification. No I/O.

Server-side, every proof hash is the Merkle tree hash of a range of leaves; a range is
assembled from the *complete* aligned subtrees ("blocks") that cover it, which the store
keeps, so a proof costs O(log n) stored hashes and never reads all leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

Block = tuple[int, int]  # (level, index): leaves [index << level, (index + 1) << level)
Range = tuple[int, int]  # leaves [start, end)


class ProofError(ValueError):
    pass


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def blocks(start: int, end: int) -> list[Block]:
    """The complete aligned subtrees covering [start, end), left to right."""
    out: list[Block] = []
    pos = start
    while pos < end:
        level = (pos & -pos).bit_length() - 1 if pos else (end - pos).bit_length() - 1
        while pos + (1 << level) > end:
            level -= 1
        out.append((level, pos >> level))
        pos += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """The tree hash of a range from its blocks' hashes (largest first), as RFC 6962 splits."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose tree hashes form PATH(index, D[0:size]), leaf end first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    out: list[Range] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo = lo + k
    out.reverse()
    return out


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose tree hashes form PROOF(first, D[0:second]) (RFC 9162 §2.1.4.1)."""
    if first <= 0:
        raise ProofError("a consistency proof from tree size 0 is not given")
    if first > second:
        raise ProofError(f"first size {first} is larger than second size {second}")
    out: list[Range] = []
    m, lo, hi, complete = first, 0, second, True
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            m -= k
            lo += k
            complete = False
    if not complete:
        out.append((lo, hi))
    out.reverse()
    return out


def range_hashes(ranges: Iterable[Range], block_hash: Callable[[Block], bytes]) -> list[bytes]:
    return [fold([block_hash(b) for b in blocks(a, z)]) for a, z in ranges]


def root_from_leaves(leaves: Sequence[bytes]) -> bytes:
    """MTH of a list of leaf hashes (reference implementation, for tests and tools)."""
    acc = Frontier()
    for leaf in leaves:
        acc.append(leaf)
    return acc.root()


class Frontier:
    """The hashes of the complete subtrees of a growing tree (its "compact range"):
    append leaves one by one, learn the new complete nodes, and get the root at any time."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != size.bit_count():
            raise ValueError("a frontier holds one hash per set bit of the size")
        self.size = size
        self.hashes = list(hashes)  # largest subtree first

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; return every newly completed node as (level, index, hash)."""
        created = [(0, self.size, leaf)]
        node, level, index = leaf, 0, self.size
        while index & 1:  # merge with the left sibling on the frontier
            node = node_hash(self.hashes.pop(), node)
            level += 1
            index >>= 1
            created.append((level, index, node))
        self.hashes.append(node)
        self.size += 1
        return created

    def add(self, leaf: bytes) -> None:
        """Add a leaf when the new nodes are not needed (verification)."""
        hashes, index = self.hashes, self.size
        while index & 1:
            leaf = node_hash(hashes.pop(), leaf)
            index >>= 1
        hashes.append(leaf)
        self.size += 1

    def root(self) -> bytes:
        return fold(self.hashes)


def _check_hash(h: bytes, what: str) -> None:
    if len(h) != HASH_SIZE:
        raise ProofError(f"{what} is {len(h)} bytes, not {HASH_SIZE}")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root that an inclusion proof implies."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    _check_hash(leaf, "leaf hash")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p, "proof hash")
        if sn == 0:
            raise ProofError("proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is too short")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    _check_hash(root, "root")
    if root_from_inclusion(index, size, leaf, proof) != root:
        raise ProofError("inclusion proof does not lead to the root")


def verify_consistency(
    first: int, second: int, root1: bytes, root2: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2. A proof from size 0 is refused (transparency-dev/merkle policy)."""
    if first <= 0:
        raise ProofError("a consistency proof from tree size 0 is not accepted")
    if first > second:
        raise ProofError(f"first size {first} is larger than second size {second}")
    if first == second:
        if proof:
            raise ProofError("proof between equal sizes must be empty")
        if root1 != root2:
            raise ProofError("roots of equal sizes differ")
        return
    _check_hash(root1, "first root")
    _check_hash(root2, "second root")
    for p in proof:
        _check_hash(p, "proof hash")
    if not proof:
        raise ProofError("proof is empty")
    path = list(proof)
    if first & (first - 1) == 0:  # first is a power of two: its root is the first node
        path.insert(0, root1)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is too short")
    if fr != root1:
        raise ProofError("proof does not lead to the first root")
    if sr != root2:
        raise ProofError("proof does not lead to the second root")
