"""The ledger's tables: entries, complete Merkle nodes, the head, signed checkpoints.

Entries, nodes and checkpoints are append-only: a trigger in the database refuses UPDATE,
DELETE and TRUNCATE on them (see the migration). Only the one-row head moves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA
from sqlalchemy.orm import Mapped, mapped_column

from techmarket.db import Base


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    type: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    canonical: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (Index("ix_ledger_entries_subject_idx", "subject", "idx"),)


class LedgerNode(Base):
    """The hash of a complete subtree: leaves [idx << level, (idx + 1) << level)."""

    __tablename__ = "ledger_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerHead(Base):
    """The one row that serialises appends: size, last leaf hash, and the frontier (the
    hashes of the complete subtrees of the current tree, largest first)."""

    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(BigInteger)
    last_leaf_hash: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    frontier: Mapped[list[bytes]] = mapped_column(ARRAY(BYTEA))

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class LedgerCheckpoint(Base):
    """Every checkpoint ever signed; at most one per tree size."""

    __tablename__ = "ledger_checkpoints"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
