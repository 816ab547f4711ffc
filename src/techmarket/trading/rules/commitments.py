"""What the ledger commits to before it is public, and how a reveal opens it: the reserve
(at creation, opened at the close), each priority holder (in the terms, opened at the
close) and each offer's price (as made, opened at acceptance)."""

from __future__ import annotations

from techmarket.ledger import commitment
from techmarket.ledger.commitment import opens as opens  # a reveal opens any of them


def reserve(reserve_fen: int | None, salt: str) -> str:
    """The reserve's commitment (no reserve is reserve 0)."""
    return commitment.commit(reserve_fen or 0, salt)


def holder(org_id: int, salt: str) -> str:
    """The commitment to a priority-right holder: its organisation's id."""
    return commitment.commit(org_id, salt)


def offer(price_fen: int, salt: str) -> str:
    """The commitment to an offer's price, private to the two parties until acceptance."""
    return commitment.commit(price_fen, salt)
