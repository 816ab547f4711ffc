"""Listed trading rules (挂牌交易): pure, no I/O.

A fixed price for a listing period; buyers register intent and pay the deposit. At the
end: nobody → unsold; one → a deal at the listed price; two or more → an auction among
exactly those buyers, starting at the listed price, their deposits carried over."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from techmarket.types import wire_time

Outcome = Literal["unsold", "sold", "auction"]


def outcome_at_end(intents: int) -> Outcome:
    """Listed converts to auction with two or more intents at the end."""
    if intents == 0:
        return "unsold"
    return "sold" if intents == 1 else "auction"


def sale_at_end(terms: dict[str, Any], intents: Sequence[str]) -> tuple[str | None, int | None]:
    """The buyer and price of a listing that ends without an auction: the only intending
    buyer at the listed price, or nobody."""
    if outcome_at_end(len(intents)) != "sold":
        return None, None
    return intents[0], terms["listed_price_fen"]


def auction_terms(terms: dict[str, Any], ended_at: datetime) -> dict[str, Any]:
    """The terms of the auction a listing converts into, from its end."""
    listing_end = datetime.fromisoformat(terms["listing_ends_at"])
    start = max(listing_end, ended_at)
    return {
        **terms,
        "start_price_fen": terms["listed_price_fen"],
        "registration_deadline": wire_time(listing_end),  # exactly those who intended
        "starts_at": wire_time(start),
        "ends_at": wire_time(start + timedelta(minutes=terms["auction_minutes"])),
    }
