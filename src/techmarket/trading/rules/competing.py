"""Competing offers during public notice (公示期竞争报价): pure, no I/O; the service, the
closing job and the ledger replay use them.

While an agreed price is on notice, a verified organisation other than the parties may
offer more than the agreed price, with a deposit; the price stays a commitment until the
notice ends. With no competing offer the agreement concludes as before. With one or more,
the notice's end converts the trade into an auction among the original buyer (holding a
priority right to match) and the competing bidders only, opening at the highest competing
offer (the earliest of equal ones leads). The auction's terms were announced with the
notice (``competition``), so everyone knew them before offering."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from techmarket import periods
from techmarket.types import wire_time

# The extension period of the auction a notice converts into (the auctions' default).
EXTENSION_SECONDS = 300


def competition(
    agreed_price_fen: int,
    *,
    deposit_percent: int,
    increment_percent: int,
    auction_period: timedelta,
    signing_period: timedelta,
) -> dict[str, Any]:
    """The terms of competing on a notice, announced when it opens: each competitor's
    deposit and the auction's increment (shares of the agreed price, rounded up to whole
    fen), its duration and extension period, and the winner's signing period."""
    return {
        "deposit_fen": math.ceil(agreed_price_fen * deposit_percent / 100),
        "increment_fen": max(1, math.ceil(agreed_price_fen * increment_percent / 100)),
        "auction_period": periods.iso(auction_period),
        "extension_seconds": EXTENSION_SECONDS,
        "signing_period": periods.iso(signing_period),
    }


def offer_error(agreed_price_fen: int, price_fen: int) -> str | None:
    """Why a competing offer of ``price_fen`` is refused for its amount, or None."""
    if price_fen <= agreed_price_fen:
        return f"a competing offer must be above the agreed price of {agreed_price_fen} fen"
    return None


def outcome_at_notice_end(competing_offers: int) -> Literal["concluded", "auction"]:
    """No competing offer: the agreement concludes; one or more: an auction."""
    return "auction" if competing_offers else "concluded"


def opening(offers: Sequence[tuple[str, int]]) -> tuple[str, int]:
    """The opening bid of the auction: the highest competing offer, the earliest among
    equal ones (``offers``: (alias, price) in the order made)."""
    return max(offers, key=lambda offer: offer[1])  # max keeps the first of equals


def participants(buyer_alias: str, offers: Sequence[tuple[str, int]]) -> list[str]:
    """Who may bid: the original buyer and every competitor, nobody else."""
    return sorted({buyer_alias, *(alias for alias, _ in offers)})


def auction_terms(
    announced: dict[str, Any],
    agreed_price_fen: int,
    offers: Sequence[tuple[str, int]],
    converted_at: datetime,
) -> dict[str, Any]:
    """The terms of the auction the notice of ``agreed_price_fen`` converts into at
    ``converted_at``: it starts then, at the highest competing offer, and takes no more
    registrations."""
    ends_at = converted_at + periods.parse(announced["auction_period"])
    return {
        "converted_from": "agreement",
        "agreed_price_fen": agreed_price_fen,
        "start_price_fen": opening(offers)[1],
        "increment_fen": announced["increment_fen"],
        "deposit_fen": announced["deposit_fen"],
        "registration_deadline": wire_time(converted_at),
        "starts_at": wire_time(converted_at),
        "ends_at": wire_time(ends_at),
        "extension_seconds": announced["extension_seconds"],
        "signing_period": announced["signing_period"],
        "priority_holder_commitments": [],  # the original buyer's right is public
    }
