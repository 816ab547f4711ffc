"""Ledger JSON shapes (hashes are lowercase hex)."""

from __future__ import annotations

from pydantic import BaseModel

from techmarket.models.ledger import LedgerEntry


class EntryRead(BaseModel):
    index: int
    canonical: str  # the exact hashed text: UTF-8 of the RFC 8785 bytes
    leaf_hash: str

    @classmethod
    def of(cls, entry: LedgerEntry) -> EntryRead:
        return cls(
            index=entry.idx, canonical=entry.canonical.decode(), leaf_hash=entry.leaf_hash.hex()
        )


class EntryList(BaseModel):
    entries: list[EntryRead]


class InclusionProof(BaseModel):
    index: int
    tree_size: int
    hashes: list[str]


class ConsistencyProof(BaseModel):
    first: int
    second: int
    hashes: list[str]
